"""Template filters for showing values: thin wrappers over hrp/formats.py (the rules live there).

A builtin (TEMPLATES["OPTIONS"]["builtins"] in hrp/settings.py), so templates need no `{% load %}`.
People: as_date, as_day_month, as_month, as_weekday_date, as_time, as_datetime,
as_weekday_datetime, as_precise_time,
as_precise_datetime, as_time_ago, as_duration, as_hours, as_score, as_band_range, as_date_range.
Machines: iso_date, iso_time, iso_datetime_local, iso_month, iso_datetime, date_stamp.
"""

from __future__ import annotations

from typing import Any

from django import template

from hrp import formats

register = template.Library()

register.filter("as_date", formats.date)
register.filter("as_day_month", formats.day_month)
register.filter("as_month", formats.month)
register.filter("as_weekday_date", formats.weekday_date)
register.filter("as_weekday_day", formats.weekday_day)
register.simple_tag(formats.today, name="today_as_date")
register.filter("as_time", formats.time)
register.filter("as_datetime", formats.datetime_)
register.filter("as_weekday_datetime", formats.weekday_datetime)
register.filter("as_precise_time", formats.precise_time)
register.filter("as_precise_datetime", formats.precise_datetime)
register.filter("as_time_ago", formats.time_ago)
register.filter("as_duration", formats.duration)
register.filter("as_hours", formats.hours)
register.filter("iso_date", formats.iso_date)
register.filter("iso_time", formats.iso_time)
register.filter("iso_datetime_local", formats.iso_datetime_local)
register.filter("iso_month", formats.iso_month)
register.filter("iso_datetime", formats.iso_datetime)
register.filter("date_stamp", formats.date_stamp)


@register.filter
def as_date_range(start: Any, end: Any) -> str:
    """{{ start|as_date_range:end }}"""
    return formats.date_range(start, end)


@register.filter
def as_datetime_range(start: Any, end: Any) -> str:
    """{{ starts_at|as_datetime_range:ends_at }}"""
    return formats.datetime_range(start, end)


@register.filter
def as_score(result: Any) -> str:
    """{{ administration|as_score }} -> "10 (positive)": any object with `score`, `measure`
    (for its unit) and `band_short`."""
    if result is None:
        return ""
    return formats.score(result.score, unit=result.measure.score_unit, band=result.band_short)


@register.filter
def as_band_range(band: Any, unit: str = "") -> str:
    """{{ band|as_band_range:measure.score_unit }} -> "Mild: 5-9"."""
    return formats.band_range(band, unit or "")
