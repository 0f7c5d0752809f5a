"""My rotation: a manager's own shifts (with local times, site, host and status), confirming a
shift, and their own blackouts, with a warning when a new one collides with a published shift."""
