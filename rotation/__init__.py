"""Rotation: every leader on the frontline once a year, and what they see there fixed."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application (``flask --app rotation``, ``gunicorn wsgi:app``); ``test_config`` overrides the
    environment's settings.

    The factory lives in :mod:`rotation.app` and is imported on the first call, not with the package: every
    module of the package imports ``rotation`` first, and the pure parts (the planning engine, the models)
    must stay importable without the web application's whole import graph.
    """
    from rotation.app import create_app as build

    return build(test_config)
