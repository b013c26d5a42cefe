"""How each kind of value is shown: the one place (templates use the filters of
hrp/core/templatetags/hrp_format.py, which call these functions; Python code calls them directly).

For people (pages, PDFs, in-app messages and reminders), in the active language and the clinic's
time zone (`timezone.localtime`: the clinic's zone is activated per request and per task by
hrp/core/middleware.py): a date reads "4 Dec 2026", a time "14:30", a date-time "4 Dec 2026, 14:30",
with the weekday "Fri 4 Dec 2026" / "Fri 4 Dec 2026, 14:30". Month and weekday names go through
Django's translations, so another language only needs its patterns in `PATTERNS`.

For machines (named `iso_*`/`*_stamp`, never shown as text to a person): the `value` of
`<input type=date|time|datetime-local|month>`, the `datetime` attribute of `<time>`, query
parameters, CSV columns meant for software, chart data keys and file names. They are ISO 8601 and
do not depend on the language.

No other module holds a date format string, calls `strftime` or Django's `date`/`time` filters:
tests/core/test_formats.py walks the sources and templates to keep it so.
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol

from django.utils import dateformat, timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Patterns per language (Django's date format characters). "en" is the default for any language
# that has none of its own.
PATTERNS: dict[str, dict[str, str]] = {
    "en": {
        "date": "j M Y",
        "day_month": "j M",
        "month": "M Y",
        "weekday_date": "D j M Y",
        # A day's heading inside a week or month that is already named: "Mon 4".
        "weekday_day": "D j",
        "time": "H:i",
        "datetime": "j M Y, H:i",
        "weekday_datetime": "D j M Y, H:i",
        # With seconds: the audit trail and "saved at" notices, where the order of events in
        # one minute matters.
        "precise_time": "H:i:s",
        "precise_datetime": "j M Y, H:i:s",
    },
    # Spanish (what a client reads: printed plans, pages opened from a link): "4 de diciembre
    # de 2026", as Spanish writes dates; Django's catalogue gives the month and weekday names.
    "es": {
        "date": r"j \d\e F \d\e Y",
        "day_month": r"j \d\e F",
        "month": r"F \d\e Y",
        "weekday_date": r"l j \d\e F \d\e Y",
        "weekday_day": "D j",
        "time": "H:i",
        "datetime": r"j \d\e F \d\e Y, H:i",
        "weekday_datetime": r"l j \d\e F \d\e Y, H:i",
        "precise_time": "H:i:s",
        "precise_datetime": r"j \d\e F \d\e Y, H:i:s",
    },
}

# Machine forms (language-independent).
ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
ISO_MONTH = "%Y-%m"
# A moment in UTC to the second: backup file names, iCalendar, a free slot in a booking link.
UTC_STAMP = "%Y%m%dT%H%M%SZ"
# What a date-and-time field accepts: the browser's datetime-local value, or a space between.
DATETIME_INPUT_FORMATS = (ISO_DATETIME_LOCAL, "%Y-%m-%d %H:%M")
EN_DASH = "\u2013"


def _pattern(kind: str) -> str:
    language = (translation.get_language() or "en").split("-")[0]
    return PATTERNS.get(language, PATTERNS["en"])[kind]


def _local(value: datetime.datetime) -> datetime.datetime:
    """An aware date-time in the clinic's (active) time zone; a naive one is taken as local."""
    if timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _day(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return _local(value).date()
    return value


def _format(value: Any, kind: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    elif isinstance(value, datetime.time):
        return dateformat.time_format(value, _pattern(kind))
    return dateformat.format(value, _pattern(kind))


# --- For people -------------------------------------------------------------------------------


def date(value: datetime.date | datetime.datetime | None) -> str:
    """4 Dec 2026 (a date-time shows its day in the clinic's time zone)."""
    return _format(value, "date")


def day_month(value: datetime.date | datetime.datetime | None) -> str:
    """4 Dec: only where the year is plain from the page (a calendar week, a chart axis)."""
    return _format(value, "day_month")


def month(value: datetime.date | datetime.datetime | None) -> str:
    """Dec 2026."""
    return _format(value, "month")


def weekday_date(value: datetime.date | datetime.datetime | None) -> str:
    """Fri 4 Dec 2026."""
    return _format(value, "weekday_date")


def weekday_day(value: datetime.date | datetime.datetime | None) -> str:
    """Fri 4: a day's heading inside a week or month already named on the page."""
    return _format(value, "weekday_day")


def today() -> str:
    """Today's date in the clinic's time zone, as `date` shows it (printed pages)."""
    return date(timezone.localdate())


def time(value: datetime.time | datetime.datetime | None) -> str:
    """14:30 (24-hour, in the clinic's time zone)."""
    return _format(value, "time")


def datetime_(value: datetime.datetime | None) -> str:
    """4 Dec 2026, 14:30."""
    return _format(value, "datetime")


def weekday_datetime(value: datetime.datetime | None) -> str:
    """Fri 4 Dec 2026, 14:30: appointments, where the weekday helps."""
    return _format(value, "weekday_datetime")


def precise_time(value: datetime.time | datetime.datetime | None) -> str:
    """14:30:05."""
    return _format(value, "precise_time")


def precise_datetime(value: datetime.datetime | None) -> str:
    """4 Dec 2026, 14:30:05."""
    return _format(value, "precise_datetime")


def time_ago(value: datetime.datetime | None) -> str:
    """3 hours, 5 minutes: how long ago, for a sentence such as "saved %(when)s ago"."""
    if value in (None, ""):
        return ""
    return timesince(value)


def date_range(start: datetime.date | None, end: datetime.date | None) -> str:
    """1 Nov - 4 Dec 2026; 4 Dec 2026 when both are the same day; 1 Dec 2025 - 4 Jan 2026 across
    years; an open end reads "from 1 Nov 2026"."""
    if start is None and end is None:
        return ""
    if end is None:
        return _("from %(start)s") % {"start": date(start)}
    if start is None:
        return _("until %(end)s") % {"end": date(end)}
    first, last = _day(start), _day(end)
    if first == last:
        return date(first)
    left = day_month(first) if first.year == last.year else date(first)
    return f"{left} {EN_DASH} {date(last)}"


def datetime_range(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    """Fri 4 Dec 2026, 14:00-14:50 on one day (in the clinic's time zone);
    Fri 4 Dec 2026, 22:00 - Sat 5 Dec 2026, 01:00 across days."""
    if start is None:
        return ""
    if end is None:
        return weekday_datetime(start)
    if _day(start) == _day(end):
        return f"{weekday_datetime(start)}{EN_DASH}{time(end)}"
    return f"{weekday_datetime(start)} {EN_DASH} {weekday_datetime(end)}"


def duration(minutes: int | float | datetime.timedelta | None) -> str:
    """50 min; 1 h; 1 h 30 min (whole minutes, rounded)."""
    if minutes is None or minutes == "":
        return ""
    if isinstance(minutes, datetime.timedelta):
        minutes = minutes.total_seconds() / 60
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


def hours(value: float | int | None) -> str:
    """A number of hours kept as hours (1.5 -> 1 h 30 min)."""
    if value is None or value == "":
        return ""
    return duration(float(value) * 60)


def count(n: int, singular: str, plural: str) -> str:
    """'1 appointment', '2 appointments': callers pass gettext-marked words through ngettext
    themselves when the sentence is longer; this is the short form for a bare count."""
    return ngettext(singular, plural, n) % {"n": n}


class _BandLike(Protocol):
    label: str
    low: int
    high: int


def score(value: int | None, *, unit: str = "", band: str = "") -> str:
    """10 (positive): the score with its unit and the band in a word or two (the band's short
    label, which never carries its own threshold, so nothing nests in brackets)."""
    if value is None:
        return ""
    shown = f"{value}{unit}"
    return f"{shown} ({band})" if band else shown


def band_range(band: _BandLike, unit: str = "") -> str:
    """'Positive for women (3+): 3', 'Mild: 5-9': a band and the scores it covers."""
    if band.low == band.high:
        scores = f"{band.low}{unit}"
    else:
        scores = f"{band.low}{EN_DASH}{band.high}{unit}"
    return f"{band.label}: {scores}"


def person_name(preferred: str, legal: str, *, legal_too: bool = False) -> str:
    """The name a client goes by; with `legal_too` (documents that leave the clinic, identity
    checks) also the legal name when it differs: 'Sam (legal name: Samuel Ortiz)'."""
    shown = preferred or legal
    if legal_too and preferred and legal and preferred != legal:
        return _("%(name)s (legal name: %(legal)s)") % {"name": shown, "legal": legal}
    return shown


# --- For machines -----------------------------------------------------------------------------


def iso_date(value: datetime.date | datetime.datetime | None) -> str:
    """2026-12-04: input values, query parameters, CSV for software (a date-time: its local day)."""
    if value in (None, ""):
        return ""
    return _day(value).strftime(ISO_DATE)


def iso_time(value: datetime.time | datetime.datetime | None) -> str:
    """14:30 for `<input type=time>`."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    return value.strftime(ISO_TIME)


def iso_datetime_local(value: datetime.datetime | None) -> str:
    """2026-12-04T14:30 for `<input type=datetime-local>` (clinic time, no offset)."""
    if value in (None, ""):
        return ""
    return _local(value).strftime(ISO_DATETIME_LOCAL)


def iso_month(value: datetime.date | datetime.datetime | None) -> str:
    """2026-12 for `<input type=month>` and month query parameters."""
    if value in (None, ""):
        return ""
    return _day(value).strftime(ISO_MONTH)


def iso_datetime(value: datetime.datetime | datetime.date | None) -> str:
    """Full ISO 8601 with offset, for `<time datetime=...>` and exports read by software."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        return _local(value).isoformat()
    return value.isoformat()


def date_stamp(value: datetime.date | datetime.datetime) -> str:
    """20261204: file names and calendar (iCalendar) dates."""
    return _day(value).strftime("%Y%m%d")


def utc_stamp(value: datetime.datetime) -> str:
    """20261204T193005Z in UTC: backup file names and iCalendar."""
    return value.astimezone(datetime.UTC).strftime(UTC_STAMP)


def utc_minute_stamp(value: datetime.datetime) -> str:
    """20261204T1930 in UTC: the minute in a reminder's unique key."""
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M")


def local_stamp(value: datetime.datetime) -> str:
    """20261204-1430 in the clinic's time zone, for a downloaded file's name."""
    return _local(value).strftime("%Y%m%d-%H%M")
