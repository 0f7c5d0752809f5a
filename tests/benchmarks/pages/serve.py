"""Serving with gunicorn (two workers), signing in over HTTP, and loading pages with wrk."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPOSITORY = Path(__file__).resolve().parents[3]
USER_AGENT = "bench-pages"
WORKERS = 2
# wrk's summary as one JSON line; latencies in microseconds.
DONE_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d, "max": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def require_wrk() -> str:
    """wrk's path; installed from Debian when running as root, otherwise how to install it."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("make bench-pages needs the load generator wrk: apt-get install -y wrk")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """``gunicorn -w 2 APP`` on a free local port, its error log in a file."""

    app: str
    environment: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="bench-pages-", suffix=".log")[1])
        env = dict(os.environ, **self.environment)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", self.app],
            cwd=REPOSITORY, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn {self.app} stopped:\n{self.log.read_text()[-3000:]}")
            if len(self.workers()) == WORKERS:
                try:
                    fetch(self.base, "/")
                    return self
                except OSError:
                    pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn {self.app} did not answer within two minutes")

    def __exit__(self, *_) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.unlink(missing_ok=True)

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        if self.process is None:
            return []
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def peak_mib(self) -> list[float]:
        """Each worker's peak resident memory (VmHWM), in MiB."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            assert match, pid
            peaks.append(int(match.group(1)) / 1024)
        return peaks

    def log_since(self, offset: int) -> str:
        return self.log.read_text(errors="replace")[offset:] if self.log else ""

    def log_size(self) -> int:
        return len(self.log.read_text(errors="replace")) if self.log else 0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str]


def fetch(base: str, path: str, headers: dict[str, str] | None = None, form: dict | None = None) -> Answer:
    """One request, redirects not followed."""
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=300)
    try:
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request("POST" if form is not None else "GET", path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";")[0]
        return Answer(response.status, {key.lower(): value for key, value in response.getheaders()}, data, cookies)
    finally:
        connection.close()


def sign_in(base: str, email: str, password: str) -> str:
    """POST /login with the form's CSRF token; the ``Cookie`` header of the signed-in session."""
    page = fetch(base, "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.body) or \
        re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', page.body)
    if page.status != 200 or token is None:
        raise SystemExit(f"GET /login answered {page.status} without a CSRF token")
    cookies = dict(page.cookies)
    answer = fetch(base, "/login", {"Cookie": _cookie(cookies)},
                   form={"csrf_token": token.group(1).decode(), "email": email, "password": password})
    cookies.update(answer.cookies)
    if answer.status not in (302, 303) or answer.headers.get("location", "").rstrip("/").endswith("/login"):
        raise SystemExit(f"signing in as {email} failed: {answer.status}\n{answer.body[:600]!r}")
    return _cookie(cookies)


def _cookie(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second, the errors, latency percentiles in milliseconds."""

    requests: int
    seconds: float
    errors: int       # non-2xx/3xx answers
    failures: int     # connections refused, reset, timed out
    p50: float
    p95: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(wrk: str, url: str, headers: dict[str, str], clients: int, seconds: int) -> Load:
    """``wrk -t(1 or 2) -c<clients> -d<seconds>s`` on ``url`` with ``headers``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(DONE_SCRIPT)
    try:
        args = [wrk, f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s", "-s", script.name]
        for name, value in {"User-Agent": USER_AGENT, **headers}.items():
            args += ["-H", f"{name}: {value}"]
        result = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 180)
    finally:
        os.unlink(script.name)
    line = next((line for line in result.stdout.splitlines() if line.startswith('{"requests"')), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {url}:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    figures = json.loads(line)
    return Load(requests=figures["requests"], seconds=figures["duration"] / 1e6, errors=figures["status"],
                failures=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
                p50=figures["p50"] / 1000, p95=figures["p95"] / 1000, p99=figures["p99"] / 1000)
