"""E-mail addresses as the app keeps them: checked and in one canonical form, wherever they come from."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class NotAnEmailAddress(ValueError):
    """A value that is not an e-mail address; the message is a sentence saying why."""


def canonical_email(value: str) -> str:
    """The canonical form of an e-mail address (lower case); ``NotAnEmailAddress`` with a sentence otherwise."""
    value = (value or "").strip()
    if not value:
        raise NotAnEmailAddress("Enter an e-mail address.")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise NotAnEmailAddress(f"{value!r} is not a valid e-mail address: {error}") from None
    return checked.normalized.lower()
