import pytest

from rotation import create_app
from rotation.config import ConfigurationError


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    from tests.conftest import ENVIRONMENT_SETTINGS

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
