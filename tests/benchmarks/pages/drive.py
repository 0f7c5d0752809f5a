"""Every page each role reaches, checked once and then loaded: one client for latency, sixteen for throughput."""
from __future__ import annotations

import html
import http.client
import math
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.benchmarks.pages.company import COMMON_SURNAME, PASSWORD
from tests.benchmarks.pages.serve import Load, Server, fetch, load, sign_in

DAILY = 0.3      # pages managers and executives open every day
WORKING = 0.1    # HR's and owners' working pages, and every other page
FEED_304 = 0.7   # a calendar app's poll of an unchanged feed
P95_MS, P99_MS = 100, 200
LONGEST_RUN = 60  # seconds of one wrk run, at most
DROPPED = (OSError, http.client.HTTPException)  # the connection closed before the whole answer came


@dataclass
class Page:
    role: str
    path: str
    target: float = WORKING
    last_page: bool = False              # the path's last page, found from its pager
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200

    @property
    def label(self) -> str:
        return self.path + (" (last page)" if self.last_page else "")

    def shown(self, path: str) -> str:
        """The address as the table shows it: the last page's own, a feed's token left out."""
        if self.role == "feed":
            return re.sub(r"/calendar/[^/]+\.ics", "/calendar/<token>.ics", path)
        return path + (" (last page)" if self.last_page else "")


@dataclass
class Result:
    page: Page
    path: str = ""                       # what was requested (the last page's own address)
    status: int = 0
    problem: str | None = None           # why it failed
    skipped: str | None = None           # why it was not measured although nothing failed
    one: Load | None = None
    many: Load | None = None

    def misses(self, bare: float) -> list[str]:
        if self.problem:
            return [self.problem.splitlines()[0]]
        if self.skipped:
            return []
        assert self.one is not None and self.many is not None, "measured before it is judged"
        if not self.one.requests or not self.many.requests:
            return ["no request completed"]
        missed = []
        if self.one.p95 > P95_MS:
            missed.append(f"p95 {self.one.p95:.0f} ms > {P95_MS}")
        if self.one.p99 > P99_MS:
            missed.append(f"p99 {self.one.p99:.0f} ms > {P99_MS}")
        if self.many.rate / bare < self.page.target:
            missed.append(f"×{self.many.rate / bare:.3f} < {self.page.target}")
        errors = self.one.errors + self.many.errors + self.one.failures + self.many.failures
        if errors:
            missed.append(f"{errors} non-2xx/3xx or failed requests")
        return missed


def pages(note: dict) -> list[Page]:
    samples, year = note["samples"], note["year"] + 1
    person, employee = samples["manager_person_id"], samples["manager_employee_id"]
    site, token = samples["site_code"], samples["feed_tokens"]["manager"]
    q = COMMON_SURNAME
    hr = [
        "/", "/people", f"/people?q={q}", "/people?in_rotation=yes", ("/people", True), f"/people/{person}",
        f"/assignments/?year={year}", f"/assignments/?year={year}&status=published&kind=warehouse&site=WH01",
        f"/assignments/?year={year}&q={q}", (f"/assignments/?year={year}", True),
        f"/assignments/{samples['next_year_assignment_id']}",
        f"/schedule/{year}", f"/schedule/{year}?manager={employee}", f"/schedule/{year}?status=published&site={site}",
        (f"/schedule/{year}", True), f"/schedule/{year}/sites", f"/schedule/{year}/sites?period={year}-03",
        "/coverage/", f"/coverage/?root={employee}", "/coverage/export.csv",
        f"/plan/{year}", f"/plan/{year}/changes", f"/plan/{year}/unplaced",
        "/outbox/", "/outbox/?status=failed", f"/outbox/?purpose=reminder&q={q}", ("/outbox/", True),
        "/changes/", "/changes/?status=approved", "/attendance/", ("/attendance/", True), "/sites",
        f"/sites/{site}?year={year}", "/blackouts", "/imports", "/process-map/"]
    admin = ["/", "/accounts", ("/accounts", True)]
    owner = ["/", "/problems/", ("/problems/", True), "/problems/triage", ("/problems/triage", True),
             f"/problems/{samples['problem_id']}", "/observations/areas", ("/observations/areas", True),
             "/insights/"]
    daily = {"/", "/my/", "/observations/", "/observations/new", "/news/", "/calendar"}
    managers = ["/", "/my/", "/observations/", "/observations/new", f"/observations/{samples['observation_id']}",
                "/news/", "/calendar", "/coverage/"]
    listed = []
    for role, paths in (("hr", hr), ("admin", admin), ("owner", owner), ("manager", managers), ("ceo", managers)):
        for entry in paths:
            path, last = entry if isinstance(entry, tuple) else (entry, False)
            listed.append(Page(role, path, DAILY if role in ("manager", "ceo") and path in daily else WORKING,
                               last_page=last))
    listed.append(Page("feed", f"/calendar/{token}.ics"))
    listed.append(Page("feed", f"/calendar/{token}.ics", FEED_304, headers={"If-None-Match": "(its ETag)"},
                       expect=304))
    return listed


def last_page_path(server: Server, cookie: str, path: str) -> str | None:
    """The address of the list's last page: its pager's ``rel="last"`` link, else ``page=N`` of "Page 1 of N"."""
    answer = fetch(server.base, path, {"Cookie": cookie})
    text = answer.body.decode("utf-8", "replace")
    link = re.search(r'<a[^>]*href="([^"]+)"[^>]*rel="last"', text) or \
        re.search(r'<a[^>]*rel="last"[^>]*href="([^"]+)"', text)
    if link:
        return html.unescape(link.group(1))
    count = re.search(r"Page\s+1\s+of\s+([\d,]+)", text)
    if count is None or int(count.group(1).replace(",", "")) < 2:
        return None
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query))
    query["page"] = count.group(1).replace(",", "")
    return f"{parts.path}?{urlencode(query)}"


def drive(server: Server, wrk: str, note: dict, chosen: list[Page], seconds: int, progress) -> list[Result]:
    """Sign each role in, check each page answers as it should, then load it with wrk."""
    cookies = {login["role"]: sign_in(server.base, login["email"], PASSWORD) for login in note["logins"]}
    results = []
    for page in chosen:
        result = Result(page, page.path)
        headers = {"Cookie": cookies[page.role]} if page.role in cookies else {}
        if page.last_page:
            try:
                last = last_page_path(server, headers["Cookie"], page.path)
            except DROPPED as error:
                result.problem = f"its first page gave no whole answer ({error.__class__.__name__})"
                results.append(result)
                progress(result)
                continue
            if last is None:
                result.skipped = "one page only"
                results.append(result)
                progress(result)
                continue
            result.path = last
        if page.expect == 304:
            first = fetch(server.base, result.path, headers)
            headers["If-None-Match"] = first.headers.get("etag", "")
        offset = server.log_size()
        started = time.perf_counter()
        try:
            answer = fetch(server.base, result.path, headers)
        except DROPPED as error:  # a worker killed for its timeout, or crashed
            answer = None
            result.problem = (f"no whole answer ({error.__class__.__name__}: {error}) after "
                              f"{time.perf_counter() - started:.0f} s")
        took = time.perf_counter() - started
        if answer is not None and answer.status != page.expect:
            where = answer.headers.get("location", "")
            result.status = answer.status
            result.problem = f"answered {answer.status}{' → ' + where if where else ''}, not {page.expect}"
        if result.problem:
            trace = server.log_since(offset).strip()
            if trace:
                result.problem += "\n" + trace[-4000:]
        else:
            url = server.base + result.path
            # A slow page gets longer runs, so that even then each client finishes a few requests.
            longer = max(seconds, min(LONGEST_RUN, 6 * seconds, math.ceil(20 * took)))
            result.one = load(wrk, url, headers, 1, longer)
            result.many = load(wrk, url, headers, 16, longer)
        results.append(result)
        progress(result)
    return results
