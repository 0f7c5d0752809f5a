"""Coverage for HR and executives: completed, booked and unbooked shifts, overdue people, load per site."""
