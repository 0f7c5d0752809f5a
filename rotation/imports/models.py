from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class ImportStatus(StrEnum):
    """An upload's way through the background worker (checked, previewed, confirmed, imported); the column
    holds the value."""

    CHECKING = "checking"    # uploaded; the worker checks it and works out what would change
    CHECKED = "checked"      # the preview is ready: every problem, or what would change
    IMPORTING = "importing"  # HR confirmed; the worker checks it again and writes it
    IMPORTED = "imported"    # written; ``outcome`` says what changed
    FAILED = "failed"        # the worker stopped; ``outcome`` says why


# The statuses by name, as the rest of the code imports them.
CHECKING = ImportStatus.CHECKING
CHECKED = ImportStatus.CHECKED
IMPORTING = ImportStatus.IMPORTING
IMPORTED = ImportStatus.IMPORTED
FAILED = ImportStatus.FAILED
IMPORT_STATUSES: tuple[str, ...] = (CHECKING, CHECKED, IMPORTING, IMPORTED, FAILED)
IN_PROGRESS: tuple[str, ...] = (CHECKING, IMPORTING)


class PendingImport(Model):
    """An uploaded CSV file from its upload through its preview to its import."""

    __tablename__ = "pending_import"
    __table_args__ = (
        sa.CheckConstraint("status IN ('checking', 'checked', 'importing', 'imported', 'failed')",
                           name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    deactivate_missing: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default=CHECKING)
    # Lines of data (the header not counted), for the progress sentence.
    lines: Mapped[int] = mapped_column(default=0)
    # What the check found (``rotation.imports.preview.Preview``), once it is done.
    preview: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS
