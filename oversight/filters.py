"""The audit viewer's filters and its keyset cursor, as plain values.

Filters travel from the form to the session (never the URL: a chart number is an identifier,
but the project keeps even identifiers of clients out of query strings, and an admin's browser
history or a proxy log should not say which client they looked into). The cursor does travel in
the URL: it is a timestamp and a row id, nothing about anyone.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hrp import bounds

SESSION_KEY = "hrp_oversight_audit_filters"
# The "user" filter value for events without a signed-in user (failed sign-ins, lockouts).
NO_ACTOR = "none"

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


@dataclass(frozen=True)
class AuditFilters:
    """What the admin asked to see; empty values mean "any"."""

    actor: str = ""  # a user's pk as text, NO_ACTOR, or ""
    chart_number: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    @property
    def is_empty(self) -> bool:
        return self == AuditFilters()

    def to_session(self) -> dict[str, str]:
        values = asdict(self)
        for key in ("date_from", "date_to"):
            values[key] = values[key].isoformat() if values[key] else ""
        return values

    @classmethod
    def from_session(cls, data: Any) -> AuditFilters:
        """Filters saved by `to_session`; anything malformed counts as no filter at all."""
        if not isinstance(data, dict):
            return cls()
        actor = str(data.get("actor", ""))
        if actor not in ("", NO_ACTOR) and bounds.parse_pk(actor) is None:
            return cls()
        try:
            return cls(
                actor=actor,
                chart_number=str(data.get("chart_number", "")),
                action=str(data.get("action", "")),
                date_from=_date_or_none(data.get("date_from")),
                date_to=_date_or_none(data.get("date_to")),
            )
        except (TypeError, ValueError):
            return cls()

    def summary(self) -> dict[str, str]:
        """The filters as the export's audit event records them (identifiers and dates only)."""
        return {k: v for k, v in self.to_session().items() if v}

    def time_bounds(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """[from 00:00, the day after `to` 00:00) in the clinic's time zone: an event at 23:59
        on the last day is in, one at 00:00 the next day is out."""
        tz = timezone.get_current_timezone()
        since = until = None
        if self.date_from:
            since = datetime.datetime.combine(self.date_from, datetime.time.min, tzinfo=tz)
        if self.date_to:
            next_day = self.date_to + datetime.timedelta(days=1)
            until = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=tz)
        return since, until

    def apply(self, events: QuerySet[Any]) -> QuerySet[Any]:
        if self.actor == NO_ACTOR:
            events = events.filter(actor__isnull=True)
        elif self.actor:
            events = events.filter(actor_id=int(self.actor))
        if self.chart_number:
            events = events.filter(chart_number=self.chart_number)
        if self.action:
            events = events.filter(action=self.action)
        since, until = self.time_bounds()
        if since is not None:
            events = events.filter(at__gte=since)
        if until is not None:
            events = events.filter(at__lt=until)
        return events


def _date_or_none(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


# --- Keyset cursor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in the trail's (at, id) order: the row a page ended (or started) at."""

    at: datetime.datetime
    id: int

    def encode(self) -> str:
        # Whole microseconds since the epoch: exact (no float rounding), and URL-safe.
        return f"{(self.at - _EPOCH) // _MICROSECOND}-{self.id}"

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """The cursor in `token`, or None when it is absent or not one of ours."""
        if not token:
            return None
        micros, sep, pk = token.partition("-")
        # ASCII digits only: str.isdigit() also says yes to "²", which int() refuses.
        micros_value = bounds.parse_int(micros, maximum=bounds.PG_BIGINT_MAX)
        pk_value = bounds.parse_pk(pk)
        if not sep or micros_value is None or pk_value is None or len(token) > 40:
            return None
        try:
            at = _EPOCH + micros_value * _MICROSECOND
        except OverflowError:
            return None
        return cls(at=at, id=pk_value) if bounds.fits_everywhere(at) else None

    def older_q(self) -> Q:
        # `at__lte` is redundant with the OR but gives the planner an index range to scan.
        return Q(at__lte=self.at) & (Q(at__lt=self.at) | Q(at=self.at, id__lt=self.id))

    def newer_q(self) -> Q:
        return Q(at__gte=self.at) & (Q(at__gt=self.at) | Q(at=self.at, id__gt=self.id))
