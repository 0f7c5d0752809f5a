"""Evidence: photos and files attached to observations, stored outside the web root."""
