"""The process map: process areas in a tree, each with one or more owners."""
