"""A manager's request to move their shift, and HR's queue that approves or declines it."""
