"""Is it fast? Every main page of every role on a large clinic, against its raw-SQL floor.

    set -a; . ./large.env; set +a      # DATABASE_URL, SECRET_KEY, FIELD_ENCRYPTION_KEYS
    .venv/bin/python -m bench --write-docs

Starts gunicorn with the repository's gunicorn.conf.py and the production settings (DEBUG off,
HTTPS as behind the proxy: requests carry X-Forwarded-Proto) plus the floor views
(bench.settings), signs in as a therapist, a supervisor and a clinic admin of the generated
clinic (`manage.py seed_load`: demo password, authenticator secret from `demo_totp_key`), then
for each page runs wrk at each concurrency, alternating page and floor `--rounds` times so that
machine noise falls on both. Prints p50, p95, requests/s, queries and the page/floor ratio of
p50; `--write-docs` puts the table into docs/PERFORMANCE.md between its bench markers.

Options: --rounds 2 --duration 3 --connections 1,20 --pages caseload,dashboard
         --workers/--threads/--worker-class (override gunicorn.conf.py, for comparisons)
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ["DEBUG"] = "0"
# Static files from the sources: the pages' HTML is the same; no collectstatic needed.
os.environ["STATIC_MANIFEST"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from bench.pages import Page, pages  # noqa: E402
from hrp.accounts.demo import DEMO_PASSWORD  # noqa: E402

WRK = "/usr/bin/wrk"
REPORT = Path(__file__).with_name("wrk_report.lua")
DOCS = ROOT / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:pages -->", "<!-- /bench:pages -->"
# Seconds after which a role signs in again before its next page (idle logoff is 15 minutes).
SIGN_IN_AGAIN = 600
# A page slower than this (seconds, one request) is measured at one connection only.
TOO_SLOW_FOR_LOAD = 8


@dataclass
class Run:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50: float  # ms
    p95: float


@dataclass
class Result:
    page: Page
    queries: int
    floor_queries: int
    runs: dict[tuple[str, int], list[Run]] = field(default_factory=dict)
    first: float = 0.0

    def stat(self, kind: str, conns: int) -> tuple[float, float, float, int]:
        runs = self.runs.get((kind, conns), [])
        if not runs:
            return (0.0, 0.0, 0.0, 0)
        seconds = sum(r.seconds for r in runs)
        return (
            statistics.median(r.p50 for r in runs),
            statistics.median(r.p95 for r in runs),
            sum(r.requests for r in runs) / seconds if seconds else 0.0,
            sum(r.errors + r.non_2xx for r in runs),
        )


# --- The server and the browser ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Http:
    """A minimal browser for one signed-in person: cookies by hand (the session cookie is
    Secure, and we speak plain HTTP to gunicorn as the TLS proxy would)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = headers["Referer"] = f"https://127.0.0.1:{self.port}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def post_form(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        _status, _headers, text = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if not match:
            raise RuntimeError(f"No form on {path}")
        return self.request("POST", path, {"csrfmiddlewaretoken": match.group(1), **form})


def sign_in(port: int, email: str) -> Http:
    browser = Http(port)
    status, headers, _text = browser.post_form(
        "/account/sign-in/", {"username": email, "password": DEMO_PASSWORD}
    )
    if status != 302:
        raise RuntimeError(f"Sign-in refused for {email} ({status}).")
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    status, headers, _text = browser.post_form(
        "/account/two-factor/", {"token": f"{totp.token():0{device.digits}d}"}
    )
    if status != 302 or "two-factor" in headers.get("location", ""):
        raise RuntimeError(f"Two-factor step refused for {email} ({status}).")
    return browser


def start_server(
    port: int, overrides: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        *overrides,
        "hrp.wsgi:application",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})})  # noqa: S603
    for _attempt in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz")


# --- wrk -----------------------------------------------------------------------------------


def wrk(browser: Http, path: str, conns: int, seconds: int) -> Run:
    command = [
        WRK,
        f"-t{min(conns, 2)}",
        f"-c{conns}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "-s",
        str(REPORT),
        "-H",
        f"Cookie: {browser.cookie_header}",
        "-H",
        "X-Forwarded-Proto: https",
        f"http://127.0.0.1:{browser.port}{path}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    requests, micros, errors, non_2xx, p50, p95, _mean = (float(x) for x in line.split()[1:])
    drain(browser.port)
    if not requests:  # nothing answered within the window: at least the window, failed
        return Run(0, micros / 1e6, conns, 0, seconds * 1000.0, seconds * 1000.0)
    return Run(int(requests), micros / 1e6, int(errors), int(non_2xx), p50 / 1000, p95 / 1000)


def drain(port: int) -> None:
    """Wait until the server has worked off what the last run left queued (wrk closes its
    connections at the end, but requests already sent are still served), so that it does not
    count against the next run."""
    fast = 0
    deadline = time.monotonic() + 120
    while fast < 2 and time.monotonic() < deadline:
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        conn.close()
        fast = fast + 1 if time.perf_counter() - started < 0.1 else 0


def probe(browser: Http, path: str) -> tuple[int, float]:
    """(queries, seconds) of one request, which must answer 200."""
    started = time.perf_counter()
    status, headers, _text = browser.request("GET", path)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return int(headers.get("x-queries", "0")), elapsed


# --- The pages -----------------------------------------------------------------------------


def floor_path(page: Page) -> str:
    return f"/_floor/{page.floor}/" + (f"?{page.floor_query}" if page.floor_query else "")


@dataclass
class Alongside:
    """A page kept busy with `conns` connections while another is measured: does one slow
    page stall the others?"""

    browser: Http
    path: str
    conns: int

    def start(self, seconds: int) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 (our own command line)
            [
                WRK,
                f"-t{min(self.conns, 2)}",
                f"-c{self.conns}",
                f"-d{seconds}s",
                "--timeout",
                "60s",
                "-H",
                f"Cookie: {self.browser.cookie_header}",
                "-H",
                "X-Forwarded-Proto: https",
                f"http://127.0.0.1:{self.browser.port}{self.path}",
            ],
            stdout=subprocess.DEVNULL,
        )


def window(first: float, conns: int, duration: int) -> int:
    """Seconds of one wrk run for a page whose single request took `first` seconds."""
    return int(min(30, max(duration, first * 3 * max(1, conns / 2))))


def measure(
    page: Page,
    browser: Http,
    *,
    conns_list: list[int],
    rounds: int,
    duration: int,
    alongside: Alongside | None = None,
) -> Result:
    queries, first = probe(browser, page.path)
    floor_queries, _ = probe(browser, floor_path(page))
    result = Result(page=page, queries=queries, floor_queries=floor_queries)
    # Each window is long enough for the page's requests to come back a few times over at
    # that concurrency (on two cores, `conns` requests of `first` seconds take about
    # conns * first / 2), and a slow page gets one round, so that the whole run stays within
    # minutes.
    page_rounds = rounds if first * 3 <= duration else 1
    result.first = first
    for conns in conns_list:
        if conns > 1 and first > TOO_SLOW_FOR_LOAD:
            continue  # shown as not run: queued behind itself it would take minutes a window
        seconds = window(first, conns, duration)
        for n in range(page_rounds):
            order = ("page", "floor") if n % 2 == 0 else ("floor", "page")
            for kind in order:
                path = page.path if kind == "page" else floor_path(page)
                busy = alongside.start(seconds + 2) if alongside else None
                if busy:
                    time.sleep(1)  # let the slow page's requests reach the workers first
                run = wrk(browser, path, conns, seconds)
                if busy:
                    busy.wait()
                result.runs.setdefault((kind, conns), []).append(run)
    return result


# --- The report ----------------------------------------------------------------------------


def clinic_size() -> str:
    with connection.cursor() as cursor:
        counts = []
        for label, table in (
            ("clients", "clients_client"),
            ("appointments", "therapy_sessions_appointment"),
            ("notes", "therapy_sessions_sessionnote"),
            ("measure results", "assessments_administration"),
            ("check-ins", "goals_usecheckin"),
            ("audit events", "audit_auditevent"),
        ):
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            estimate = cursor.fetchone()[0]
            if estimate < 0:
                # Never analysed (a freshly seeded clinic): PostgreSQL does not know yet. The
                # table is small then, so count it.
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                estimate = cursor.fetchone()[0]
            counts.append(f"{estimate:,} {label}")
    return ", ".join(counts)


def table(results: list[Result], conns_list: list[int]) -> list[str]:
    head = "| Page | Role | Queries (floor) |"
    rule = "|---|---|---|"
    for conns in conns_list:
        head += f" c={conns} p50 ms | p95 ms | req/s | floor p50 | ×floor |"
        rule += "---:|---:|---:|---:|---:|"
    lines = [head, rule]
    for result in results:
        page = result.page
        row = f"| {page.label} | {page.role} | {result.queries} ({result.floor_queries}) |"
        for conns in conns_list:
            if ("page", conns) not in result.runs:
                row += f" not run (one request took {result.first:.0f} s) | | | | |"
                continue
            p50, p95, rps, errors = result.stat("page", conns)
            f50, _f95, _frps, _ferrors = result.stat("floor", conns)
            ratio = p50 / f50 if f50 else 0
            flag = f" ({errors} failed or unanswered)" if errors else ""
            row += f" {p50:.1f}{flag} | {p95:.1f} | {rps:.1f} | {f50:.1f} | {ratio:.1f} |"
        lines.append(row)
    return lines


def write_docs(lines: list[str]) -> None:
    text = DOCS.read_text()
    block = "\n".join([START, *lines, END])
    if START in text:
        before, _old, after = text.partition(START)
        _old, _end, after = after.partition(END)
        text = before + block + after
    else:
        text = (
            text.rstrip()
            + "\n\n## Pages on the large clinic (`python -m bench`)\n\n"
            + block
            + "\n"
        )
    DOCS.write_text(text)


@dataclass
class Config:
    """One server configuration of a comparison: `class/workers/threads[/conn_max_age]`."""

    spec: str
    overrides: list[str]
    env: dict[str, str]

    @classmethod
    def parse(cls, spec: str) -> Config:
        parts = spec.split("/")
        worker_class, workers, threads = parts[:3]
        env = {"CONN_MAX_AGE": parts[3]} if len(parts) > 3 else {}
        overrides = ["--worker-class", worker_class, "--workers", workers, "--threads", threads]
        return cls(spec=spec, overrides=overrides, env=env)


def compare(
    specs: list[str],
    listed: list[Page],
    emails: dict[str, str],
    *,
    conns_list: list[int],
    rounds: int,
    duration: int,
    alongside_spec: str,
    all_pages: list[Page],
) -> list[str]:
    """Each page on several server configurations at once (one server each, idle but for the
    one being measured), alternating between them round by round so that the machine's noise
    falls on all alike. Returns the table."""
    configs = [Config.parse(spec) for spec in specs]
    servers = []
    ports = []
    try:
        for config in configs:
            ports.append(free_port())
            servers.append(start_server(ports[-1], config.overrides, config.env))
        # Sessions live in the database: one sign-in per role serves every server.
        signed = {role: sign_in(ports[0], email) for role, email in emails.items()}

        def browser(role: str, port: int) -> Http:
            copy = Http(port)
            copy.cookies = dict(signed[role].cookies)
            return copy

        busy_page = None
        if alongside_spec:
            name, _, busy_conns = alongside_spec.partition(":")
            busy_page = next(p for p in all_pages if p.floor == name)
        head = "| Page | Server (class/workers/threads[/CONN_MAX_AGE]) |"
        rule = "|---|---|"
        for conns in conns_list:
            head += f" c={conns} p50 ms | p95 ms | req/s | failed |"
            rule += "---:|---:|---:|---:|"
        lines = [head, rule]
        for page in listed:
            runs: dict[tuple[int, int], list[Run]] = {}
            _queries, first = probe(browser(page.role, ports[0]), page.path)
            for conns in conns_list:
                seconds = window(first, conns, duration)
                for n in range(rounds):
                    order = list(range(len(configs)))
                    order = order[n % len(order) :] + order[: n % len(order)]
                    for index in order:
                        port = ports[index]
                        busy = None
                        if busy_page is not None:
                            busy = Alongside(
                                browser(busy_page.role, port), busy_page.path, int(busy_conns or 4)
                            ).start(seconds + 2)
                            time.sleep(1)
                        run = wrk(browser(page.role, port), page.path, conns, seconds)
                        if busy is not None:
                            busy.wait()
                            drain(port)
                        runs.setdefault((index, conns), []).append(run)
            for index, config in enumerate(configs):
                row = f"| {page.label} | {config.spec} |"
                for conns in conns_list:
                    got = runs[(index, conns)]
                    seconds = sum(r.seconds for r in got)
                    row += (
                        f" {statistics.median(r.p50 for r in got):.1f}"
                        f" | {statistics.median(r.p95 for r in got):.1f}"
                        f" | {sum(r.requests for r in got) / seconds:.1f}"
                        f" | {sum(r.errors + r.non_2xx for r in got)} |"
                    )
                lines.append(row)
                print(row, flush=True)
        return lines
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", default="1,20")
    parser.add_argument("--pages", default="", help="comma-separated floor names to keep")
    parser.add_argument("--workers", default="")
    parser.add_argument("--threads", default="")
    parser.add_argument("--worker-class", default="")
    parser.add_argument(
        "--alongside",
        default="",
        help="floor name:connections of a page kept busy meanwhile, e.g. dashboard:4",
    )
    parser.add_argument(
        "--compare",
        default="",
        help="server configurations to compare, e.g. sync/4/1,gthread/4/4,gthread/4/4/0",
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    conns_list = [int(c) for c in args.connections.split(",")]
    overrides = []
    for name in ("workers", "threads", "worker_class"):
        if getattr(args, name):
            overrides += [f"--{name.replace('_', '-')}", getattr(args, name)]

    listed, emails = pages()
    all_pages = list(listed)
    if args.pages:
        keep = set(args.pages.split(","))
        listed = [p for p in listed if p.floor in keep or p.label in keep]
    size = clinic_size()
    connection.close()  # idle for the rest of the run: the server has its own connections
    if args.compare:
        lines = compare(
            args.compare.split(","),
            listed,
            emails,
            conns_list=conns_list,
            rounds=args.rounds,
            duration=args.duration,
            alongside_spec=args.alongside,
            all_pages=all_pages,
        )
        print(f"Compared on {size}; wrk, {args.rounds} rounds alternating between servers.")
        print("\n".join(lines))
        return
    port = free_port()
    server = start_server(port, overrides)
    try:
        browsers = {role: sign_in(port, email) for role, email in emails.items()}
        signed_at = dict.fromkeys(browsers, time.monotonic())
        alongside = None
        if args.alongside:
            name, _, conns = args.alongside.partition(":")
            busy_page = next(p for p in all_pages if p.floor == name)
            alongside = Alongside(browsers[busy_page.role], busy_page.path, int(conns or 4))
        results = []
        for page in listed:
            if time.monotonic() - signed_at[page.role] > SIGN_IN_AGAIN:
                # Idle logoff (IDLE_TIMEOUT_MINUTES) ends a role's session while others run.
                browsers[page.role] = sign_in(port, emails[page.role])
                signed_at[page.role] = time.monotonic()
            result = measure(
                page,
                browsers[page.role],
                conns_list=conns_list,
                rounds=args.rounds,
                duration=args.duration,
                alongside=alongside,
            )
            results.append(result)
            signed_at[page.role] = time.monotonic()
            print(table([result], conns_list)[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    config = " ".join(overrides) or "gunicorn.conf.py defaults"
    if args.alongside:
        config += f"; meanwhile {args.alongside} kept busy"
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {size}; "
        f"gunicorn ({config}), DEBUG off; wrk, {args.rounds} rounds of page and floor "
        f"alternating, windows of {args.duration} s or more (long enough for a few answers "
        "at each concurrency; one round for pages slower than a third of that). p50/p95 are "
        "medians over the rounds; ×floor is page p50 / floor p50.",
        "",
        *table(results, conns_list),
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_docs(lines)


if __name__ == "__main__":
    main()
