"""Every CSV the app or its commands write goes through here, so none can carry a formula.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs; titles and names are typed by any manager or owner, so such a text cell gets a
leading apostrophe, which spreadsheets show as text and do not run. Numbers stay numbers.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(cell: Any) -> Any:
    """``cell``, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell


class Writer:
    """``csv.writer`` whose every text cell is defused; rows as sequences or, with ``columns``, as dicts."""

    def __init__(self, stream: TextIO, columns: Sequence[str] | None = None, lineterminator: str = "\n"):
        self._writer = csv.writer(stream, lineterminator=lineterminator)
        self._columns = list(columns) if columns is not None else None

    def header(self, names: Sequence[str] | None = None) -> None:
        names = names if names is not None else self._columns
        if names is None:
            raise ValueError("A header needs names, or the writer's columns.")
        self._writer.writerow(names)

    def row(self, row: Sequence[Any] | dict) -> None:
        if isinstance(row, dict) and self._columns is None:
            raise ValueError("A row given as a dict needs the writer's columns.")
        cells = [row.get(name) for name in self._columns or ()] if isinstance(row, dict) else row
        self._writer.writerow(["" if cell is None else defused(cell) for cell in cells])


def write_rows(stream: TextIO, columns: Iterable[str], rows: Iterable[dict], output: str) -> None:
    """Rows as CSV with a header (an empty value is an empty cell), or as a JSON array of objects, a row a line."""
    if output == "csv":
        writer = Writer(stream, list(columns))
        writer.header()
        for row in rows:
            writer.row(row)
        return
    count = 0
    stream.write("[")
    for row in rows:
        stream.write(("," if count else "") + "\n  " + json.dumps(row))
        count += 1
    stream.write("\n]\n" if count else "]\n")
