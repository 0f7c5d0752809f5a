"""What an import would do, computed before anything is written."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rotation.imports.csvfile import ImportIssue


@dataclass
class Change:
    """A row that would be added or updated, or a record that would be deactivated."""

    key: str
    label: str
    line: int | None = None
    fields: list[str] = field(default_factory=list)  # what an update changes
    # What it means, in words HR reads before confirming: "name: A → B", "joins the rotation: …".
    notes: list[str] = field(default_factory=list)


@dataclass
class Consequence:
    """What else an import would do beyond adding, updating and deactivating rows: shifts it cancels, e-mails it
    sends, people it leaves reporting to a leaver. ``title`` before the import, ``done`` once written."""

    name: str
    title: str
    done: str
    items: list[Change] = field(default_factory=list)


@dataclass
class ImportPlan:
    kind: str
    problems: list[ImportIssue] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    unchanged: int = 0
    consequences: list[Consequence] = field(default_factory=list)
    # Writes the changes; set by the importer that made the plan.
    write: Callable[[], None] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.deactivated)} deactivated, {self.unchanged} unchanged")


def apply(plan: ImportPlan) -> None:
    """Write a plan without problems. The caller commits."""
    if plan.problems:
        raise ValueError("an import with problems is never written")
    if plan.write is not None and plan.has_changes:
        plan.write()
