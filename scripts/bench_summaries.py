"""Benchmark: time to prepare progress summaries (figures, HTML, PDF) for N clients with one
worker, and the worker's peak memory. Figures, not a test: nothing fails.

Builds a throwaway database (the test database machinery: test_<name>, dropped at the end),
gives each of N clients 90 days of work (12 appointments: 8 attended with rated notes, 2 not
attended, 2 cancelled; 2 goals with a review; 12 weeks of use check-ins for one substance;
PHQ-9 and GAD-7 three times each), asks for one summary per client and times them all.

With REDIS_URL (and a PostgreSQL DATABASE_URL the worker can share), one real worker process
(`celery worker --pool=solo`, its own queue) prepares them over Redis; the peak RSS is the
worker's VmHWM from /proc. Otherwise, or with --in-process, they are prepared in this process
one after another and the peak RSS is this process's (resource.getrusage).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrp REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python scripts/bench_summaries.py --clients 30

Options: --clients 30 (or 1000)  --in-process

The monthly round (`--monthly`) runs on the database in DATABASE_URL as it is, e.g. a copy of
the large generated clinic (20,000 clients), never a throwaway one: the beat's own service
creates last month's summary for every active client and publishes them in groups to a
private queue served by --workers real worker processes (solo pool, the production command
line). It waits until every summary is done or --seconds have passed, then prints the wall
time, the ms per summary (wall and the workers' CPU), the extrapolated time of the whole round
and each worker's peak RSS (VmHWM). The rows it created are deleted at the end (--keep keeps
them); summaries not prepared when time ran out stay queued until then.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrp_large_copy REDIS_URL=redis://... \
        FIELD_ENCRYPTION_KEYS=... SECRET_KEY=... \
        .venv/bin/python scripts/bench_summaries.py --monthly --workers 2 --seconds 600

`--profile` prepares one summary of the client with the most appointments, in this process,
under cProfile, and prints where its time goes (figures, page, WeasyPrint's parse, layout and
drawing, storing), on the database in DATABASE_URL as it is.

`--downloads N` times the first download of N monthly summaries (the round stores them
without their PDF; `summary_download` makes, stores and serves it), then a second download of
each, on the database in DATABASE_URL as it is (the N busiest active clients, last month).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrp.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "b" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STATIC_MANIFEST"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.measures import MEASURES  # noqa: E402
from assessments.models import Administration  # noqa: E402
from clients.models import Client, Intake, SubstanceUse  # noqa: E402
from goals.models import Goal, GoalReview, UseCheckIn  # noqa: E402
from hrp.accounts.models import User  # noqa: E402
from sessions.models import Appointment, SessionNote  # noqa: E402
from summaries import services  # noqa: E402
from summaries.models import SummaryRequest  # noqa: E402
from summaries.selectors import default_period  # noqa: E402


def _answers(code: str, points: int) -> dict[str, str]:
    """A complete answer set whose raw total is `points` (items filled in order)."""
    answers = {}
    for item in MEASURES[code].items:
        best = max(c.points for c in item.choices)
        take = min(best, points)
        answers[item.key] = next(c.value for c in item.choices if c.points == take)
        points -= take
    return answers


def build_clients(therapist: User, count: int) -> list[int]:
    """N clients with 90 days of work, in bulk (the services would audit every row)."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    clients = Client.objects.bulk_create(
        [
            Client(
                chart_number=f"C-B{n:05d}",
                legal_name=f"Bench Client {n}",
                preferred_name=f"Bench {n}",
                status=Client.Status.ACTIVE,
                therapist=therapist,
                created_by=therapist,
            )
            for n in range(count)
        ]
    )
    Intake.objects.bulk_create(
        [Intake(client=c, completed_at=timezone.now(), current_step="review") for c in clients]
    )
    substances = SubstanceUse.objects.bulk_create(
        [
            SubstanceUse(client=c, substance=SubstanceUse.Substance.ALCOHOL, goal="moderation")
            for c in clients
        ]
    )
    statuses = [Appointment.Status.ATTENDED] * 8 + [
        Appointment.Status.NO_SHOW,
        Appointment.Status.NO_SHOW,
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.CANCELLED_CLINIC,
    ]
    appointments = []
    for client in clients:
        for i, status in enumerate(statuses):
            starts = datetime.datetime.combine(
                today - datetime.timedelta(days=7 * i + 1), datetime.time(10), tzinfo=tz
            )
            appointments.append(
                Appointment(
                    client=client,
                    therapist=therapist,
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(minutes=50),
                    status=status,
                    created_by=therapist,
                )
            )
    appointments = Appointment.objects.bulk_create(appointments, batch_size=2000)
    SessionNote.objects.bulk_create(
        [
            SessionNote(
                appointment=a,
                client=a.client,
                author=therapist,
                data="Benchmark note.",
                rating_heard=8,
                rating_wanted=8,
                rating_approach=7,
                rating_overall=8,
            )
            for a in appointments
            if a.status == Appointment.Status.ATTENDED
        ],
        batch_size=2000,
    )
    goals = Goal.objects.bulk_create(
        [
            Goal(
                client=c,
                kind=Goal.Kind.MODERATION,
                substance=s,
                client_words="Drink on three days a week at most",
                hypothesis="If I plan weekends, I expect to feel in control.",
                target=Goal.Target.MAX_USE_DAYS,
                target_value=Decimal(3),
                start_date=today - datetime.timedelta(days=120),
                review_date=today + datetime.timedelta(days=20),
                created_by=therapist,
            )
            for c, s in zip(clients, substances, strict=True)
        ]
        + [
            Goal(
                client=c,
                kind=Goal.Kind.LIFE,
                client_words="Walk to work twice a week",
                start_date=today - datetime.timedelta(days=60),
                review_date=today + datetime.timedelta(days=10),
                created_by=therapist,
            )
            for c in clients
        ]
    )
    GoalReview.objects.bulk_create(
        [
            GoalReview(
                goal=g,
                reviewed_on=today - datetime.timedelta(days=30),
                what_happened="Within the plan most weeks.",
                realistic=GoalReview.Realistic.PARTLY,
                learned="Weekends are the hard part.",
                decision=GoalReview.Decision.KEEP,
                next_review_date=today + datetime.timedelta(days=20),
                reviewed_by=therapist,
            )
            for g in goals
        ]
    )
    UseCheckIn.objects.bulk_create(
        [
            UseCheckIn(
                client=c,
                substance=s,
                week_start=monday - datetime.timedelta(weeks=w),
                use_days=2 + w % 4,
                days_above_plan=w % 3,
                # Typed by hand: the stored rule (UseCheckIn.resolve_days_above_plan) holds.
                above_plan_corrected=w % 3,
                recorded_by=therapist,
            )
            for c, s in zip(clients, substances, strict=True)
            for w in range(1, 13)
        ],
        batch_size=2000,
    )
    administrations = []
    for client in clients:
        for code, totals in (("PHQ9", (14, 10, 6)), ("GAD7", (12, 9, 5))):
            measure = MEASURES[code]
            for weeks, raw in zip((10, 6, 2), totals, strict=True):
                answers = _answers(code, raw)
                score = measure.score(answers)
                administrations.append(
                    Administration(
                        client=client,
                        measure_code=code,
                        answers=answers,
                        score=score,
                        band=measure.band(score).key,
                        administered_at=timezone.now() - datetime.timedelta(weeks=weeks),
                        administered_by=therapist,
                    )
                )
    Administration.objects.bulk_create(administrations, batch_size=2000)
    return [c.pk for c in clients]


def request_summaries(client_ids: list[int], therapist: User) -> list[int]:
    start, end = default_period()
    rows = SummaryRequest.objects.bulk_create(
        [
            SummaryRequest(client_id=pk, period_start=start, period_end=end, requested_by=therapist)
            for pk in client_ids
        ]
    )
    return [r.pk for r in rows]


def _peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_with_worker(summary_ids: list[int]) -> tuple[float, int]:
    """Publish every summary to a private queue served by one solo worker; wait for all."""
    import redis

    # The same worker command line the tests use (scripts run from the project root).
    from tests.workers import database_url, worker_command

    queue = f"hrp-bench-summaries-{uuid.uuid4().hex}"
    settings.SUMMARIES_QUEUE = queue
    env = {**os.environ, "DATABASE_URL": database_url(), "CONN_MAX_AGE": "60"}
    peak = 0
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(  # noqa: S603 - our own celery binary, fixed arguments
            worker_command(queue),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            began = time.perf_counter()
            for pk in summary_ids:
                services._publish(pk)
            pending = SummaryRequest.objects.filter(pk__in=summary_ids).exclude(
                status__in=[SummaryRequest.Status.DONE, SummaryRequest.Status.FAILED]
            )
            while pending.exists():
                peak = max(peak, _peak_rss_kib(worker.pid))
                if worker.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"worker exited:\n{log.read().decode()[-4000:]}")
                time.sleep(0.2)
            elapsed = time.perf_counter() - began
            peak = max(peak, _peak_rss_kib(worker.pid))
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
            broker = redis.Redis.from_url(settings.REDIS_URL)
            broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    return elapsed, peak


def run_in_process(summary_ids: list[int]) -> tuple[float, int]:
    began = time.perf_counter()
    for pk in summary_ids:
        services.summary_build(summary_id=pk)
    elapsed = time.perf_counter() - began
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def monthly_round(*, workers: int, seconds: float, today: datetime.date, keep: bool) -> None:
    """The beat's monthly round on this database with `workers` real worker processes."""
    import redis

    from tests.workers import worker_command

    queue = f"hrp-bench-monthly-{uuid.uuid4().hex}"
    settings.SUMMARIES_QUEUE = queue
    start, _end = services.previous_month(today)
    monthly = SummaryRequest.objects.filter(kind=SummaryRequest.Kind.MONTHLY, period_start=start)
    existing = set(monthly.values_list("pk", flat=True))
    env = {**os.environ, "CONN_MAX_AGE": "600"}
    logs = [tempfile.TemporaryFile() for _ in range(workers)]  # noqa: SIM115 - closed below
    procs = [
        subprocess.Popen(  # noqa: S603 - our own celery binary, fixed arguments
            worker_command(queue, name=f"bench{i}-{uuid.uuid4().hex[:6]}@%h"),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for i, log in enumerate(logs)
    ]
    peaks = dict.fromkeys((p.pid for p in procs), 0)
    created: list[int] = []
    try:
        time.sleep(3)  # let the workers connect before the messages arrive
        cpu_before = {p.pid: _cpu_seconds(p.pid) for p in procs}
        began = time.perf_counter()
        count = services.monthly_summaries_create(today=today)
        publish_seconds = time.perf_counter() - began
        created = sorted(set(monthly.values_list("pk", flat=True)) - existing)
        print(
            f"monthly round for {start:%Y-%m}: {count} summaries created and published in "
            f"groups of {getattr(services, 'MONTHLY_GROUP_SIZE', 1)} in {publish_seconds:.1f} s"
        )
        # By the round's own columns, not a list of 20,000 ids (this runs every few seconds).
        pending = monthly.filter(status__in=["queued", "running"]).exclude(pk__in=existing)
        last_report = began
        while True:
            for proc in procs:
                peaks[proc.pid] = max(peaks[proc.pid], _peak_rss_kib(proc.pid))
                if proc.poll() is not None:
                    raise SystemExit(f"a worker exited with {proc.returncode}")
            left = pending.count()
            now = time.perf_counter()
            if not left or now - began > seconds:
                break
            if now - last_report > 60:
                last_report = now
                rss = ", ".join(f"{_peak_rss_kib(p.pid) / 1024:.0f}" for p in procs)
                print(
                    f"  {now - began:5.0f} s: {len(created) - left} done, peak RSS MiB {rss}",
                    flush=True,
                )
            time.sleep(2)
        elapsed = time.perf_counter() - began
        cpu = sum(_cpu_seconds(p.pid) - cpu_before[p.pid] for p in procs)
        states = dict(
            SummaryRequest.objects.filter(pk__in=created)
            .values_list("status")
            .annotate(n=django.db.models.Count("id"))
            .order_by()
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        broker = redis.Redis.from_url(settings.REDIS_URL)
        broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        for log in logs:
            log.close()
    done = states.get("done", 0)
    print(f"workers: {workers} (solo pool)  states: {states}")
    if done:
        per = 1000 * elapsed / done
        print(
            f"wall: {elapsed:.1f} s for {done} summaries: {per:.0f} ms a summary for the round, "
            f"{1000 * cpu / done:.0f} ms of worker CPU each"
        )
        print(
            f"whole round of {len(created)}: {elapsed / 60:.1f} min measured"
            if done == len(created)
            else f"whole round of {len(created)} at this rate: {per * len(created) / 60000:.1f} min"
        )
    print("peak RSS per worker: " + ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks.values()))
    if not keep and created:
        deleted = 0
        for index in range(0, len(created), 5000):
            deleted += SummaryRequest.objects.filter(pk__in=created[index : index + 5000]).delete()[
                0
            ]
        print(f"deleted the {deleted} summaries this run created (--keep keeps them)")


def profile_one() -> None:
    """One summary of the busiest client, in-process under cProfile, by stage."""
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from hrp.core.middleware import activate_clinic_time_zone

    activate_clinic_time_zone()
    client = (
        Client.objects.filter(status=Client.Status.ACTIVE)
        .annotate(n=Count("appointments"))
        .order_by("-n")
        .first()
    )
    start, end = services.previous_month(timezone.localdate())
    made = []
    for _ in range(4):
        made.append(
            SummaryRequest.objects.create(client=client, period_start=start, period_end=end).pk
        )
    services.summary_build(summary_id=made[0])  # warm: templates, fonts
    # Wall-clock timer: a query's wait for the database counts, as it does for the round.
    profiler = cProfile.Profile()
    began, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for pk in made[1:]:
            services.summary_build(summary_id=pk)
        profiler.disable()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    runs = len(made) - 1
    stats = pstats.Stats(profiler)
    stages = {
        "summary_build (all)": ("summaries/services.py", "summary_build"),
        "figures (summary_client + summaries_data)": ("summaries/services.py", "_content"),
        "  of which SQL (psycopg execute)": ("django/db/backends/utils.py", "_execute"),
        "page (Django templates)": ("django/template/loader.py", "render_to_string"),
        "PDF (html_to_pdf)": ("hrp/pdf.py", "html_to_pdf"),
        "  HTML parse (tinyhtml5)": ("weasyprint/__init__.py", "__init__"),
        "  styles (cascade)": ("weasyprint/css/__init__.py", "get_all_computed_styles"),
        "  boxes (formatting structure)": (
            "formatting_structure/build.py",
            "build_formatting_structure",
        ),
        "  layout": ("weasyprint/layout/__init__.py", "layout_document"),
        "  writing (drawing and PDF objects)": ("weasyprint/pdf/__init__.py", "generate_pdf"),
        "    drawing the pages": ("weasyprint/document.py", "paint"),
        "      of which SVG charts": ("weasyprint/svg/__init__.py", "draw"),
    }
    found = {}
    for (path, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for label, (suffix, function) in stages.items():
            if path.endswith(suffix) and name == function:
                found[label] = found.get(label, 0.0) + row[3]
    total = found.get("summary_build (all)", 0.0) or 1.0
    print(f"client with {client.n} appointments; period {start} to {end}; {runs} builds")
    print(
        f"per summary: {1000 * wall / runs:.0f} ms wall, {1000 * cpu / runs:.0f} ms CPU "
        f"(profiled: slower than unprofiled), {len(queries) // runs} queries"
    )
    for label in stages:
        value = found.get(label, 0.0)
        print(f"  {label:<45} {100 * value / total:5.1f} %")
    SummaryRequest.objects.filter(pk__in=made).delete()


def first_downloads(count: int) -> None:
    """The first download of monthly summaries (stored without their PDF by the round): the
    `count` busiest active clients get last month's summary prepared as the round does it,
    then each PDF is made, stored and served by `summary_download` (the view's service), timed
    per summary; then a second download of each (the stored PDF, no rendering)."""
    from django.db.models import Count

    from hrp.core.middleware import activate_clinic_time_zone

    activate_clinic_time_zone()
    clients = list(
        Client.objects.filter(status=Client.Status.ACTIVE)
        .annotate(n=Count("appointments"))
        .order_by("-n")[:count]
    )
    start, end = services.previous_month(timezone.localdate())
    made = [
        SummaryRequest.objects.get_or_create(
            kind=SummaryRequest.Kind.MONTHLY,
            client=client,
            period_start=start,
            defaults={"period_end": end},
        )
        for client in clients
    ]
    created = [summary.pk for summary, new in made if new]
    services.summaries_build(summary_ids=created)
    try:
        timings = []
        for summary, _new in made:
            row = SummaryRequest.objects.select_related("client").get(pk=summary.pk)
            assert row.is_done and row.pdf is None, "not a summary waiting for its PDF"
            actor = row.client.therapist
            began, cpu = time.perf_counter(), time.process_time()
            pdf = services.summary_download(actor=actor, summary=row)
            first = (time.perf_counter() - began, time.process_time() - cpu)
            again = SummaryRequest.objects.select_related("client").get(pk=summary.pk)
            began, cpu = time.perf_counter(), time.process_time()
            same = services.summary_download(actor=actor, summary=again)
            second = (time.perf_counter() - began, time.process_time() - cpu)
            assert pdf is not None and same == pdf
            timings.append((first, second, len(pdf)))
        for index, ((wall, cpu), (wall2, cpu2), size) in enumerate(timings):
            print(
                f"summary {index + 1} ({clients[index].n} appointments): first download "
                f"{1000 * wall:.0f} ms wall, {1000 * cpu:.0f} ms CPU; second "
                f"{1000 * wall2:.0f} ms wall, {1000 * cpu2:.0f} ms CPU; PDF {size / 1024:.0f} KiB"
            )
        warm = sorted(first for first, _second, _size in timings[1:])
        if warm:
            wall, cpu = warm[len(warm) // 2]
            print(
                f"median first download after the first (warm process): {1000 * wall:.0f} ms "
                f"wall, {1000 * cpu:.0f} ms CPU"
            )
    finally:
        SummaryRequest.objects.filter(pk__in=created).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--monthly", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3600)
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--downloads", type=int, default=0)
    args = parser.parse_args()
    if args.profile:
        profile_one()
        return
    if args.downloads:
        first_downloads(args.downloads)
        return
    if args.monthly:
        monthly_round(
            workers=args.workers,
            seconds=args.seconds,
            today=args.today or timezone.localdate(),
            keep=args.keep,
        )
        return

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        therapist = User.objects.create_user(
            email="bench-therapist@clinic.test", full_name="Bench Therapist", is_therapist=True
        )
        began = time.perf_counter()
        client_ids = build_clients(therapist, args.clients)
        print(f"built {args.clients} clients in {time.perf_counter() - began:.1f} s")
        summary_ids = request_summaries(client_ids, therapist)

        use_worker = (
            not args.in_process and bool(settings.REDIS_URL) and connection.vendor == "postgresql"
        )
        mode = "one real worker over Redis (solo pool)" if use_worker else "in-process"
        elapsed, peak_kib = (run_with_worker if use_worker else run_in_process)(summary_ids)

        states = dict(
            SummaryRequest.objects.filter(pk__in=summary_ids)
            .values_list("status")
            .annotate(n=django.db.models.Count("id"))
            .order_by()
        )
        sizes = [
            len(r)
            for r in SummaryRequest.objects.filter(pk__in=summary_ids, status="done")
            .values_list("pdf", flat=True)
            .iterator()
        ]
        print(f"mode: {mode}")
        print(f"summaries: {len(summary_ids)}  states: {states}")
        print(f"total: {elapsed:.1f} s  per summary: {1000 * elapsed / len(summary_ids):.0f} ms")
        print(f"peak RSS of the process preparing them: {peak_kib / 1024:.0f} MiB")
        if sizes:
            print(f"PDF size: mean {sum(sizes) / len(sizes) / 1024:.0f} KiB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
