"""The parts of ``make bench-pages``: the company's year of use, its cache, the servers, the load and the report."""
