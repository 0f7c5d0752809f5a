"""Background work: jobs started from the pages (plan runs, imports) and the worker that runs them.

A page records what it wants done and a ``Job`` in the request's transaction,
and returns at once; ``flask --app rotation worker`` claims the job, runs it
and records the outcome. The worker also runs the periodic passes other areas
register (the outbox). This package knows nothing of those areas: each
registers its handlers in ``rotation.jobs.registry``.
"""
