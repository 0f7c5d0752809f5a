"""Imports every model, so the metadata (and Alembic) sees the whole schema."""
from rotation.accounts.models import LoginFailure, RoleGrant, User  # noqa: F401
