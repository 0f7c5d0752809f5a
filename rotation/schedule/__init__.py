"""The schedule: HR's grid of people by ISO week, and the seats of every site by day."""
