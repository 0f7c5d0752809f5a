"""Configuration from the environment, as documented in the README.

Every variable is optional. ``create_app(test_config)`` applies the test
configuration last, so tests never depend on the developer's environment.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "ROTATION_BASE_URL": "http://127.0.0.1:5000",
    "ROTATION_MAIL_FROM": "rotation@localhost",
    "ROTATION_SMTP_HOST": "localhost",
    "ROTATION_SMTP_PORT": 25,
    "ROTATION_SMTP_USER": None,
    "ROTATION_SMTP_PASSWORD": None,
    "ROTATION_SMTP_SECURITY": "none",
    "ROTATION_PROXIES": 0,
    # The organizer mailbox, where attendees' answers to invitations and bounces arrive; unset: not read.
    "ROTATION_IMAP_HOST": None,
    "ROTATION_IMAP_PORT": None,
    "ROTATION_IMAP_USER": None,
    "ROTATION_IMAP_PASSWORD": None,
    "ROTATION_IMAP_SECURITY": "ssl",
    "ROTATION_IMAP_FOLDER": "INBOX",
    # Whole days before each shift at which its attendee gets a reminder; "none" sends none.
    "ROTATION_REMINDER_DAYS": "7,1",
    # Days after a shift's end during which its person may still file observations about it.
    "ROTATION_OBSERVATION_DAYS": 14,
    # Where evidence files are kept (outside the web root); the instance folder's "evidence" when unset.
    "ROTATION_EVIDENCE_DIR": None,
}

SMTP_SECURITY_CHOICES = ("none", "starttls", "ssl")
# A reminder further ahead than a year would be about a shift not yet planned.
MAX_REMINDER_DAYS = 365


class ConfigurationError(RuntimeError):
    """A configuration value that the app cannot start with."""


def settings_from_environment(instance_path: str) -> dict:
    """Read the documented environment variables into Flask config keys."""
    env = os.environ
    settings: dict = {}
    for key, default in DEFAULTS.items():
        settings[key] = env.get(key) or default
    for key in ("ROTATION_SMTP_PORT", "ROTATION_PROXIES", "ROTATION_OBSERVATION_DAYS", "ROTATION_IMAP_PORT"):
        if settings[key] is None:
            continue
        try:
            settings[key] = int(settings[key])
        except ValueError:
            raise ConfigurationError(f"{key} must be a whole number, not {env.get(key)!r}.") from None
    private_folder(Path(instance_path))
    settings["SQLALCHEMY_DATABASE_URI"] = env.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "rotation.sqlite3")
    )
    private_sqlite_file(settings["SQLALCHEMY_DATABASE_URI"])
    settings["SECRET_KEY"] = env.get("SECRET_KEY") or _instance_secret_key(instance_path)
    settings["ROTATION_EVIDENCE_DIR"] = settings["ROTATION_EVIDENCE_DIR"] or str(Path(instance_path) / "evidence")
    return settings


def check_settings(config: dict) -> None:
    """Refuse to start with values that would fail later in a confusing way."""
    security = config["ROTATION_SMTP_SECURITY"]
    if security not in SMTP_SECURITY_CHOICES:
        raise ConfigurationError(
            f"ROTATION_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, not {security!r}."
        )
    imap_security = str(config.get("ROTATION_IMAP_SECURITY") or "ssl").lower()
    if imap_security not in SMTP_SECURITY_CHOICES:
        raise ConfigurationError(
            f"ROTATION_IMAP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, not {imap_security!r}."
        )
    base_url = config["ROTATION_BASE_URL"]
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"ROTATION_BASE_URL must start with http:// or https://, not {base_url!r}."
        )
    config["ROTATION_BASE_URL"] = base_url.rstrip("/")
    if config["ROTATION_PROXIES"] < 0:
        raise ConfigurationError("ROTATION_PROXIES must be 0 or more: the number of reverse proxies in front.")
    config["ROTATION_REMINDER_DAYS"] = reminder_days(config["ROTATION_REMINDER_DAYS"])
    if not 0 <= config["ROTATION_OBSERVATION_DAYS"] <= 365:
        raise ConfigurationError("ROTATION_OBSERVATION_DAYS must be from 0 to 365: the days after a shift during "
                                 f"which observations may be filed, not {config['ROTATION_OBSERVATION_DAYS']!r}.")


def setting_warnings(config: dict) -> list[str]:
    """Settings Rotation runs with but that lose something a person would miss: each a sentence to log at start."""
    warnings = []
    domain = str(config["ROTATION_MAIL_FROM"]).rpartition("@")[2].strip().lower()
    if domain == "localhost" or domain.endswith(".localhost"):
        warnings.append(
            f"ROTATION_MAIL_FROM is {config['ROTATION_MAIL_FROM']}: calendar apps send people's answers to the "
            "invitations (accept, decline, propose a new time) to this address, and nothing receives mail at "
            "localhost. Set it to a mailbox that does.")
    return warnings


def reminder_days(value) -> tuple[int, ...]:
    """``ROTATION_REMINDER_DAYS`` as a tuple of whole days, largest first; empty when reminders are off.

    Takes the environment's text ("7,1", "none") or, from a test configuration,
    a tuple or list of days.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "none":
            return ()
        parts = [part.strip() for part in text.split(",")]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ConfigurationError(
                "ROTATION_REMINDER_DAYS must be whole days before a shift separated by commas, "
                f"such as 7,1, or none; not {value!r}."
            )
        days = [int(part) for part in parts]
    elif isinstance(value, (tuple, list)) and all(isinstance(day, int) and not isinstance(day, bool)
                                                   for day in value):
        days = list(value)
    else:
        raise ConfigurationError(
            f"ROTATION_REMINDER_DAYS must be whole days before a shift, such as 7,1, or none; not {value!r}."
        )
    if not all(1 <= day <= MAX_REMINDER_DAYS for day in days):
        raise ConfigurationError(
            f"ROTATION_REMINDER_DAYS must be days from 1 to {MAX_REMINDER_DAYS} before a shift, "
            f"such as 7,1, or none; not {value!r}."
        )
    return tuple(sorted(set(days), reverse=True))


def private_folder(path: Path) -> None:
    """The instance folder (the key, the SQLite file, evidence) exists and only its owner may enter it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:  # not ours to change: the operator chose its permissions
        pass


def private_sqlite_file(url: str) -> None:
    """A SQLite database file that does not exist yet is created readable by its owner only."""
    if not url.startswith("sqlite:///") or url in ("sqlite://", "sqlite:///:memory:"):
        return
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    if path.name and not path.exists() and path.parent.is_dir():
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _instance_secret_key(instance_path: str) -> str:
    """A key generated on first start and kept, so sessions survive restarts.

    Several processes may start at once (gunicorn's workers, the worker beside the server): the key is
    written whole to a file of its own and then linked into place, so the first to link wins and every
    other process reads that same key, never a half-written one.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created readable by the owner only; it signs every session.
    draft = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink(missing_ok=True)
    return key
