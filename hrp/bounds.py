"""One policy for the dates, times and numbers that people type, that URLs carry and that the
database hands back. Forms, query parameters and services all ask this module; nobody else
decides what a valid date or number is.

Public API (stable: other branches build on these names; add, never rename)
---------------------------------------------------------------------------
Numbers
  ``PG_INT_MAX``, ``PG_INT_MIN``, ``PG_BIGINT_MAX``   PostgreSQL integer and bigint limits.
  ``parse_int(raw, *, minimum=0, maximum=PG_INT_MAX, default=None)``
      The integer in ``raw`` (a query parameter, a hidden field), or ``default``. ASCII
      digits only ("²", "٣" and full-width digits are not numbers here), a leading "-" only
      when ``minimum`` is negative, no "+", no inner spaces, no "1.0", nothing outside
      ``minimum..maximum``.
  ``parse_pk(raw)``   a row id: ``parse_int`` within 1..PG_BIGINT_MAX, else None.
  ``is_ascii_int(raw, *, signed=False)``   whether ``raw`` is written the one accepted way.

Dates and times
  ``HISTORY_START``   1 January 1900: no record of ours is dated earlier.
  ``DateRange``       a named range relative to today in the clinic's time zone, with
                      ``earliest(today=None)``, ``latest(today=None)``, ``contains(day)``,
                      ``check(day, *, field=None)`` (raises ``ValidationError`` with a
                      person-first message) and ``check_datetime(moment, *, field=None)``.
  The ranges (the one place each is stated):
    ``HISTORY``      1900 .. today: birth dates, evaluations, onsets, signatures, assessments,
                     revocations, discharges, meetings, reviews held.
    ``APPOINTMENT``  2 years back .. 5 years ahead: every appointment booked or moved,
                     each occurrence of a series included.
    ``CONTACT``      2 years back .. today: a contact outside a session (a call, a text, an
                     outreach or crisis contact) is recorded once it has happened.
    ``PLANNING``     1900 .. 10 years ahead: dates that look forward (consent expiry,
                     review dates, cover days).
    ``PERIOD``       1900 .. today: the days a summary, report or filter covers.
    ``CALENDAR``     1900 .. 10 years ahead: the weeks the calendar can show.
  ``parse_date(raw, *, within=CALENDAR, default=None)``   an ASCII ISO 8601 date inside the
                     range (2030-03-04, 20300304 or 2030-W10-1).
  ``fits_everywhere(moment)``   whether a datetime stays representable in every time zone
                     (between ``SAFE_EARLIEST`` and ``SAFE_LATEST``), so no local-time
                     conversion, week or day arithmetic near it can overflow.
  ``show_date(day)``   a date as messages name it.
  ``add_years(day, years)``   the same day ``years`` later (28 Feb for an unmatched 29 Feb).
  ``implausible(value)``   whether a stored date or datetime cannot be right (before 1900, more
                     than 10 years ahead, or read at the safe edge): pages mark such rows so
                     that someone corrects them.

Form fields and widgets (use these, never django.forms' own date/time/integer fields)
  ``DateField(within=RANGE, ...)``, ``TimeField``, ``DateTimeField(within=RANGE, ...)``,
  ``IntegerField(...)`` (ASCII only; bounded by PG_INT_MIN..PG_INT_MAX unless told tighter),
  ``DecimalField(...)`` (ASCII digits and one ".", no exponent, no NaN or infinity),
  ``DateInput``, ``TimeInput``, ``DateTimeInput`` (HTML5 inputs; a bounded DateField sets the
  input's min and max). ``date_formfield(within)`` returns a DateField class bound to a range,
  for a model form's ``Meta.field_classes``. ``formfield`` is a model form's
  ``Meta.formfield_callback``: every date, time, datetime, integer and decimal model field
  becomes one of the fields above (dates default to ``HISTORY``; name another range in
  ``field_classes``).

Reads
  ``install_safe_reads()``  called once from ``hrp.core``'s ``AppConfig.ready()``.

Decision: how out-of-range values are kept out, and how old ones are still shown
---------------------------------------------------------------------------------
* Going forward, every form field and every service that writes a date checks it against one
  of the ranges above, so nothing outside a clinically sensible window is stored, whatever
  the caller. The ranges move with today, so they cannot be database CHECK constraints (a
  CHECK must be immutable); the database guards only what never moves (see each model's
  constraints where added).
* Rows stored before this policy (year 10000 in UTC, an 1850 evaluation) must still be shown
  and corrected, never answer 500. psycopg2 raises ``ValueError`` when it reads a date past
  year 9999 or before year 1, and a datetime at the very edge of Python's range overflows when
  converted to a time zone east or west of UTC. ``install_safe_reads`` wraps psycopg2's
  date and timestamp typecasters: a value Python cannot hold, or one too near the edge to
  convert safely, is read as ``SAFE_LATEST`` / ``SAFE_EARLIEST``. Such a row is then outside
  every clinical range, so pages mark it ("outside the dates the clinic uses") and offer the
  usual move / cancel / edit actions, which write only the columns they change (the
  clamped value is never written back by them).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2.extensions
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrp import formats as show

# --- Numbers ---------------------------------------------------------------------------------

PG_INT_MAX = 2**31 - 1
PG_INT_MIN = -(2**31)
PG_BIGINT_MAX = 2**63 - 1

# ASCII only: Python's str.isdigit() and int() also read "²", "٣" and full-width digits.
_ASCII_UNSIGNED = re.compile(r"[0-9]+", re.ASCII)
_ASCII_SIGNED = re.compile(r"-?[0-9]+", re.ASCII)
# No integer we accept needs more characters than bigint's minimum ("-9223372036854775808").
_MAX_INT_CHARS = 20


def is_ascii_int(raw: Any, *, signed: bool = False) -> bool:
    """Whether `raw` is a string of ASCII digits (with one leading "-" if `signed`)."""
    if not isinstance(raw, str) or len(raw) > _MAX_INT_CHARS:
        return False
    return (_ASCII_SIGNED if signed else _ASCII_UNSIGNED).fullmatch(raw) is not None


def parse_int[T](
    raw: Any, *, minimum: int = 0, maximum: int = PG_INT_MAX, default: T = None
) -> int | T:
    """The integer written in `raw`, or `default` when it is absent, not written in ASCII
    digits, or outside `minimum..maximum`. Surrounding whitespace is forgiven; nothing else."""
    if isinstance(raw, bool):
        return default
    if isinstance(raw, int):
        value = raw
    else:
        if not isinstance(raw, str):
            return default
        text = raw.strip()
        if not is_ascii_int(text, signed=minimum < 0):
            return default
        value = int(text)
    if not minimum <= value <= maximum:
        return default
    return value


def parse_pk(raw: Any) -> int | None:
    """A row id from a URL or a hidden field: 1..bigint, else None."""
    return parse_int(raw, minimum=1, maximum=PG_BIGINT_MAX)


# --- Dates -----------------------------------------------------------------------------------

HISTORY_START = datetime.date(1900, 1, 1)
UTC = datetime.UTC
# A month inside Python's range at each end: every time zone (UTC-12 .. UTC+14) can show these,
# and a page may add or subtract a few weeks from them without overflowing.
SAFE_EARLIEST = datetime.datetime(1, 2, 1, tzinfo=UTC)
SAFE_LATEST = datetime.datetime(9999, 12, 1, tzinfo=UTC)
SAFE_EARLIEST_DATE = SAFE_EARLIEST.date()
SAFE_LATEST_DATE = SAFE_LATEST.date()


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same date `years` later (or earlier); 28 February for a 29 February with no match."""
    year = min(max(day.year + years, datetime.MINYEAR), datetime.MAXYEAR)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def fits_everywhere(moment: datetime.datetime | datetime.date | None) -> bool:
    """Whether `moment` can be shown in any time zone and moved by weeks without overflow."""
    if moment is None:
        return True
    if isinstance(moment, datetime.datetime):
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        return SAFE_EARLIEST <= moment <= SAFE_LATEST
    return SAFE_EARLIEST_DATE <= moment <= SAFE_LATEST_DATE


def show_date(day: datetime.date) -> str:
    """A date as messages name it (the locale's date format)."""
    return show.date(day)


_show = show_date


@dataclass(frozen=True)
class DateRange:
    """Dates a kind of record may carry, relative to today in the clinic's time zone.
    `too_early` and `too_late` are messages with %(earliest)s / %(latest)s placeholders."""

    key: str
    earliest_from_today: Callable[[datetime.date], datetime.date]
    latest_from_today: Callable[[datetime.date], datetime.date]
    too_early: Any
    too_late: Any

    def earliest(self, today: datetime.date | None = None) -> datetime.date:
        return self.earliest_from_today(today or timezone.localdate())

    def latest(self, today: datetime.date | None = None) -> datetime.date:
        return self.latest_from_today(today or timezone.localdate())

    def contains(self, day: datetime.date | None, *, today: datetime.date | None = None) -> bool:
        """Whether `day` (a date, or a datetime read in the clinic's time zone) is inside."""
        if day is None:
            return True
        if isinstance(day, datetime.datetime):
            if not fits_everywhere(day):
                return False
            day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
        today = today or timezone.localdate()
        return self.earliest(today) <= day <= self.latest(today)

    def message(self, day: datetime.date, *, today: datetime.date | None = None) -> str:
        """Why `day` is refused, in words (empty when it is inside)."""
        today = today or timezone.localdate()
        earliest, latest = self.earliest(today), self.latest(today)
        values = {"earliest": _show(earliest), "latest": _show(latest)}
        if day < earliest:
            return str(self.too_early) % values
        if day > latest:
            return str(self.too_late) % values
        return ""

    def check(
        self, day: datetime.date | None, *, field: str | None = None, today: Any = None
    ) -> None:
        """Raise ValidationError (on `field` when named) when `day` is outside the range."""
        if day is None:
            return
        if isinstance(day, datetime.datetime):
            self.check_datetime(day, field=field, today=today)
            return
        problem = self.message(day, today=today)
        if problem:
            raise ValidationError({field: problem} if field else problem)

    def check_datetime(
        self, moment: datetime.datetime | None, *, field: str | None = None, today: Any = None
    ) -> None:
        """The same check for a moment, taken on its date in the clinic's time zone."""
        if moment is None:
            return
        if not fits_everywhere(moment):
            problem = str(self.too_late if moment.year > 5000 else self.too_early) % {
                "earliest": _show(self.earliest(today)),
                "latest": _show(self.latest(today)),
            }
            raise ValidationError({field: problem} if field else problem)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        self.check(timezone.localdate(moment), field=field, today=today)


def _history_start(_today: datetime.date) -> datetime.date:
    return HISTORY_START


def _today(today: datetime.date) -> datetime.date:
    return today


HISTORY = DateRange(
    key="history",
    earliest_from_today=_history_start,
    latest_from_today=_today,
    too_early=_("Enter a date from %(earliest)s onwards; please check the year."),
    too_late=_("This date is in the future. Enter a date up to today (%(latest)s)."),
)
APPOINTMENT = DateRange(
    key="appointment",
    earliest_from_today=lambda today: add_years(today, -2),
    latest_from_today=lambda today: add_years(today, 5),
    too_early=_("Appointments can be recorded back to %(earliest)s; please check the year."),
    too_late=_("Appointments can be booked up to %(latest)s; please check the year."),
)
CONTACT = DateRange(
    key="contact",
    earliest_from_today=lambda today: add_years(today, -2),
    latest_from_today=_today,
    too_early=_("Contacts can be recorded back to %(earliest)s; please check the year."),
    too_late=_(
        "A contact is recorded once it has happened: enter a date up to today (%(latest)s)."
    ),
)
PLANNING = DateRange(
    key="planning",
    earliest_from_today=_history_start,
    latest_from_today=lambda today: add_years(today, 10),
    too_early=_("Enter a date from %(earliest)s onwards; please check the year."),
    too_late=_("Enter a date up to %(latest)s; please check the year."),
)
PERIOD = DateRange(
    key="period",
    earliest_from_today=_history_start,
    latest_from_today=_today,
    too_early=_("A period can start on %(earliest)s at the earliest; please check the year."),
    too_late=_("The period cannot reach past today (%(latest)s)."),
)
CALENDAR = DateRange(
    key="calendar",
    earliest_from_today=_history_start,
    latest_from_today=lambda today: add_years(today, 10),
    too_early=_("The calendar starts at %(earliest)s."),
    too_late=_("The calendar reaches %(latest)s."),
)


def implausible(value: datetime.date | datetime.datetime | None) -> bool:
    """Whether a stored date (or moment) is one no record of ours can carry: before 1900, more
    than ten years ahead, or clamped at the safe edge when read (see `install_safe_reads`)."""
    if value is None:
        return False
    return not PLANNING.contains(value)


def parse_date[T](
    raw: Any, *, within: DateRange = CALENDAR, default: T = None
) -> datetime.date | T:
    """The date written as ASCII YYYY-MM-DD in `raw` and inside `within`, else `default`."""
    if not isinstance(raw, str):
        return default
    text = raw.strip()
    # ISO 8601 as Python reads it (2030-03-04, 20300304, 2030-W10-1), in ASCII only.
    if not text.isascii() or len(text) > 10:
        return default
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return default
    return day if within.contains(day) else default


# --- Form fields -----------------------------------------------------------------------------

_INVALID_DATE = _("Enter a date such as 2026-06-01.")
_INVALID_TIME = _("Enter a time such as 14:30.")
_INVALID_DATETIME = _("Enter a date and time such as 2026-06-01 14:30.")
_INVALID_NUMBER = _("Enter a whole number, such as 3.")


class DateInput(forms.DateInput):
    """An HTML5 date input. Given a range (a bounded DateField sets it), the picker's min and
    max are worked out at each render: today moves, a server process does not restart."""

    input_type = "date"
    within: DateRange | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", show.ISO_DATE)
        super().__init__(**kwargs)

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if self.within is not None:
            # A hint for the browser's picker; the server decides.
            widget_attrs = context["widget"]["attrs"]
            widget_attrs.setdefault("min", self.within.earliest().isoformat())
            widget_attrs.setdefault("max", self.within.latest().isoformat())
        return context


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", show.ISO_TIME)
        super().__init__(**kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", show.ISO_DATETIME_LOCAL)
        super().__init__(**kwargs)


def _refuse_non_ascii(value: Any, message: Any) -> None:
    # Python's date and time parsers read other scripts' digits, which no clinician means to
    # type and which would be stored as a different value.
    if isinstance(value, str) and not value.isascii():
        raise ValidationError(message, code="invalid")


class DateField(forms.DateField):
    """A date typed in ASCII digits and inside `within` (a DateRange; None for no range, which
    still refuses what cannot be shown in every time zone)."""

    widget = DateInput

    def __init__(self, *, within: DateRange | None = HISTORY, **kwargs: Any) -> None:
        self.within = within
        super().__init__(**kwargs)
        if isinstance(self.widget, DateInput):
            self.widget.within = within
        self.error_messages["invalid"] = kwargs.get("error_messages", {}).get(
            "invalid", _INVALID_DATE
        )

    def to_python(self, value: Any) -> Any:
        _refuse_non_ascii(value, self.error_messages["invalid"])
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if self.within is not None:
            problem = self.within.message(value)
            if problem:
                raise ValidationError(problem, code="out_of_range")
        elif not fits_everywhere(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class TimeField(forms.TimeField):
    """A time of day typed in ASCII digits."""

    widget = TimeInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error_messages["invalid"] = kwargs.get("error_messages", {}).get(
            "invalid", _INVALID_TIME
        )

    def to_python(self, value: Any) -> Any:
        _refuse_non_ascii(value, self.error_messages["invalid"])
        return super().to_python(value)


class DateTimeField(forms.DateTimeField):
    """A date and time typed in ASCII digits, whose clinic-local date is inside `within`."""

    widget = DateTimeInput

    def __init__(self, *, within: DateRange | None = HISTORY, **kwargs: Any) -> None:
        self.within = within
        super().__init__(**kwargs)
        self.error_messages["invalid"] = kwargs.get("error_messages", {}).get(
            "invalid", _INVALID_DATETIME
        )

    def to_python(self, value: Any) -> Any:
        _refuse_non_ascii(value, self.error_messages["invalid"])
        try:
            moment = super().to_python(value)
        except OverflowError as error:
            # Making a datetime at the edge of year 1 or 9999 aware can overflow.
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        if moment is not None and not fits_everywhere(moment):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return moment

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and self.within is not None:
            try:
                self.within.check_datetime(value)
            except ValidationError as error:
                raise ValidationError(error.messages[0], code="out_of_range") from error


class IntegerField(forms.IntegerField):
    """A whole number typed in ASCII digits ("-" only when negatives are allowed), never
    beyond what a PostgreSQL integer holds."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", PG_INT_MIN)
        kwargs.setdefault("max_value", PG_INT_MAX)
        if kwargs["max_value"] is None:
            kwargs["max_value"] = PG_INT_MAX
        if kwargs["min_value"] is None:
            kwargs["min_value"] = PG_INT_MIN
        super().__init__(**kwargs)
        self.error_messages["invalid"] = kwargs.get("error_messages", {}).get(
            "invalid", _INVALID_NUMBER
        )

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            value = value.strip()
            if value in self.empty_values:
                return None
            # "-3" is read, so that min_value's message (which names the range) answers it.
            if not is_ascii_int(value, signed=True):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return int(value)
        return super().to_python(value)


class DecimalField(forms.DecimalField):
    """A decimal typed in ASCII digits with at most one "." (Python's Decimal also reads other
    scripts' digits, exponents and "NaN")."""

    _pattern = re.compile(r"-?[0-9]*\.?[0-9]+|-?[0-9]+\.", re.ASCII)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error_messages["invalid"] = kwargs.get("error_messages", {}).get(
            "invalid", _("Enter a number, such as 2 or 2.5.")
        )

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            negatives = self.min_value is None or self.min_value < 0
            if value and (
                len(value) > 40
                or not self._pattern.fullmatch(value)
                or (value.startswith("-") and not negatives)
            ):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def date_formfield(within: DateRange) -> Callable[..., forms.Field]:
    """For a model form's `Meta.field_classes`-style use: a DateField class bound to `within`."""

    class BoundDateField(DateField):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("within", within)
            super().__init__(**kwargs)

    BoundDateField.__name__ = f"DateField_{within.key}"
    return BoundDateField


def formfield(model_field: Any, **kwargs: Any) -> forms.Field | None:
    """`Meta.formfield_callback` for model forms: our date, time and number fields in place of
    Django's, so a model form obeys the same policy as a hand-written one. A `form_class`
    chosen in `Meta.field_classes` wins."""
    if "form_class" not in kwargs and not model_field.choices:
        for model_class, form_class in _model_field_classes():
            if isinstance(model_field, model_class):
                kwargs["form_class"] = form_class
                if form_class in (DateField, DateTimeField):
                    kwargs["within"] = date_range_of(model_field)
                break
    return model_field.formfield(**kwargs)


def date_range_of(model_field: Any) -> DateRange:
    """The range a model's date field keeps to: its model's `DATE_RANGES` entry, else
    HISTORY (most dates we store record something that has happened)."""
    ranges = getattr(model_field.model, "DATE_RANGES", {})
    return ranges.get(model_field.name, HISTORY)


def check_dates(values: Any, ranges: Any) -> None:
    """For services: raise one ValidationError naming every field of `values` (a mapping of
    field name to date or datetime) whose value lies outside its range in `ranges` (usually
    the model's `DATE_RANGES`). Fields not being written are not checked, so a row stored
    before this policy can still be changed elsewhere and corrected here."""
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        within = ranges.get(name)
        if within is None or value is None:
            continue
        try:
            within.check(value)
        except ValidationError as error:
            problems[name] = error.messages
    if problems:
        raise ValidationError(problems)


def _model_field_classes() -> tuple[tuple[type, type], ...]:
    # Most specific first: a DateTimeField is a DateField too.
    return (
        (models.DateTimeField, DateTimeField),
        (models.DateField, DateField),
        (models.TimeField, TimeField),
        (models.DecimalField, DecimalField),
        (models.IntegerField, IntegerField),
    )


# --- Reads -----------------------------------------------------------------------------------

_PSYCOPG_TIMESTAMPTZ = 1184
_PSYCOPG_TIMESTAMP = 1114
_PSYCOPG_DATE = 1082


def _clamped(original: Any, earliest: Any, latest: Any) -> Callable[[Any, Any], Any]:
    def cast(value: str | None, cursor: Any) -> Any:
        if value is None:
            return None
        try:
            result = original(value, cursor)
        except ValueError:
            # Past year 9999 ("10000-01-01 ...") or before year 1 ("... BC").
            return earliest if value.endswith("BC") or value.startswith("-") else latest
        if isinstance(result, datetime.datetime) and isinstance(earliest, datetime.datetime):
            compare = result if result.tzinfo else result.replace(tzinfo=UTC)
            if compare < SAFE_EARLIEST:
                return earliest
            if compare > SAFE_LATEST:
                return latest
        elif isinstance(result, datetime.date) and not isinstance(result, datetime.datetime):
            if result < SAFE_EARLIEST_DATE:
                return earliest
            if result > SAFE_LATEST_DATE:
                return latest
        return result

    return cast


_installed = False


def install_safe_reads() -> None:
    """Make psycopg2 read any stored date or timestamp without raising: values Python cannot
    hold or cannot convert to every time zone are read as SAFE_EARLIEST / SAFE_LATEST."""
    global _installed
    if _installed:
        return
    types = psycopg2.extensions.string_types
    for oid, earliest, latest in (
        (_PSYCOPG_TIMESTAMPTZ, SAFE_EARLIEST, SAFE_LATEST),
        (
            _PSYCOPG_TIMESTAMP,
            SAFE_EARLIEST.replace(tzinfo=None),
            SAFE_LATEST.replace(tzinfo=None),
        ),
        (_PSYCOPG_DATE, SAFE_EARLIEST_DATE, SAFE_LATEST_DATE),
    ):
        original = types[oid]
        caster = psycopg2.extensions.new_type(
            (oid,), f"HRP_SAFE_{original.name}", _clamped(original, earliest, latest)
        )
        psycopg2.extensions.register_type(caster)
    _installed = True
