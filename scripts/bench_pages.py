"""Benchmark: queries and time for the caseload, chart and notes pages at growing caseload sizes.

Builds a throwaway database (the test database machinery: test_<name>, dropped at the end),
gives one therapist N clients, each with five measures given three times, a harm assessment,
a plan, two goals, eight weeks of check-ins and eight attended sessions (seven signed, rated
notes and one late draft), then requests each page R times and prints the
query count and the median and 95th-percentile wall time. Figures, not a test: nothing fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrp .venv/bin/python scripts/bench_pages.py

Options: --sizes 1,25,100,400  --repeat 15
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrp.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "b" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STATIC_MANIFEST"] = "0"

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from assessments.measures import MEASURES  # noqa: E402
from assessments.services import administration_record, harm_assessment_record  # noqa: E402
from clients import services as client_services  # noqa: E402
from clients.models import SubstanceUse  # noqa: E402
from goals import services as goal_services  # noqa: E402
from hrp.accounts.models import User  # noqa: E402


def build_clients(therapist: User, count: int) -> list:
    clients = []
    now = timezone.now()
    today = timezone.localdate()
    for n in range(count):
        client = client_services.intake_start(
            actor=therapist,
            legal_name=f"Bench Client {n}",
            preferred_name=f"Bench {n}",
            pronouns="",
            reason_for_coming="Benchmark",
            client_goals="Benchmark",
        )
        client_services.substances_save(
            actor=therapist,
            client=client,
            rows=[(None, {"substance": SubstanceUse.Substance.ALCOHOL, "goal": "moderation"})],
        )
        client_services.intake_complete(actor=therapist, client=client)
        substance = client.substances.get()
        for code in ("PHQ9", "GAD7", "AUDIT", "DAST10", "WHO5"):
            measure = MEASURES[code]
            for weeks_ago in (8, 4, 0):
                answers = {item.key: item.choices[0].value for item in measure.items}
                administration_record(
                    actor=therapist,
                    client=client,
                    measure_code=code,
                    answers=answers,
                    administered_at=now - datetime.timedelta(weeks=weeks_ago),
                )
        harm_assessment_record(
            actor=therapist, client=client, values={"uses_alone": True}, patterns=[]
        )
        goal_services.plan_save(
            actor=therapist,
            client=client,
            sections=[{"name": "Alcohol", "max_days_per_week": 3}],
            reason="Benchmark",
        )
        for words in ("Fewer days", "Walk more"):
            goal_services.goal_create(
                actor=therapist,
                client=client,
                values={
                    "kind": "moderation",
                    "substance": substance,
                    "client_words": words,
                    "hypothesis": "If I ..., I expect ...",
                    "target": "max_use_days",
                    "target_value": Decimal(3),
                    "start_date": today - datetime.timedelta(weeks=8),
                    "review_date": today + datetime.timedelta(days=3),
                },
            )
        for week in range(8):
            goal_services.checkin_record(
                actor=therapist,
                client=client,
                substance=substance,
                week=today - datetime.timedelta(weeks=week),
                use_days=3,
                days_above_plan=1,
            )
        build_sessions(therapist, client)
        clients.append(client)
    return clients


def build_sessions(therapist: User, client: object) -> None:
    from sessions import services as session_services
    from sessions.models import Appointment, SessionNote

    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(weeks=8), datetime.time(10), tzinfo=tz
    )
    booked = session_services.appointment_book(
        actor=therapist,
        client=client,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=50),
        modality="in_person",
        frequency="weekly",
        occurrences=8,
    )
    for index, appointment in enumerate(booked):
        session_services.appointment_record_attendance(
            actor=therapist, appointment=appointment, status="attended"
        )
        note = session_services.note_start(actor=therapist, appointment=appointment)
        values = {
            "agenda": "Agenda " * 20,
            "data": "What happened this week. " * 40,
            "assessment": "How it fits together. " * 20,
            "plan": "What to try next. " * 10,
            "overdose_risk": "none",
            "suicide_risk": "none",
            "rating_heard": 8,
            "rating_wanted": 8,
            "rating_approach": 9,
            "rating_overall": 8,
        }
        note = session_services.note_save(
            actor=therapist, note=note, expected_version=note.version, values=values
        ).note
        if index < len(booked) - 1:
            with transaction.atomic():
                locked = SessionNote.objects.select_for_update().get(pk=note.pk)
                session_services.note_sign_verified(actor=therapist, note=locked)
    assert Appointment.objects.filter(client=client, status="attended").count() == 8


def measure(http: HttpClient, path: str, repeat: int) -> tuple[int, float, float]:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(path)
    assert response.status_code == 200, (path, response.status_code)
    queries = len(ctx.captured_queries)
    timings = []
    for _i in range(repeat):
        start = time.perf_counter()
        http.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return queries, statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,25,100")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}; repeat {args.repeat}; times in ms")
        print(f"{'clients':>8} {'page':<22} {'queries':>7} {'median':>8} {'p95':>8}")
        for size in sizes:
            therapist = User.objects.create_user(
                email=f"bench{size}@clinic.test", full_name="Bench", is_therapist=True
            )
            device = TOTPDevice.objects.create(user=therapist, name="bench", confirmed=True)
            clients = build_clients(therapist, size)
            http = HttpClient()
            http.force_login(therapist)
            session = http.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
            first = clients[0].pk
            from sessions.models import SessionNote

            signed = SessionNote.objects.filter(client_id=first, status="signed").first()
            draft = SessionNote.objects.filter(client_id=first, status="draft").first()
            for label, path in [
                ("chart sessions", f"/clients/{first}/sessions/"),
                ("note (signed)", f"/clients/{first}/notes/{signed.pk}/"),
                ("note (draft editor)", f"/clients/{first}/notes/{draft.pk}/"),
                ("my notes", "/notes/"),
                ("calendar", "/calendar/"),
                ("caseload (page 1)", "/clients/"),
                ("chart overview", f"/clients/{first}/"),
                ("chart assessments", f"/clients/{first}/assessments/"),
                ("chart plan and goals", f"/clients/{first}/plan/"),
                ("measures due", "/measures/due/"),
                ("reviews due", "/goals/reviews-due/"),
            ]:
                queries, median, p95 = measure(http, path, args.repeat)
                print(f"{size:>8} {label:<22} {queries:>7} {median:>8.1f} {p95:>8.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
