"""A row of the schedule grid as few pieces as the template needs: the weeks without a shift are joined into one
piece of empty cells, so a page of 50 people by 53 weeks renders about five pieces a row instead of 53 cells."""
from __future__ import annotations

from markupsafe import Markup

from rotation.schedule.queries import Shift, Week


def empty_cells(weeks: list[Week]) -> list[Markup]:
    """Each week's empty cell, made once for the page; the week's key lets the page's script find its column."""
    return [Markup('<td data-week="{}"></td>').format(week.key) for week in weeks]


def row_pieces(keys: list[str], blanks: list[Markup],
               shifts_by_week: dict[str, list[Shift]]) -> list[Markup | tuple[str, list[Shift]]]:
    """A person's row from the first week to the last: runs of empty cells as one piece of markup, and each week
    with shifts as its key and its shifts, for the template to render."""
    pieces: list[Markup | tuple[str, list[Shift]]] = []
    run_start = 0
    for index, key in enumerate(keys):
        shifts = shifts_by_week.get(key)
        if shifts:
            if run_start < index:
                pieces.append(Markup("".join(blanks[run_start:index])))  # each piece is markup already
            pieces.append((key, shifts))
            run_start = index + 1
    if run_start < len(keys):
        pieces.append(Markup("".join(blanks[run_start:])))
    return pieces
