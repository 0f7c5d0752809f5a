"""The home page: who you are and what you can do next, per role."""
