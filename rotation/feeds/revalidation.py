"""Calendar apps asking "has my feed changed?" are answered before Flask dispatches the request.

Every subscribed calendar polls its feed about hourly with the ETag it holds
(If-None-Match), and nearly always the feed is unchanged: at a company of
100,000 leaders that is most of the app's traffic. This WSGI layer answers
those polls with 304 from the one query that knows the ETag
(:func:`rotation.feeds.polls.find_poll`), skipping routing, sessions and the
request hooks. Anything else — a first fetch, a changed feed, an unknown link,
a poll whose use is due to be noted (hourly), a database in trouble — goes on
to the app, whose feed view gives the same answer the long way.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Flask
from werkzeug.http import parse_etags, quote_etag

from rotation.db import utcnow
from rotation.extensions import db
from rotation.feeds.polls import find_poll
from rotation.feeds.services import FEED_CACHE_CONTROL, USE_RECORDED_EVERY
from rotation.security import security_headers

FEED_PATH = re.compile(r"/calendar/([^/]+)\.ics")


class ConditionalFeedPolls:
    """Answers an unchanged feed's conditional GET or HEAD with 304; passes every other request on."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
            etag = self._unchanged_etag(match.group(1), asked) if match else None
            if etag is not None:
                start_response("304 NOT MODIFIED", [("ETag", quote_etag(etag)),
                                                    ("Cache-Control", FEED_CACHE_CONTROL),
                                                    *security_headers(self.app.config)])
                return []
        return self.wsgi_app(environ, start_response)

    def _unchanged_etag(self, token: str, asked: str) -> str | None:
        """The feed's ETag when the poll may be answered 304 here; None to leave it to the app."""
        with self.app.app_context():
            try:
                poll = find_poll(token)
                db.session.rollback()  # only read
            except sa.exc.DBAPIError:
                return None
            finally:
                db.session.remove()
        if poll is None or poll.last_used_at is None or utcnow() - poll.last_used_at >= USE_RECORDED_EVERY:
            return None  # unknown links get the app's 404; a use due to be noted is written by the view
        return poll.etag if parse_etags(asked).contains(poll.etag) else None
