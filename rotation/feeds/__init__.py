"""Personal calendar feeds reached by a secret link, and one-off .ics downloads."""
