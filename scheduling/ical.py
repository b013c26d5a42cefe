"""iCalendar (RFC 5545) written by hand: CRLF line ends, lines folded at 75 octets, TEXT
values escaped, times in UTC. Only what a phone's calendar needs, and nothing that names a
client: each event is "Client session" with its time (and its room, a clinic resource)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from hrp import formats
from scheduling.extensions import Busy
from sessions.models import Appointment

PRODID = "-//HRP Clinic//Calendar feed//EN"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded so no physical line exceeds 75 octets (3.1), never inside a
    UTF-8 sequence; continuation lines start with a space."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode()) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def utc(moment: datetime.datetime) -> str:
    return formats.utc_stamp(moment)


def calendar_text(
    *,
    appointments: Iterable[Appointment],
    label: str,
    now: datetime.datetime | None = None,
    busy: Iterable[Busy] = (),
) -> str:
    """The feed's body: one VEVENT per appointment, with a UID stable across fetches (so the
    phone updates an event when it moves, instead of adding one)."""
    stamp = utc(now or timezone.now())
    # The only words an event carries: no client's name or chart number, ever.
    summary = gettext("Client session")
    host = (settings.ALLOWED_HOSTS or ["hrp.invalid"])[0].lstrip(".") or "hrp.invalid"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(label)}",
    ]
    for appointment in appointments:
        lines += [
            "BEGIN:VEVENT",
            f"UID:appointment-{appointment.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc(appointment.starts_at)}",
            f"DTEND:{utc(appointment.ends_at)}",
            f"SUMMARY:{escape_text(summary)}",
        ]
        if appointment.room is not None:
            lines.append(f"LOCATION:{escape_text(appointment.room.name)}")
        lines.append("END:VEVENT")
    for held in busy:
        # Other apps' time (a group meeting) under its neutral label, never a member.
        lines += [
            "BEGIN:VEVENT",
            f"UID:{held.key}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc(held.starts_at)}",
            f"DTEND:{utc(held.ends_at)}",
            f"SUMMARY:{escape_text(held.label)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
