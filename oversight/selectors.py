"""Reads for the clinic admin's oversight pages.

THE RULE: these pages show audit metadata (who, when, which chart number, what kind of action)
and never clinical content. AuditEvent.changes holds old and new values, some of them clinical
(a client's words, a diagnosis field), and AuditEvent.detail is free text that callers are
asked, but not forced, to keep clean. So no selector here ever loads either column into Python:
rows are `.values()` of metadata columns, and the names of the changed fields are computed by
the database (`ChangedFieldNames`) so that not even the process holds the values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import Func
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Client
from hrp import bounds
from hrp.accounts.identity import canonical_email
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from oversight.filters import AuditFilters, Cursor

PAGE_SIZE = 50

# The columns an admin may see. Never add "changes" or "detail" here (see the module docstring).
EVENT_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor__full_name",
    "actor__email",
    "category",
    "action",
    "chart_number",
    "object_type",
    "object_id",
    "ip_address",
    "changed_fields",
)


class ChangedFieldNames(Func):
    """The keys of a JSON object column, sorted and joined with ", ", computed in the database.

    Used on AuditEvent.changes so that an admin's page or export lists which fields changed
    without the values (which may be clinical) ever leaving the database. Takes a column: the
    templates name it twice, which is only right for an expression without parameters.
    """

    output_field = CharField()
    arity = 1
    postgresql_template = (
        "(CASE WHEN jsonb_typeof(%(expressions)s) = 'object' THEN (SELECT COALESCE("
        "string_agg(k, ', ' ORDER BY k), '') FROM jsonb_object_keys(%(expressions)s) AS k) "
        "ELSE '' END)"
    )
    # The embedded demo's SQLite: json_each over an object yields its keys.
    sqlite_template = (
        "(CASE WHEN json_type(%(expressions)s) = 'object' THEN (SELECT COALESCE("
        "group_concat(key, ', '), '') FROM (SELECT key FROM json_each(%(expressions)s) "
        "ORDER BY key)) ELSE '' END)"
    )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template=self.postgresql_template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template=self.sqlite_template, **extra)


def audit_rows(filters: AuditFilters) -> QuerySet[Any]:
    """The events matching `filters` as metadata dicts (EVENT_COLUMNS), newest first."""
    events = filters.apply(AuditEvent.objects.all())
    return (
        events.annotate(changed_fields=ChangedFieldNames("changes"))
        .order_by("-at", "-id")
        .values(*EVENT_COLUMNS)
    )


@dataclass
class AuditPage:
    rows: list[dict[str, Any]]
    older: Cursor | None  # where the next (older) page starts, if there is one
    newer: Cursor | None  # where the previous (newer) page ends, if there is one
    is_first: bool


def _cursor(row: dict[str, Any]) -> Cursor:
    return Cursor(at=row["at"], id=row["id"])


def audit_page(
    filters: AuditFilters,
    *,
    older_than: Cursor | None = None,
    newer_than: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the trail by keyset on (at, id): one query whatever the table's size.

    OFFSET pagination would make PostgreSQL walk and discard every earlier row, so page 20,000
    of a million events would cost a million index entries; a keyset page costs `size` + 1
    entries of the (filter column, at, id) index wherever it is. The extra row says whether
    another page follows.
    """
    rows_qs = audit_rows(filters)
    if newer_than is not None:
        rows = list(rows_qs.filter(newer_than.newer_q()).order_by("at", "id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return AuditPage(
            rows=rows,
            older=_cursor(rows[-1]) if rows else None,
            newer=_cursor(rows[0]) if rows and more_newer else None,
            is_first=not more_newer,
        )
    if older_than is not None:
        rows_qs = rows_qs.filter(older_than.older_q())
    rows = list(rows_qs[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return AuditPage(
        rows=rows,
        older=_cursor(rows[-1]) if more_older else None,
        newer=_cursor(rows[0]) if rows and older_than is not None else None,
        is_first=older_than is None,
    )


def known_actions() -> list[tuple[str, str]]:
    """(category, action) for every action the trail holds, sorted by action.

    Read from the trail itself, so the filter offers every action any app records, including
    ones added after this page was written. SELECT DISTINCT would read the whole table; this
    recursive query hops through the action index one distinct value at a time (a "skip
    scan"): about two index probes per distinct action, whatever the table's size.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE seen(action) AS (
            SELECT MIN(action) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(e.action) FROM {table} e WHERE e.action > seen.action)
            FROM seen WHERE seen.action IS NOT NULL
        )
        SELECT (SELECT e.category FROM {table} e WHERE e.action = seen.action LIMIT 1),
               seen.action
        FROM seen WHERE seen.action IS NOT NULL ORDER BY seen.action
    """  # noqa: S608 (the table name is ours, not input)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [(category, action) for category, action in cursor.fetchall()]


def staff_pk_for_email(email: str) -> int | None:
    """The staff account signing in with `email` (as sign-in matches it: hrp.accounts.identity),
    deactivated ones too: their past actions stay in the trail."""
    return User.objects.filter(email=canonical_email(email)).values_list("pk", flat=True).first()


def staff_email(pk: str) -> str:
    """The email of the account the filters name (a pk as text), for the form to show it."""
    found = bounds.parse_pk(pk)
    if found is None:
        return ""
    return User.objects.filter(pk=found).values_list("email", flat=True).first() or ""


def client_pks_for_charts(chart_numbers: set[str]) -> dict[str, int]:
    """Chart number -> client pk, to link a page's chart numbers to their access reports."""
    if not chart_numbers:
        return {}
    return dict(
        Client.objects.filter(chart_number__in=chart_numbers).values_list("chart_number", "pk")
    )


# --- Per-client access report ----------------------------------------------------------------


@dataclass
class ActorSummary:
    name: str
    email: str
    views: int
    changes: int
    other: int
    first_at: datetime.datetime
    last_at: datetime.datetime


@dataclass
class AccessReport:
    events: list[dict[str, Any]]
    people: list[ActorSummary]
    disclosures: list[dict[str, Any]] | None = field(default=None)


def client_access_report(*, chart_number: str) -> AccessReport:
    """Everyone who viewed or changed the chart, and every disclosure from it.

    Three queries whatever the record's history: the events, a per-person summary, and the
    disclosures (None when the disclosures app is not installed).
    """
    events = list(audit_rows(AuditFilters(chart_number=chart_number)))
    per_actor = (
        AuditEvent.objects.filter(chart_number=chart_number)
        .values("actor_id", "actor__full_name", "actor__email")
        .annotate(
            views=Count("id", filter=Q(category=AuditEvent.Category.ACCESS)),
            changes=Count("id", filter=Q(category=AuditEvent.Category.CHANGE)),
            total=Count("id"),
            first_at=Min("at"),
            last_at=Max("at"),
        )
        .order_by("-last_at")
    )
    people = [
        ActorSummary(
            name=row["actor__full_name"] or "",
            email=row["actor__email"] or "",
            views=row["views"],
            changes=row["changes"],
            other=row["total"] - row["views"] - row["changes"],
            first_at=row["first_at"],
            last_at=row["last_at"],
        )
        for row in per_actor
    ]
    return AccessReport(events=events, people=people, disclosures=_disclosures(chart_number))


def _disclosures(chart_number: str) -> list[dict[str, Any]] | None:
    # Disclosures are their own app (disclosures); looked up through the registry so the
    # report still works, without that section, in a build that leaves the app out.
    if not apps.is_installed("disclosures"):
        return None
    disclosure = apps.get_model("disclosures", "Disclosure")
    what = dict(disclosure._meta.get_field("what").flatchoices)
    rows = list(
        disclosure.objects.filter(client__chart_number=chart_number)
        .order_by("-disclosed_at", "-id")
        # Who received what, when, for which period and under which consent: the accounting
        # 42 CFR 2.24 asks for. Not the attendance figures, which describe the client's care.
        .values(
            "id",
            "disclosed_at",
            "what",
            "recipient",
            "period_start",
            "period_end",
            "consent_id",
            "disclosed_by__full_name",
        )
    )
    for row in rows:
        row["what_label"] = str(what.get(row["what"], row["what"]))
    return rows


# --- User activity ----------------------------------------------------------------------------


def locked_usernames(now: datetime.datetime | None = None) -> set[str]:
    """Usernames (canonical emails, hrp.accounts.identity) that axes currently refuses to sign in.

    The same rule as axes' database handler: failures within the cool-off window, summed over
    every address and browser the attempts came from, reaching the failure limit.
    """
    now = now or timezone.now()
    attempts = AccessAttempt.objects.all()
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)
    return set(
        attempts.values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


@dataclass
class StaffActivity:
    account: User
    locked: bool


def staff_activity() -> list[StaffActivity]:
    """Every staff account with last sign-in, two-factor status and lockout. Two queries."""
    accounts = (
        User.objects.annotate(
            two_factor_enrolled=Exists(
                TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
            )
        )
        .only(
            "id",
            "email",
            "full_name",
            "is_therapist",
            "is_supervisor",
            "is_clinic_admin",
            "is_active",
            "deactivated_at",
            "last_login",
        )
        .order_by("full_name", "email")
    )
    locked = locked_usernames()
    return [StaffActivity(account=a, locked=canonical_email(a.email) in locked) for a in accounts]
