"""Serving with gunicorn: the access log never carries the secret in a link.

A calendar feed's link, a password link and a site host's attendance link each hold a secret in their
path; anyone who reads the log could use them. ``gunicorn --logger-class rotation.serving.AccessLog``
writes such a path with the secret replaced, in the request line, the path and the Referer.
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

SECRET_IN_PATH = re.compile(r'(/calendar/)(?!link\b|shift/)[^/?#\s."]+'  # the feed's .ics stays
                            r'|(/password/)(?!forgot\b)[^/?#\s"]+'
                            r'|(/attendance/host/)[^/?#\s"]+')


def redact(text: str) -> str:
    """``text`` with the secret of every secret link replaced."""
    return SECRET_IN_PATH.sub(lambda found: next(part for part in found.groups() if part) + "[secret]", text)


class AccessLog(Logger):
    """gunicorn's logger, with secrets left out of every access-log line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) and ("/" in value) else value
                for key, value in atoms.items()}
