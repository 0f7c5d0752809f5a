"""Every CSV the app or its commands write goes through here, so none can carry a formula, and an export reads
the same from a command and from a page's "Download CSV".

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs; titles and names are typed by any manager or owner, so such a text cell gets a
leading apostrophe, which spreadsheets show as text and do not run. Numbers stay numbers.

An export (``assignments export``, ``people export``, ``observations export``, ``problems export``) is written
by :func:`text_of` a chunk at a time: :func:`print_rows` sends the chunks to standard output for a command,
:func:`download` streams them as a page's download, so the two are the same bytes (UTF-8, lines ending in
``\\n``) and neither holds the whole file in memory.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
OUTPUTS = ("csv", "json")
ENCODING = "utf-8"
# Text gathered before a chunk is handed on: a few hundred rows, so 100,000 rows are a few hundred writes.
CHUNK = 64 * 1024


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


def csv_text(columns: Iterable[str], rows: Iterable[dict], chunk: int = CHUNK) -> Iterator[str]:
    """Rows as CSV with a header (an empty value is an empty cell): the header on its own, so a download starts
    before the first row is read, then chunks of about ``chunk`` characters."""
    buffer = io.StringIO()
    writer = Writer(buffer, list(columns))
    writer.header()
    yield _drain(buffer)
    for row in rows:
        writer.row(row)
        if buffer.tell() >= chunk:
            yield _drain(buffer)
    yield _drain(buffer)


def json_text(rows: Iterable[dict]) -> Iterator[str]:
    """Rows as a JSON array of objects, a row a line."""
    count = 0
    yield "["
    for row in rows:
        yield ("," if count else "") + "\n  " + json.dumps(row)
        count += 1
    yield "\n]\n" if count else "]\n"


def text_of(columns: Iterable[str], rows: Iterable[dict], output: str) -> Iterator[str]:
    """An export as ``output`` ("csv" or "json"), a chunk at a time."""
    return csv_text(columns, rows) if output == "csv" else json_text(rows)


def print_rows(columns: Iterable[str], rows: Iterable[dict], output: str) -> None:
    """An export to standard output, as UTF-8 whatever the terminal's locale (a command's half of the contract)."""
    text_stream = sys.stdout
    text_stream.flush()
    stream = getattr(text_stream, "buffer", None)  # the bytes beneath; a stream without them takes the text
    for text in text_of(columns, rows, output):
        if stream is None:
            text_stream.write(text)
        else:
            stream.write(text.encode(ENCODING))
    (stream or text_stream).flush()


def download(columns: Iterable[str], rows: Iterable[dict], filename: str) -> Response:
    """An export as a CSV download named ``filename``, streamed as it is read: the same bytes as the command's."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(stream_with_context(text_of(columns, rows, "csv")), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
