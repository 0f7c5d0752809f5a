"""The demo company that ``make run`` loads into an empty database."""
