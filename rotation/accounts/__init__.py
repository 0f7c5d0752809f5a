"""Log-in accounts, their roles, and signing in."""
