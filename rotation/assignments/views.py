"""Assignments for HR: the list, one assignment, moving and withdrawing it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assignments", __name__, url_prefix="/assignments")
