"""Reading HR's CSV files: UTF-8 with or without a BOM, case-insensitive headers in
any order, extra columns ignored, blank lines skipped, line numbers as an editor shows them."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, time

from rotation.characters import unwanted_character


@dataclass(frozen=True)
class ImportIssue:
    """One thing wrong with an imported file, where a person can find and fix it."""

    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return (", ".join(where) + ": " if where else "") + self.message


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    problems: list[ImportIssue] = field(default_factory=list)


def read_table(content: bytes, required: tuple[str, ...]) -> Table:
    """The file's rows keyed by lower-case column name, or the problems that stop reading it."""
    table = Table()
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        bad = content[error.start:error.start + 4]
        table.problems.append(ImportIssue(line, None, None,
                                      f"The file is not UTF-8 text: byte {bad[:1].hex(' ').upper()} at line {line} "
                                      "cannot be read. Save the file as “CSV UTF-8” and upload it again."))
        return table
    if not text.strip():
        table.problems.append(ImportIssue(
            None, None, None, "The file is empty: it needs a header line naming the columns, then one line per row."))
        return table

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 1
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            table.problems.append(ImportIssue(start, None, None, f"This line cannot be read as CSV: {error}."))
            return table
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header, header_line = [cell.strip().lower() for cell in cells], start
            _check_header(table, header, header_line, required)
            if table.problems:
                return table
            table.columns = header
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            table.problems.append(ImportIssue(
                start, None, None, f"This line has {len(cells)} values but the header names {len(header)} columns."))
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
        unwanted = [(name, value, what) for name, value in values.items()
                    if (what := unwanted_character(value)) is not None]
        for name, value, what in unwanted:
            table.problems.append(ImportIssue(start, name, value, f"Remove {what} from this value."))
        if not unwanted:
            table.rows.append(Row(start, values))
    if header is not None and not table.rows and not table.problems:
        table.problems.append(ImportIssue(None, None, None, "The file has a header line but no rows."))
    return table


def _check_header(table: Table, header: list[str], line: int, required: tuple[str, ...]) -> None:
    seen = set()
    for name in header:
        if name and name in seen:
            table.problems.append(ImportIssue(line, name, None, f"The column {name} appears twice in the header."))
        seen.add(name)
    for name in required:
        if name not in seen:
            table.problems.append(
                ImportIssue(line, name, None, f"The required column {name} is missing from the header."))


# -- values ------------------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Invalid(ValueError):
    """A value that does not fit its column; the message says why."""


def parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise Invalid("Not a date in the form YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Not a real calendar date.") from None


def parse_hhmm(value: str) -> time:
    match = _HHMM.match(value)
    if not match:
        raise Invalid("Not a time in the form HH:MM (00:00 to 23:59).")
    return time(int(match.group(1)), int(match.group(2)))


def parse_positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise Invalid("Must be a positive whole number.")
    return int(value)
