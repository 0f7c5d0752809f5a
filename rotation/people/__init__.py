"""The roster: people in scope, their line managers, and who is in the rotation."""
