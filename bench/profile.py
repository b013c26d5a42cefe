"""Where does a page's time go? Each main page of `python -m bench`, in this process, under
cProfile, with every function's own time (not cumulative, so the parts add up to the whole)
put in one of a few buckets by where its code lives:

    set -a; . ./large.env; set +a
    .venv/bin/python -m bench.profile --repeat 20 [--pages caseload,dashboard] [--top 12]

Buckets: database (the driver's execute and fetch: PostgreSQL's time plus the wire), ORM (Django
compiling queries and building model instances), templates (Django's template engine), decrypt
(hrp.crypto and the cryptography package), translation (gettext lookups), request (middleware,
sessions, auth, URL resolving, HTTP), our code (the project's own modules) and other (Python's
standard library, the rules package...). "CPU p50 ms" is this process's CPU time per request
without the profiler (time.process_time: a busy machine inflates it far less than wall time,
and it leaves out PostgreSQL's own work); the buckets are each part's share of the profiled
time, in which the database bucket is the wall time spent waiting in the driver. The production
settings apply (DEBUG off), as in the benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DEBUG"] = "0"
os.environ["STATIC_MANIFEST"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.test import Client as Browser  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from bench.buckets import bucket  # noqa: E402
from bench.pages import pages  # noqa: E402
from hrp.accounts.models import User  # noqa: E402


def browser_for(email: str) -> Browser:
    user = User.objects.get(email=email)
    browser = Browser()
    browser.force_login(user)
    session = browser.session
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser


def profile_page(browser: Browser, path: str, repeat: int) -> tuple[dict, dict, int, float]:
    for _ in range(3):  # warm caches: templates, translations, the clinic settings
        assert browser.get(path, secure=True).status_code == 200, path
    # bench.settings counts each request's queries into a header, as the benchmark reads it.
    queries = int(browser.get(path, secure=True)["X-Queries"])
    # CPU per request without the profiler (cProfile itself roughly doubles a request's time),
    # then the same number of requests under it for the split.
    cpu: list[float] = []
    for _ in range(repeat):
        started = time.process_time()
        browser.get(path, secure=True)
        cpu.append((time.process_time() - started) * 1000)
    profiler = cProfile.Profile()
    for _ in range(repeat):
        profiler.enable()
        browser.get(path, secure=True)
        profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)
    for (filename, line, name), (_cc, _nc, own, _cum, callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        functions[f"{short}:{line} {name}"] += own * 1000 / repeat
        label = bucket(filename, name)
        if filename == "~" and label == "other" and callers:
            # A builtin (getattr, isinstance, dict.get...) counts for whoever called it.
            for (caller_file, _line, caller_name), timing in callers.items():
                totals[bucket(caller_file, caller_name)] += timing[2] * 1000 / repeat
            continue
        totals[label] += own * 1000 / repeat
    return totals, functions, queries, statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pages", default="", help="comma-separated floor names to keep")
    parser.add_argument("--top", type=int, default=8, help="slowest functions (own time) per page")
    args = parser.parse_args()
    keep = {name for name in args.pages.split(",") if name}
    listed, emails = pages()
    browsers = {role: browser_for(email) for role, email in emails.items()}
    labels = ["database", "ORM", "templates", "our code", "decrypt", "translation", "request"]
    # The buckets are shares of the profiled time (they add up to 100 %), to be read against the
    # unprofiled CPU time per request.
    head = "| Page | Queries | CPU p50 ms | " + " | ".join(f"{label} %" for label in labels)
    head += " | other % |"
    print(head)
    print("|---|---:|---:|" + "---:|" * (len(labels) + 1))
    details = []
    for page in listed:
        if keep and page.floor not in keep:
            continue
        totals, functions, queries, cpu = profile_page(browsers[page.role], page.path, args.repeat)
        whole = sum(totals.values()) or 1.0
        cells = " | ".join(f"{100 * totals.get(label, 0) / whole:.0f}" for label in labels)
        print(
            f"| {page.label} | {queries} | {cpu:.1f} | {cells} | "
            f"{100 * totals.get('other', 0) / whole:.0f} |",
            flush=True,
        )
        top = sorted(functions.items(), key=lambda item: -item[1])[: args.top]
        details.append((page.label, top))
    for label, top in details:
        print(f"\n{label}: slowest functions by own time (ms per request)")
        for name, ms in top:
            print(f"  {ms:6.2f}  {name}")


if __name__ == "__main__":
    main()
