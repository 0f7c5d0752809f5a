"""Characters no person means to type: NUL and the other control characters.

PostgreSQL refuses NUL outright, and the others would end up in e-mail headers, CSV cells and calendar
files. Tab and line breaks are allowed only where text may run over several lines.
"""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ON_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
_NAMES = {"\x00": "a NUL character", "\t": "a tab", "\n": "a line break", "\r": "a line break"}


def unwanted_character(value: str, multiline: bool = False) -> str | None:
    """The first character of ``value`` no person means, named for a message ("a NUL character"); or None."""
    found = (_CONTROL if multiline else _CONTROL_ON_ONE_LINE).search(value)
    if found is None:
        return None
    character = found.group()
    return _NAMES.get(character, f"the control character U+{ord(character):04X}")
