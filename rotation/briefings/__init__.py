"""The briefing of a shift: what its leader reads before going to the site."""
