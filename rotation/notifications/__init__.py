"""In-app news for a person: what changed about their shifts, requests and the people they manage."""
