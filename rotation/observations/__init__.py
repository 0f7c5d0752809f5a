"""Structured observations from each shift, and the "me too" seconds of them."""
