"""What HR sees of an import before confirming it, kept with the upload once the worker has checked the file.

A file of 200,000 lines has 200,000 changes; the page shows every count and the
first few hundred of each list, so that is what is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rotation.imports.csvfile import ImportIssue
from rotation.imports.plan import Change, ImportPlan

SHOWN_PROBLEMS = 500
SHOWN_CHANGES = 200
LIST_TITLES = (("added", "Would be added"), ("updated", "Would be updated"), ("deactivated", "Would be deactivated"))
DONE_TITLES = {"added": "Added", "updated": "Updated", "deactivated": "Deactivated"}
ROWS = ("added", "updated", "deactivated")


@dataclass(frozen=True)
class Listed:
    """One list of changes: its title (and once imported, ``done``), how many there are, and the first
    ``SHOWN_CHANGES`` of them."""

    name: str
    title: str
    count: int
    shown: list[Change]
    done: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.shown)


@dataclass(frozen=True)
class Preview:
    problems: list[ImportIssue] = field(default_factory=list)
    problem_count: int = 0
    lists: list[Listed] = field(default_factory=list)
    unchanged: int = 0

    @classmethod
    def of(cls, plan: ImportPlan) -> Preview:
        rows = [Listed(name, title, len(getattr(plan, name)), getattr(plan, name)[:SHOWN_CHANGES], DONE_TITLES[name])
                for name, title in LIST_TITLES]
        others = [Listed(c.name, c.title, len(c.items), c.items[:SHOWN_CHANGES], c.done) for c in plan.consequences]
        return cls(problems=plan.problems[:SHOWN_PROBLEMS], problem_count=len(plan.problems), lists=rows + others,
                   unchanged=plan.unchanged)

    @property
    def more_problems(self) -> int:
        return self.problem_count - len(self.problems)

    def count(self, name: str) -> int:
        return next((listed.count for listed in self.lists if listed.name == name), 0)

    def listed(self, name: str) -> Listed | None:
        return next((listed for listed in self.lists if listed.name == name), None)

    @property
    def rows(self) -> list[Listed]:
        """The rows added, updated and deactivated."""
        return [listed for listed in self.lists if listed.name in ROWS]

    @property
    def consequences(self) -> list[Listed]:
        """What else the import does (shifts cancelled, e-mails sent, …), the lists with something in them."""
        return [listed for listed in self.lists if listed.name not in ROWS and listed.count]

    @property
    def has_changes(self) -> bool:
        return any(listed.count for listed in self.rows)

    def summary(self) -> str:
        return (f"{self.count('added')} added, {self.count('updated')} updated, "
                f"{self.count('deactivated')} deactivated, {self.unchanged} unchanged")

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [[p.line, p.column, p.value, p.message] for p in self.problems],
            "problem_count": self.problem_count,
            "lists": [{"name": listed.name, "title": listed.title, "done": listed.done, "count": listed.count,
                       "shown": [[c.key, c.label, c.line, c.fields, c.notes] for c in listed.shown]}
                      for listed in self.lists],
            "unchanged": self.unchanged,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preview:
        titles = dict(LIST_TITLES)
        return cls(
            problems=[ImportIssue(*row) for row in data["problems"]],
            problem_count=data["problem_count"],
            lists=[Listed(item["name"], item.get("title") or titles[item["name"]], item["count"],
                          [Change(row[0], row[1], row[2], list(row[3]), list(row[4]) if len(row) > 4 else [])
                           for row in item["shown"]],
                          item.get("done") or DONE_TITLES.get(item["name"], ""))
                   for item in data["lists"]],
            unchanged=data["unchanged"])
