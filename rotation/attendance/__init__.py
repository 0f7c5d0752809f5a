"""Recording who came to their shift: by HR, or by the site's host through an e-mailed link."""
