"""The annual plan in the app: plan runs, the draft, publishing."""
