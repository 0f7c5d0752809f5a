"""The plan page: run the plan, review the draft, publish it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plan")
