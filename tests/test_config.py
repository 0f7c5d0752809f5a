import pytest

from rotation import create_app
from rotation.config import ConfigurationError


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    from tests.helpers import ENVIRONMENT_SETTINGS

    for name in ENVIRONMENT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_defaults(clean_environment):
    app = create_app({"INSTANCE_PATH": str(clean_environment)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_environment / 'rotation.sqlite3'}"
    assert app.config["ROTATION_BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["ROTATION_MAIL_FROM"] == "rotation@localhost"
    assert app.config["ROTATION_SMTP_HOST"] == "localhost"
    assert app.config["ROTATION_SMTP_PORT"] == 25
    assert app.config["ROTATION_SMTP_SECURITY"] == "none"
    assert app.config["ROTATION_SMTP_USER"] is None


def test_secret_key_is_generated_once_and_kept(clean_environment):
    first = create_app({"INSTANCE_PATH": str(clean_environment)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(clean_environment)}).config["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (clean_environment / "secret_key").stat().st_mode & 0o077 == 0


def test_processes_starting_at_once_all_sign_with_the_same_key(clean_environment):
    """gunicorn's workers and the background worker may generate the key at the same moment."""
    import concurrent.futures
    import multiprocessing

    from rotation.config import _instance_secret_key

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(6, mp_context=context) as pool:
        keys = list(pool.map(_instance_secret_key, [str(clean_environment)] * 12))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert [path.name for path in clean_environment.iterdir()] == ["secret_key"]


def test_environment_variables_are_read(clean_environment, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://rotation@db.internal/rotation")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("ROTATION_BASE_URL", "https://rotation.example.com/")
    monkeypatch.setenv("ROTATION_MAIL_FROM", "rotation@example.com")
    monkeypatch.setenv("ROTATION_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("ROTATION_SMTP_PORT", "587")
    monkeypatch.setenv("ROTATION_SMTP_USER", "rotation")
    monkeypatch.setenv("ROTATION_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("ROTATION_SMTP_SECURITY", "starttls")
    config = create_app({"INSTANCE_PATH": str(clean_environment)}).config
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://rotation@db.internal/rotation"
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["ROTATION_BASE_URL"] == "https://rotation.example.com"
    assert config["ROTATION_SMTP_PORT"] == 587
    assert config["ROTATION_SMTP_SECURITY"] == "starttls"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (clean_environment / "secret_key").exists()


@pytest.mark.parametrize("name, value, message", [
    ("ROTATION_SMTP_SECURITY", "tls", "ROTATION_SMTP_SECURITY must be one of none, starttls, ssl"),
    ("ROTATION_SMTP_PORT", "twenty-five", "ROTATION_SMTP_PORT must be a whole number"),
    ("ROTATION_BASE_URL", "rotation.example.com", "ROTATION_BASE_URL must start with http:// or https://"),
    ("ROTATION_PROXIES", "yes", "ROTATION_PROXIES must be a whole number"),
    ("ROTATION_PROXIES", "-1", "ROTATION_PROXIES must be 0 or more"),
])
def test_bad_settings_are_refused_with_a_sentence(clean_environment, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        create_app({"INSTANCE_PATH": str(clean_environment)})


def test_reminders_go_a_week_and_a_day_before_by_default(clean_environment):
    assert create_app({"INSTANCE_PATH": str(clean_environment)}).config["ROTATION_REMINDER_DAYS"] == (7, 1)


@pytest.mark.parametrize("value, days", [
    ("7,1", (7, 1)),
    ("1, 7", (7, 1)),
    (" 14 ,7,1,7 ", (14, 7, 1)),
    ("3", (3,)),
    ("none", ()),
    ("None", ()),
    ("", (7, 1)),  # empty is the same as not set
])
def test_reminder_days_are_read_from_the_environment(clean_environment, monkeypatch, value, days):
    monkeypatch.setenv("ROTATION_REMINDER_DAYS", value)
    assert create_app({"INSTANCE_PATH": str(clean_environment)}).config["ROTATION_REMINDER_DAYS"] == days


@pytest.mark.parametrize("value, days", [((7, 1), (7, 1)), ([1, 2], (2, 1)), ((), ()), ("none", ())])
def test_reminder_days_may_be_given_in_the_test_configuration(clean_environment, value, days):
    app = create_app({"INSTANCE_PATH": str(clean_environment), "ROTATION_REMINDER_DAYS": value})
    assert app.config["ROTATION_REMINDER_DAYS"] == days


@pytest.mark.parametrize("value", ["0", "7,0", "-1", "1.5", "7;1", "7,,1", "a week", "+7", "366", "off", "7,1,"])
def test_bad_reminder_days_are_refused_with_a_sentence(clean_environment, monkeypatch, value):
    import re

    monkeypatch.setenv("ROTATION_REMINDER_DAYS", value)
    with pytest.raises(ConfigurationError, match=r"^ROTATION_REMINDER_DAYS must be .* such as 7,1, or none; "
                                                 rf"not '{re.escape(value)}'\.$"):
        create_app({"INSTANCE_PATH": str(clean_environment)})


@pytest.mark.parametrize("value", [(0,), [7, "1"], (True,), 7])
def test_bad_reminder_days_in_the_test_configuration_are_refused(clean_environment, value):
    with pytest.raises(ConfigurationError, match="ROTATION_REMINDER_DAYS must be"):
        create_app({"INSTANCE_PATH": str(clean_environment), "ROTATION_REMINDER_DAYS": value})


def test_the_instance_folder_is_made_private_even_when_the_key_is_given(clean_environment, monkeypatch):
    """``make run`` with SECRET_KEY set: the folder for the SQLite file exists, only its owner may enter it,
    and the database file is created readable by its owner only."""
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    instance = clean_environment / "instance"
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.config["SECRET_KEY"] == "k" * 64
    assert instance.is_dir() and instance.stat().st_mode & 0o777 == 0o700
    database = instance / "rotation.sqlite3"
    assert database.is_file() and database.stat().st_mode & 0o077 == 0
    assert not (instance / "secret_key").exists()


def test_an_instance_folder_others_could_read_is_closed_at_start(clean_environment):
    instance = clean_environment / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    create_app({"INSTANCE_PATH": str(instance)})
    assert instance.stat().st_mode & 0o777 == 0o700


def test_an_organizer_address_at_localhost_is_warned_about_at_start(clean_environment, monkeypatch, caplog):
    """Nothing receives the attendees' answers at localhost: the app starts, and says so in its log."""
    with caplog.at_level("WARNING", logger="rotation"):
        create_app({"INSTANCE_PATH": str(clean_environment)})
    assert any("ROTATION_MAIL_FROM is rotation@localhost" in record.getMessage()
               and "nothing receives mail at localhost" in record.getMessage() for record in caplog.records)

    caplog.clear()
    monkeypatch.setenv("ROTATION_MAIL_FROM", "rotation@example.com")
    with caplog.at_level("WARNING", logger="rotation"):
        create_app({"INSTANCE_PATH": str(clean_environment)})
    assert not [record for record in caplog.records if "ROTATION_MAIL_FROM" in record.getMessage()]
