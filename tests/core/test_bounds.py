"""hrp/bounds.py: the one policy for dates, times and numbers (unit tests; the pages that use
it have their regression tests beside their apps)."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from hrp import bounds


def freeze_today(day: datetime.date):
    """Today in the clinic's time zone, as hrp/bounds.py reads it."""
    return mock.patch.object(bounds.timezone, "localdate", return_value=day)


TODAY = datetime.date(2026, 6, 15)


# --- Integers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("2147483647", 2147483647),
        ("2147483648", None),  # beyond PostgreSQL integer
        ("²", None),  # str.isdigit() says yes; int() raises
        ("²-1", None),
        ("٣", None),  # Arabic-Indic three: int() reads it as 3
        ("３", None),  # full-width three
        ("-1", None),  # no sign where none is allowed
        ("+1", None),
        ("1.0", None),
        ("1 2", None),
        ("", None),
        (None, None),
        ("9" * 5000, None),  # longer than int() will parse
    ],
)
def test_parse_int_reads_ascii_digits_only(raw, expected):
    assert bounds.parse_int(raw) == expected


def test_parse_int_sign_only_where_negatives_are_allowed():
    assert bounds.parse_int("-5", minimum=-10) == -5
    assert bounds.parse_int("-11", minimum=-10) is None
    assert bounds.parse_int("--5", minimum=-10) is None
    assert bounds.parse_int("7", maximum=5, default=0) == 0


def test_parse_pk_allows_bigint_ids_and_nothing_past_them():
    assert bounds.parse_pk("1") == 1
    assert bounds.parse_pk(str(bounds.PG_BIGINT_MAX)) == bounds.PG_BIGINT_MAX
    assert bounds.parse_pk(str(bounds.PG_BIGINT_MAX + 1)) is None
    assert bounds.parse_pk("0") is None


@given(st.text(max_size=25))
def test_parse_int_never_raises_and_agrees_with_ascii_int(raw):
    value = bounds.parse_int(raw, minimum=bounds.PG_INT_MIN)
    stripped = raw.strip()
    if value is not None:
        assert stripped.isascii()
        assert value == int(stripped)
        assert bounds.PG_INT_MIN <= value <= bounds.PG_INT_MAX


def test_integer_field_refuses_unicode_digits_and_overflow():
    field = bounds.IntegerField(min_value=0)
    assert field.clean("12") == 12
    for raw in ("٣", "３", "²", "+3", "3.0", "-1", "2147483648"):
        with pytest.raises(ValidationError):
            field.clean(raw)
    assert bounds.IntegerField(required=False).clean("") is None


# --- Dates -----------------------------------------------------------------------------------


def test_ranges_relative_to_today():
    assert bounds.HISTORY.earliest(TODAY) == datetime.date(1900, 1, 1)
    assert bounds.HISTORY.latest(TODAY) == TODAY
    assert bounds.APPOINTMENT.earliest(TODAY) == datetime.date(2024, 6, 15)
    assert bounds.APPOINTMENT.latest(TODAY) == datetime.date(2031, 6, 15)
    assert bounds.PLANNING.latest(TODAY) == datetime.date(2036, 6, 15)
    assert bounds.PERIOD.latest(TODAY) == TODAY


def test_add_years_keeps_29_february_in_range():
    assert bounds.add_years(datetime.date(2028, 2, 29), 1) == datetime.date(2029, 2, 28)
    assert bounds.add_years(datetime.date(9999, 12, 1), 5) == datetime.date(9999, 12, 1)


def test_check_messages_say_what_to_do():
    with pytest.raises(ValidationError) as raised:
        bounds.HISTORY.check(datetime.date(1850, 3, 1), field="completed_on", today=TODAY)
    assert raised.value.message_dict == {
        "completed_on": ["Enter a date from 1 Jan 1900 onwards; please check the year."]
    }
    with pytest.raises(ValidationError) as raised:
        bounds.APPOINTMENT.check(datetime.date(9999, 12, 31), today=TODAY)
    assert raised.value.messages == [
        "Appointments can be booked up to 15 Jun 2031; please check the year."
    ]
    bounds.HISTORY.check(TODAY, today=TODAY)


def test_check_datetime_refuses_what_overflows_in_some_time_zone():
    edge = datetime.datetime(9999, 12, 31, 23, 0, tzinfo=datetime.UTC)
    assert not bounds.fits_everywhere(edge)
    assert not bounds.APPOINTMENT.contains(edge)
    with pytest.raises(ValidationError):
        bounds.APPOINTMENT.check_datetime(edge)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-06-01", datetime.date(2026, 6, 1)),
        ("2026-6-1", None),
        ("20260601", datetime.date(2026, 6, 1)),
        ("２０２６-06-01", None),
        ("1850-01-01", None),
        ("9999-12-31", None),
        ("0001-01-01", None),
        ("2026-02-30", None),
        ("", None),
    ],
)
def test_parse_date(raw, expected):
    assert bounds.parse_date(raw) == expected


def test_date_field_ascii_and_range():
    field = bounds.DateField(within=bounds.HISTORY)
    assert field.clean("1990-05-04") == datetime.date(1990, 5, 4)
    for raw, message in (
        ("١٩٩٠-05-04", "Enter a date such as 2026-06-01."),
        ("1850-05-04", "Enter a date from 1 Jan 1900 onwards; please check the year."),
    ):
        with pytest.raises(ValidationError) as raised:
            field.clean(raw)
        assert raised.value.messages == [message]


def test_date_field_sets_the_pickers_min_and_max_at_each_render(settings):
    class Form(forms.Form):
        day = bounds.DateField(within=bounds.HISTORY)

    with freeze_today(datetime.date(2026, 6, 15)):
        first = str(Form()["day"])
    with freeze_today(datetime.date(2026, 6, 16)):
        second = str(Form()["day"])
    assert 'min="1900-01-01" max="2026-06-15"' in first
    assert 'max="2026-06-16"' in second


def test_time_and_datetime_fields_refuse_other_scripts():
    with pytest.raises(ValidationError):
        bounds.TimeField().clean("١٤:٣٠")
    assert bounds.TimeField().clean("14:30") == datetime.time(14, 30)
    with pytest.raises(ValidationError):
        bounds.DateTimeField(within=bounds.HISTORY).clean("9999-12-31T23:30")


# --- Reads -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("'10000-01-01 00:00+00'::timestamptz", bounds.SAFE_LATEST),
        ("'9999-12-31 23:00+00'::timestamptz", bounds.SAFE_LATEST),
        ("'infinity'::timestamptz", bounds.SAFE_LATEST),
        ("'0001-01-01 00:00+00'::timestamptz", bounds.SAFE_EARLIEST),
        ("'0044-03-15 BC'::timestamptz", bounds.SAFE_EARLIEST),
        ("'10000-01-01'::date", bounds.SAFE_LATEST_DATE),
        ("'0001-01-01 BC'::date", bounds.SAFE_EARLIEST_DATE),
        ("'1850-03-01'::date", datetime.date(1850, 3, 1)),
        (
            "'2026-06-15 10:00+00'::timestamptz",
            datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC),
        ),
    ],
)
def test_reads_never_raise_on_stored_values_python_cannot_hold(sql, expected):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}")
        assert cursor.fetchone()[0] == expected
