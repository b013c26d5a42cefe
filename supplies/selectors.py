"""Reads for supplies: the chart's list, the Overview panel, the Timeline, progress summaries
and the clinic's monthly report for funders.

Every total leaves out voided records (a void means "recorded in error"; its correction, if
any, is a record of its own and counts).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    F,
    Func,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.extensions import TimelineEntry
from clients.models import Client
from hrp import formats
from supplies.models import SupplyRecord

Item = SupplyRecord.Item
How = SupplyRecord.How

OVERVIEW_DAYS = 90


def counted() -> QuerySet[SupplyRecord]:
    """Records that count: not set aside."""
    return SupplyRecord.objects.filter(void__isnull=True)


def supplies_for(client: Client) -> QuerySet[SupplyRecord]:
    """The chart's list, newest first, voided ones included (marked), in one query."""
    return (
        SupplyRecord.objects.filter(client=client)
        .select_related("recorded_by", "void", "void__voided_by", "corrects")
        .order_by("-given_on", "-id")
    )


def record_for(client: Client, pk: int) -> SupplyRecord | None:
    return SupplyRecord.objects.filter(client=client, pk=pk).select_related("void").first()


@dataclass(frozen=True)
class ItemTotal:
    item: str
    label: str
    given: int  # quantity given at the clinic
    referred: int  # times referred elsewhere for it


def _labels() -> dict[str, str]:
    return {value: str(label) for value, label in Item.choices}


def _totals(rows: Iterable[dict[str, Any]]) -> list[ItemTotal]:
    """Rows of (item, how, quantity, n) into one ItemTotal per item, in the list's order."""
    given: dict[str, int] = defaultdict(int)
    referred: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["how"] == How.GIVEN:
            given[row["item"]] += row["quantity"]
        else:
            referred[row["item"]] += row["n"]
    labels = _labels()
    return [
        ItemTotal(item, labels[item], given[item], referred[item])
        for item in Item.values
        if given[item] or referred[item]
    ]


def totals_by_client(
    ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, list[ItemTotal]]:
    """Per client, what was given (and referred) from `start` to `end`, both included: one
    GROUP BY query for the whole group (progress summaries, the Overview panel)."""
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        counted()
        .filter(client_id__in=list(ids), given_on__gte=start, given_on__lte=end)
        .values("client_id", "item", "how")
        .annotate(quantity=Sum("quantity"), n=Count("id"))
        .order_by()
    ):
        rows[row["client_id"]].append(row)
    return {client_id: _totals(client_rows) for client_id, client_rows in rows.items()}


def overview(client: Any, can: Any) -> dict[str, Any] | None:
    """The Overview panel: the last 90 days' totals (one query); left out when there is
    nothing to show and the reader could not record anything."""
    today = timezone.localdate()
    since = today - datetime.timedelta(days=OVERVIEW_DAYS - 1)
    totals = totals_by_client([client.pk], since, today).get(client.pk, [])
    if not totals and not can.write:
        return None
    return {"totals": totals, "days": OVERVIEW_DAYS}


# --- Timeline ------------------------------------------------------------------------------------


def timeline_rows(client: Any) -> QuerySet[SupplyRecord]:
    """Records of the client, at noon (clinic time) of the day given; the day is the event."""
    return SupplyRecord.objects.filter(client=client).annotate(
        timeline_at=noon_in_clinic("given_on")
    )


class NoonInClinic(Func):
    """A date column as noon of that day in the clinic's time zone, as an aware datetime.

    PostgreSQL: timezone(zone, date + time '12:00') reads the local timestamp in that zone.
    SQLite (the embedded demo) has no time zones: noon UTC, close enough to order a day."""

    output_field = DateTimeField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        zone = timezone.get_current_timezone_name()
        return f"timezone(%s, ({sql} + time '12:00'))", [zone, *params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"datetime({sql}, '+12 hours')", params


def noon_in_clinic(field: str) -> Func:
    return NoonInClinic(F(field))


def timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    entries = {}
    tz = timezone.get_current_timezone()
    for record in SupplyRecord.objects.filter(pk__in=pks).select_related("recorded_by", "void"):
        verb = _("given") if record.how == How.GIVEN else _("referred elsewhere")
        title = f"{record.item_label} × {record.quantity}, {verb}"
        detail = _("Set aside: recorded in error") if hasattr(record, "void") else ""
        entries[record.pk] = TimelineEntry(
            at=datetime.datetime.combine(record.given_on, datetime.time(12), tzinfo=tz),
            title=title,
            detail=detail,
            url=reverse("supplies:section", args=[record.client_id]),
            who=record.recorded_by.full_name,
        )
    return entries


# --- The funders' report -------------------------------------------------------------------------

REPORT_MONTHS_MAX = 24


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    given: dict[str, int]  # item -> quantity given
    referred: int  # referrals elsewhere, any item
    clients: int  # distinct clients given or referred anything this month

    @property
    def label(self) -> str:
        return formats.month(self.month)

    def given_in_order(self) -> list[int]:
        return [self.given.get(item, 0) for item in Item.values]


@dataclass(frozen=True)
class FundersReport:
    first: datetime.date
    last: datetime.date
    months: list[MonthRow]
    items: list[str]  # the labels of Item, in column order
    totals: list[int]  # quantity given per item over the range
    referred: int
    # Distinct clients over the whole range: not the sum of the months (a client served in
    # two months is one person).
    clients: int

    @property
    def summary(self) -> str:
        return ngettext(
            "%(n)d client served over the period.",
            "%(n)d clients served over the period.",
            self.clients,
        ) % {"n": self.clients}


def funders_report(first: datetime.date, last: datetime.date) -> FundersReport:
    """Clinic-wide totals per item per month from the month of `first` to the month of `last`,
    with the number of distinct clients served per month and over the range.

    Three GROUP BY queries whatever the number of records. What comes back is counts only:
    the queries select months, items and sums, never a client's id, name or chart number, so
    nothing identifying can reach the page or the CSV."""
    first, last = month_start(first), month_start(last)
    months = months_between(first, last)
    end = next_month(last)
    base = counted().filter(given_on__gte=first, given_on__lt=end)
    given: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    referred: dict[datetime.date, int] = defaultdict(int)
    for row in (
        base.annotate(month=TruncMonth("given_on"))
        .values("month", "item", "how")
        .annotate(quantity=Sum("quantity"), n=Count("id"))
        .order_by()
    ):
        if row["how"] == How.GIVEN:
            given[row["month"]][row["item"]] = row["quantity"]
        else:
            referred[row["month"]] += row["n"]
    clients = dict(
        base.annotate(month=TruncMonth("given_on"))
        .values("month")
        .annotate(n=Count("client_id", distinct=True))
        .order_by()
        .values_list("month", "n")
    )
    rows = [
        MonthRow(month, dict(given[month]), referred[month], clients.get(month, 0))
        for month in months
    ]
    totals = [sum(row.given.get(item, 0) for row in rows) for item in Item.values]
    overall = base.aggregate(n=Count("client_id", distinct=True))["n"]
    return FundersReport(
        first=first,
        last=last,
        months=rows,
        items=[str(label) for _value, label in Item.choices],
        totals=totals,
        referred=sum(referred.values()),
        clients=overall,
    )
