"""Periods in which a person, a site or the whole company can't take a shift."""
