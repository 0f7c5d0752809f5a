"""Assignments: a person in a slot, with the status and calendar identity the attendee sees."""
