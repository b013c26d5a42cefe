"""How values are shown (hrp/formats.py and its template filters): the exact strings of each
kind, in the clinic's time zone (across daylight-saving changes), real plurals, score bands,
names; that no template or module formats a date by itself; and the strings on real pages."""

from __future__ import annotations

import datetime
import io
import re
import tokenize
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from assessments.measures import MEASURES
from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from summaries import services as summary_services
from summaries.models import SummaryRequest
from tests.assessments.factories import AdministrationFactory
from tests.clients.factories import ClientFactory
from tests.pdftext import pdf_text, words

ROOT = Path(settings.BASE_DIR)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = datetime.UTC


def _utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clinic_zone() -> object:
    # The clinic's zone, as the middleware activates it for every request.
    with timezone.override(NEW_YORK):
        yield


# --- Each kind ---------------------------------------------------------------------------------


def test_spanish_dates_for_what_a_client_reads() -> None:
    """Printed plans and the pages a client opens from a link follow the client's language:
    dates as Spanish writes them, month and weekday names from Django's catalogue; machine
    forms stay ISO."""
    moment = _utc(2026, 12, 4, 19, 30, 5)

    with translation.override("es"):
        shown = [
            formats.date(moment),
            formats.weekday_datetime(moment),
            formats.month(datetime.date(2026, 1, 9)),
            formats.date_range(datetime.date(2026, 11, 1), datetime.date(2026, 12, 4)),
            formats.iso_date(moment),
        ]
    assert shown == [
        "4 de diciembre de 2026",
        "viernes 4 de diciembre de 2026, 14:30",
        "enero de 2026",
        "1 de noviembre – 4 de diciembre de 2026",
        "2026-12-04",
    ]
    assert formats.date(moment) == "4 Dec 2026"  # and back to English outside


def test_dates_times_and_date_times() -> None:
    moment = _utc(2026, 12, 4, 19, 30, 5)  # 14:30:05 in New York (EST, UTC-5)

    assert formats.date(moment) == "4 Dec 2026"
    assert formats.date(datetime.date(2026, 1, 9)) == "9 Jan 2026"
    assert formats.day_month(datetime.date(2026, 1, 9)) == "9 Jan"
    assert formats.month(datetime.date(2026, 12, 1)) == "Dec 2026"
    assert formats.weekday_date(moment) == "Fri 4 Dec 2026"
    assert formats.time(moment) == "14:30"
    assert formats.time(datetime.time(9, 5)) == "09:05"
    assert formats.precise_time(moment) == "14:30:05"
    assert formats.datetime_(moment) == "4 Dec 2026, 14:30"
    assert formats.precise_datetime(moment) == "4 Dec 2026, 14:30:05"
    assert formats.weekday_datetime(moment) == "Fri 4 Dec 2026, 14:30"
    assert formats.date(None) == ""
    assert formats.datetime_(None) == ""


def test_a_date_time_shows_the_clinics_day_not_utcs() -> None:
    # 03:00 UTC on the 5th is still the evening of the 4th in New York.
    late = _utc(2026, 12, 5, 3, 0)

    assert formats.date(late) == "4 Dec 2026"
    assert formats.datetime_(late) == "4 Dec 2026, 22:00"
    assert formats.iso_date(late) == "2026-12-04"
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert formats.datetime_(late) == "5 Dec 2026, 04:00"


def test_daylight_saving_changes_follow_the_clinics_zone() -> None:
    # 8 Mar 2026: clocks in New York jump from 02:00 EST to 03:00 EDT.
    assert formats.time(_utc(2026, 3, 8, 6, 59)) == "01:59"
    assert formats.time(_utc(2026, 3, 8, 7, 0)) == "03:00"
    # 1 Nov 2026: 01:00-02:00 happens twice; an hour-long session shows the same wall times.
    start, end = _utc(2026, 11, 1, 5, 30), _utc(2026, 11, 1, 6, 30)
    assert formats.datetime_range(start, end) == "Sun 1 Nov 2026, 01:30\u201301:30"
    assert formats.iso_datetime(start) == "2026-11-01T01:30:00-04:00"
    assert formats.iso_datetime(end) == "2026-11-01T01:30:00-05:00"


def test_ranges_on_one_day_and_across_days() -> None:
    same_day = (_utc(2026, 12, 4, 19, 0), _utc(2026, 12, 4, 19, 50))
    overnight = (_utc(2026, 12, 5, 3, 0), _utc(2026, 12, 5, 6, 0))

    assert formats.datetime_range(*same_day) == "Fri 4 Dec 2026, 14:00\u201314:50"
    assert formats.datetime_range(*overnight) == (
        "Fri 4 Dec 2026, 22:00 \u2013 Sat 5 Dec 2026, 01:00"
    )
    assert formats.datetime_range(same_day[0], None) == "Fri 4 Dec 2026, 14:00"
    day = datetime.date
    assert formats.date_range(day(2026, 12, 4), day(2026, 12, 4)) == "4 Dec 2026"
    assert formats.date_range(day(2026, 11, 1), day(2026, 12, 4)) == "1 Nov \u2013 4 Dec 2026"
    assert formats.date_range(day(2025, 12, 1), day(2026, 1, 4)) == ("1 Dec 2025 \u2013 4 Jan 2026")
    assert formats.date_range(day(2026, 11, 1), None) == "from 1 Nov 2026"
    assert formats.date_range(None, day(2026, 11, 1)) == "until 1 Nov 2026"


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0, "0 min"),
        (1, "1 min"),
        (50, "50 min"),
        (60, "1 h"),
        (90, "1 h 30 min"),
        (datetime.timedelta(minutes=125), "2 h 5 min"),
        (None, ""),
    ],
)
def test_durations(minutes: object, shown: str) -> None:
    assert formats.duration(minutes) == shown


def test_hours_kept_as_hours_read_as_a_duration() -> None:
    assert formats.hours(1.5) == "1 h 30 min"
    assert formats.hours(0.25) == "15 min"


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0 appointments booked."), (1, "1 appointment booked."), (2, "2 appointments booked.")],
)
def test_counts_have_real_plurals(n: int, shown: str) -> None:
    assert formats.count(n, "%(n)d appointment booked.", "%(n)d appointments booked.") == shown


def test_a_score_shows_its_band_in_a_word() -> None:
    audit_c = MEASURES["AUDITC"]

    # Was "10 (positive (4+))": the short label carries no threshold of its own.
    assert formats.score(10, band=audit_c.band(10).short_label) == "10 (positive)"
    assert formats.score(3, band=audit_c.band(3).short_label) == "3 (positive for women)"
    assert formats.score(52, unit="%") == "52%"
    assert formats.score(None) == ""


def test_a_band_shows_the_scores_it_covers() -> None:
    audit_c, phq9 = MEASURES["AUDITC"], MEASURES["PHQ9"]

    # Was "Positive for women (3+) 3-3".
    assert formats.band_range(audit_c.band(3)) == "Positive for women (3+): 3"
    assert formats.band_range(phq9.band(7)) == "Mild: 5\u20139"


def test_names_preferred_first_legal_where_it_matters() -> None:
    assert formats.person_name("Sam", "Samuel Ortiz") == "Sam"
    assert formats.person_name("", "Samuel Ortiz") == "Samuel Ortiz"
    assert formats.person_name("Sam", "Samuel Ortiz", legal_too=True) == (
        "Sam (legal name: Samuel Ortiz)"
    )
    assert formats.person_name("Samuel Ortiz", "Samuel Ortiz", legal_too=True) == "Samuel Ortiz"


def test_machine_values_are_iso_whatever_the_language() -> None:
    moment = _utc(2026, 12, 4, 19, 30, 5)

    assert formats.iso_date(datetime.date(2026, 1, 9)) == "2026-01-09"
    assert formats.iso_time(moment) == "14:30"
    assert formats.iso_datetime_local(moment) == "2026-12-04T14:30"
    assert formats.iso_month(datetime.date(2026, 1, 9)) == "2026-01"
    assert formats.iso_datetime(moment) == "2026-12-04T14:30:05-05:00"
    assert formats.date_stamp(datetime.date(2026, 1, 9)) == "20260109"
    assert formats.utc_stamp(moment) == "20261204T193005Z"
    assert formats.utc_minute_stamp(moment) == "20261204T1930"
    assert formats.local_stamp(moment) == "20261204-1430"


def test_the_template_filters_are_builtins_over_the_module() -> None:
    template = engines["django"].from_string(
        "{{ m|as_date }}|{{ m|as_datetime }}|{{ m|as_weekday_datetime }}|{{ m|as_time }}|"
        "{{ m|iso_datetime }}|{{ m|iso_date }}|{{ 90|as_duration }}|{{ a|as_date_range:b }}|"
        "{{ m|as_datetime_range:n }}|{{ band|as_band_range:'' }}"
    )
    context = {
        "m": _utc(2026, 12, 4, 19, 30),
        "n": _utc(2026, 12, 4, 20, 20),
        "a": datetime.date(2026, 11, 1),
        "b": datetime.date(2026, 12, 4),
        "band": MEASURES["AUDITC"].band(3),
    }

    assert template.render(context) == (
        "4 Dec 2026|4 Dec 2026, 14:30|Fri 4 Dec 2026, 14:30|14:30|2026-12-04T14:30:00-05:00|"
        "2026-12-04|1 h 30 min|1 Nov \u2013 4 Dec 2026|Fri 4 Dec 2026, 14:30\u201315:20|"
        "Positive for women (3+): 3"
    )


# --- Nobody formats a date by themselves -------------------------------------------------------

# Django's own date filters and tags: a template shows dates through the as_*/iso_* filters.
TEMPLATE_FORMATTING = re.compile(
    r"\|\s*(date|time|timesince|timeuntil|naturaltime|naturalday)\b|\{%\s*now\b"
)
# In Python: strftime, Django's formatters, and date directives in a string or an f-string spec
# ("%Y", "%H:%M", "{day:%d %b}"). "%d" alone is a number placeholder ("%d summaries"), not a date.
PYTHON_CALLS = re.compile(r"\bstrftime\(|\bdate_format\(|\btime_format\(|\bdateformat\.")
DATE_DIRECTIVE = re.compile(r"%[YHMSbBaAjpIy]|%m\b|%d[-/ .]%")
FSTRING_DATE_SPEC = re.compile(r"\{[^{}]*:%[A-Za-z]")
DJANGO_FORMAT_NAMES = re.compile(r"\b(SHORT_)?(DATE|DATETIME|TIME|YEAR_MONTH|MONTH_DAY)_FORMAT\b")
# The module itself, and developer tools whose output is a terminal or a benchmark log, never a
# page a person at the clinic reads.
PYTHON_EXEMPT = {Path("hrp/formats.py")}
PYTHON_SKIPPED_DIRS = {
    ".venv",
    "tests",
    "migrations",
    "node_modules",
    "bench",
    "scripts",
    "staticfiles",
}


def _template_files() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html")) + sorted(
        (ROOT / "templates").rglob("*.txt")
    )
    for app_dir in ROOT.iterdir():
        if app_dir.is_dir() and app_dir.name not in PYTHON_SKIPPED_DIRS:
            found += sorted(p for p in app_dir.rglob("templates/**/*") if p.is_file())
    return found


def _python_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if set(relative.parts[:-1]) & PYTHON_SKIPPED_DIRS or relative in PYTHON_EXEMPT:
            continue
        files.append(path)
    return files


def _python_offences(path: Path) -> list[str]:
    source = path.read_text()
    offences = []
    for number, line in enumerate(source.splitlines(), start=1):
        if PYTHON_CALLS.search(line) or FSTRING_DATE_SPEC.search(line):
            offences.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    # Date directives and Django's format names inside string literals only (not comments).
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING and token.type != getattr(tokenize, "FSTRING_MIDDLE", -1):
            continue
        if DATE_DIRECTIVE.search(token.string) or DJANGO_FORMAT_NAMES.search(token.string):
            line = source.splitlines()[token.start[0] - 1].strip()
            offences.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {line}")
    return sorted(set(offences))


def test_the_scans_see_the_files() -> None:
    # A walk that finds nothing would pass whatever the sources hold.
    assert len(_template_files()) > 150
    assert Path(ROOT / "sessions/views.py") in _python_files()
    assert Path(ROOT / "hrp/formats.py") not in _python_files()


def test_no_template_formats_a_date_itself() -> None:
    offences = []
    for path in _template_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in TEMPLATE_FORMATTING.finditer(line):
                offences.append(
                    f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r}: use a filter of "
                    "hrp/core/templatetags/hrp_format.py (as_date, as_datetime, iso_date, ...)"
                )
    assert offences == []


def test_no_python_module_formats_a_date_itself() -> None:
    offences = [o for path in _python_files() for o in _python_offences(path)]
    assert offences == [], "format dates with hrp/formats.py:\n" + "\n".join(offences)


def test_the_scan_catches_each_way_of_formatting(tmp_path: Path) -> None:
    # Each pattern the scan exists for is caught (a scan that cannot fail proves nothing).
    samples = [
        'day.strftime("%d %b")',
        'date_format(day, "DATE_FORMAT")',
        'f"{day:%Y-%m-%d}"',
        'FORMAT = "%H:%M"',
        'kind = "SHORT_DATE_FORMAT"',
    ]
    for sample in samples:
        path = ROOT / "tests" / "core" / "_scan_sample.py"
        try:
            path.write_text(sample + "\n")
            assert len(_python_offences(path)) >= 1, sample
        finally:
            path.unlink()
    for sample in ['{{ d|date:"j M" }}', "{{ t|time }}", "{{ d|timesince }}", '{% now "Y" %}']:
        assert TEMPLATE_FORMATTING.search(sample), sample
    assert not TEMPLATE_FORMATTING.search("{{ d|as_date }} {{ d|iso_datetime }} {{ x|datetime_x }}")
    assert _python_offences_of('logger.info("%d summaries sent", n)') == []


def _python_offences_of(code: str) -> list[str]:
    path = ROOT / "tests" / "core" / "_scan_sample.py"
    try:
        path.write_text(code + "\n")
        return _python_offences(path)
    finally:
        path.unlink()


# --- On the pages ------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_chart_shows_a_score_with_its_band_and_the_intake_date(
    therapist: User, client_for
) -> None:
    record = ClientFactory(therapist=therapist, intake__completed_at=_utc(2026, 12, 4, 9, 48))
    AdministrationFactory(
        client=record,
        measure_code="AUDITC",
        raw_total=10,
        administered_at=_utc(2026, 12, 1, 17, 0),
        administered_by=therapist,
    )
    user = client_for(therapist)

    overview = user.get(reverse("clients:chart", args=[record.pk])).content.decode()
    intake = user.get(reverse("clients:intake", args=[record.pk])).content.decode()

    assert (
        '<strong>10</strong> <span class="small text-body-secondary">(positive, 1 Dec 2026)</span>'
        in overview
    )
    # Was "Completed Dec. 4, 2026, 4:48 a.m..": one full stop, the clinic's time.
    assert "Completed 4 Dec 2026, 04:48.</p>" in intake


def test_the_access_log_shows_labels_not_codes(therapist: User, client_for) -> None:
    record = ClientFactory(therapist=therapist)
    user = client_for(therapist)
    user.get(reverse("clients:access_log", args=[record.pk]))

    page = user.get(reverse("clients:access_log", args=[record.pk])).content.decode()

    assert f"Access: {AuditAction.CLIENT_VIEW_ACCESS.label}" in page
    assert "client.view.access" not in page


def test_the_summary_pdf_shows_dates_as_people_read_them(therapist: User) -> None:
    record: Client = ClientFactory(therapist=therapist)
    summary = SummaryRequest.objects.create(
        client=record,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        requested_by=therapist,
    )
    summary_services.summary_build(summary_id=summary.pk)
    summary.refresh_from_db()

    text = words(pdf_text(summary.pdf_bytes()))

    assert "Period: 1 Jan 2026 to 31 Jan 2026" in text
    assert "2026-01-01" not in text
