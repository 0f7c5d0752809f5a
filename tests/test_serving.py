"""The access log as gunicorn writes it with ``--logger-class rotation.serving.AccessLog``."""
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from rotation.serving import AccessLog, redact

TOKEN = "BkqwQ3_KJwDR2-kcEuyZ3d5ZedMSvsOsleoTMO_s6Sk"


def logged(path: str, referer: str = "-") -> str:
    logger = AccessLog(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path,
               "QUERY_STRING": "", "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer}
    response = SimpleNamespace(status="200 OK", sent=100, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    return logger.cfg.access_log_format % atoms


def test_secret_links_are_left_out_of_the_access_log():
    for path in (f"/calendar/{TOKEN}.ics", f"/password/{TOKEN}", f"/attendance/host/{TOKEN}.sig"):
        line = logged(path, referer=f"https://rotation.example.com{path}")
        assert TOKEN not in line, line
        assert "[secret]" in line


def test_other_addresses_are_logged_as_they_are():
    for path in ("/password/forgot", "/calendar", "/calendar/link", "/calendar/shift/abc@rotation.ics",
                 "/people?q=Smith"):
        assert path in logged(path)
    assert redact("/observations/12") == "/observations/12"
