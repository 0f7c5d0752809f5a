"""CSV imports: read, validate the whole file, preview, then write in one go."""
