"""Benchmark: the clinic admin's audit viewer and CSV export on 1,000,000 audit events.

Builds a throwaway database (the test database machinery: test_<name>, dropped at the end),
inserts N audit events spread over a year (40 actors, 2,000 chart numbers, the actions the
apps record) with INSERT ... SELECT over generate_series in batches, on PostgreSQL (the
append-only trigger refuses only UPDATE and DELETE), then requests each page R times and
prints the query count and the median and 95th-percentile wall time. Figures, not a test:
nothing fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrp .venv/bin/python scripts/bench_audit.py

Options: --events 1000000  --repeat 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrp.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "b" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STATIC_MANIFEST"] = "0"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from hrp.accounts.models import User  # noqa: E402
from hrp.audit.models import AuditEvent  # noqa: E402
from oversight.filters import Cursor  # noqa: E402

ACTORS = 40
CHARTS = 2000
BATCH = 100_000
ACTIONS = [
    ("access", "client.view.overview"),
    ("access", "client.view.sessions"),
    ("access", "client.view.assessments"),
    ("access", "client.view.plan"),
    ("access", "client.view.timeline"),
    ("access", "client.view.intake"),
    ("access", "summary.view"),
    ("change", "note.save"),
    ("change", "note.create"),
    ("change", "appointment.book"),
    ("change", "appointment.attendance"),
    ("change", "measure.administer"),
    ("change", "goal.review"),
    ("change", "checkin.record"),
    ("change", "plan.version"),
    ("change", "intake.save"),
    ("security", "auth.login"),
    ("security", "auth.logout"),
    ("security", "two_factor.verify"),
    ("security", "auth.login_failed"),
]


def insert_events(total: int, actor_ids: list[int]) -> None:
    """N events, newest at now(), one every 31 seconds back (a year for a million)."""
    categories = "ARRAY[" + ",".join(f"'{c}'" for c, _a in ACTIONS) + "]"
    actions = "ARRAY[" + ",".join(f"'{a}'" for _c, a in ACTIONS) + "]"
    actors = "ARRAY[" + ",".join(str(i) for i in actor_ids) + "]::bigint[]"
    n_actions = len(ACTIONS)
    sql = f"""
        INSERT INTO audit_auditevent
            (at, actor_id, category, action, object_type, object_id, chart_number, changes,
             detail, ip_address, path)
        SELECT now() - (g * interval '31 seconds'),
               CASE WHEN g % {n_actions} = {n_actions - 1} THEN NULL
                    ELSE ({actors})[1 + g % {len(actor_ids)}] END,
               ({categories})[1 + g % {n_actions}],
               ({actions})[1 + g % {n_actions}],
               'clients.client', (g % {CHARTS})::text,
               CASE WHEN g % {n_actions} >= 16 THEN ''
                    ELSE 'C-' || lpad((g % {CHARTS})::text, 6, '0') END,
               CASE WHEN ({categories})[1 + g % {n_actions}] = 'change'
                    THEN '{{"reason_for_coming": ["old", "new"], "status": ["a", "b"]}}'::jsonb
                    ELSE '{{}}'::jsonb END,
               'benchmark', '10.0.0.1', '/bench/'
        FROM generate_series({{first}}, {{last}}) AS g
    """  # noqa: S608 (constants from this script)
    with connection.cursor() as cursor:
        for start in range(1, total + 1, BATCH):
            # No parameters: the SQL's "%" operators must reach PostgreSQL as written.
            last = min(start + BATCH - 1, total)
            cursor.execute(sql.replace("{first}", str(start)).replace("{last}", str(last)))
        cursor.execute("ANALYZE audit_auditevent")


def timed(call: Callable[[], object], repeat: int) -> tuple[int, float, float, float]:
    """Query count, median and p95 wall ms, and the median ms spent in SQL."""
    with CaptureQueriesContext(connection) as ctx:
        call()
    queries = len(ctx.captured_queries)
    timings, sql = [], []
    for _i in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    return queries, statistics.median(timings), p95, statistics.median(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if connection.vendor != "postgresql":
            sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://...).")
        admin = User.objects.create_user(
            email="bench.admin@clinic.test", full_name="Bench Admin", is_clinic_admin=True
        )
        staff = [
            User.objects.create_user(
                email=f"bench{n}@clinic.test", full_name=f"Bench Staff {n:02d}", is_therapist=True
            )
            for n in range(ACTORS)
        ]
        started = time.perf_counter()
        insert_events(args.events, [u.pk for u in staff])
        built = time.perf_counter() - started
        device = TOTPDevice.objects.create(user=admin, name="bench", confirmed=True)
        http = HttpClient()
        http.force_login(admin)
        session = http.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        count = AuditEvent.objects.count()
        print(f"database: {connection.vendor}; {count:,} audit events (inserted in {built:.1f} s)")
        print(f"repeat {args.repeat}; times in ms, end to end through the Django test client")
        print(f"{'page':<44} {'rows':>5} {'queries':>7} {'median':>8} {'p95':>8} {'sql':>7}")

        deep = AuditEvent.objects.order_by("-at", "-id").values_list("at", "id")[
            int(args.events * 0.9)
        ]
        deep_cursor = Cursor(at=deep[0], id=deep[1]).encode()
        day = (
            AuditEvent.objects.order_by("-at").values_list("at", flat=True)[args.events // 2]
        ).date()
        empty = {"actor": "", "chart_number": "", "action": "", "date_from": "", "date_to": ""}
        cases = [
            ("first page, no filter", {}, {}),
            ("deep keyset page (90% down), no filter", {}, {"older": deep_cursor}),
            ("filter: user", {"actor": str(staff[7].pk)}, {}),
            ("filter: user, deep page (90% of theirs)", {"actor": str(staff[7].pk)}, "deep-actor"),
            ("filter: nobody signed in", {"actor": "none"}, {}),
            ("filter: client chart number", {"chart_number": "C-000042"}, {}),
            ("filter: action (note.save)", {"action": "note.save"}, {}),
            ("filter: rare action (auth.login_failed)", {"action": "auth.login_failed"}, {}),
            ("filter: one day", {"date_from": day.isoformat(), "date_to": day.isoformat()}, {}),
            (
                "filter: user + action + 30 days",
                {
                    # Actor and action both follow the row number: staff 1 records
                    # client.view.sessions (rows 1 mod 40 are 1 mod 20).
                    "actor": str(staff[1].pk),
                    "action": "client.view.sessions",
                    "date_from": (day.replace(day=1)).isoformat(),
                    "date_to": day.isoformat(),
                },
                {},
            ),
            ("filter: chart with no events", {"chart_number": "C-ZZZZZZ"}, {}),
        ]
        for label, filters, params in cases:
            http.post("/oversight/audit/", {**empty, **filters})
            if params == "deep-actor":
                theirs = AuditEvent.objects.filter(actor=staff[7]).order_by("-at", "-id")
                n = theirs.count()
                at, pk = theirs.values_list("at", "id")[int(n * 0.9)]
                params = {"older": Cursor(at=at, id=pk).encode()}
            response = http.get("/oversight/audit/", params)
            assert response.status_code == 200, (label, response.status_code)
            rows = len(response.context["page"].rows)
            queries, median, p95, sql = timed(
                lambda p=params: http.get("/oversight/audit/", p), args.repeat
            )
            print(f"{label:<44} {rows:>5} {queries:>7} {median:>8.1f} {p95:>8.1f} {sql:>7.1f}")

        for label, filters in [
            ("CSV export: one client (chart number)", {"chart_number": "C-000042"}),
            ("CSV export: one day", {"date_from": day.isoformat(), "date_to": day.isoformat()}),
            (
                "CSV export: one user, one action",
                {"actor": str(staff[7].pk), "action": "note.save"},
            ),
        ]:
            http.post("/oversight/audit/", {**empty, **filters})

            def export() -> int:
                response = http.post("/oversight/audit/export/")
                return sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1

            rows = export()
            queries, median, p95, sql = timed(export, args.repeat)
            print(f"{label:<44} {rows:>5} {queries:>7} {median:>8.1f} {p95:>8.1f} {sql:>7.1f}")

        # The access report of one client, for completeness (all of its events, unpaginated).
        client_pk = _bench_client(admin, "C-000042")
        queries, median, p95, sql = timed(
            lambda: http.get(f"/oversight/clients/{client_pk}/access/"), args.repeat
        )
        label = "client access report (C-000042)"
        print(f"{label:<44} {'':>5} {queries:>7} {median:>8.1f} {p95:>8.1f} {sql:>7.1f}")
        queries, median, p95, sql = timed(lambda: http.get("/oversight/users/"), args.repeat)
        label = "user activity (41 accounts)"
        print(f"{label:<44} {'':>5} {queries:>7} {median:>8.1f} {p95:>8.1f} {sql:>7.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _bench_client(admin: User, chart_number: str) -> int:
    from clients.models import Client

    therapist = User.objects.filter(is_therapist=True).first()
    client = Client.objects.create(
        chart_number=chart_number,
        legal_name="Bench Client",
        preferred_name="Bench",
        therapist=therapist,
        created_by=therapist,
    )
    return client.pk


if __name__ == "__main__":
    main()
