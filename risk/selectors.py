"""Reads for risk flags. Lists of clients read only the unresolved flags, through the partial
index `riskflag_unresolved`, never a client's history of flags."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clients.extensions import TimelineEntry
from clients.models import Client
from clients.selectors import Flag
from risk.extensions import source_url
from risk.models import RiskFlag

UNRESOLVED_ATTR = "unresolved_risk_flags"
# The resolved flags the chart's Risk section lists under the open ones (newest first).
RESOLVED_SHOWN = 20


def unresolved() -> QuerySet[RiskFlag]:
    return RiskFlag.objects.filter(state__in=RiskFlag.UNRESOLVED)


def prefetch_unresolved(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach each client's unresolved flags (`client.unresolved_risk_flags`, newest first):
    one query for any number of clients, reading only unresolved rows. Idempotent."""
    lookups = getattr(qs, "_prefetch_related_lookups", ())
    if any(getattr(lookup, "to_attr", None) == UNRESOLVED_ATTR for lookup in lookups):
        return qs
    return qs.prefetch_related(
        Prefetch(
            "risk_flags",
            queryset=unresolved().defer("resolution").order_by("-opened_at", "-id"),
            to_attr=UNRESOLVED_ATTR,
        )
    )


def unresolved_for(client: Client) -> list[RiskFlag]:
    cached = getattr(client, UNRESOLVED_ATTR, None)
    if cached is None:
        cached = list(
            unresolved().filter(client=client).defer("resolution").order_by("-opened_at", "-id")
        )
    return cached


def has_unresolved_q() -> Q:
    """On a client query (OuterRef("pk")): the client has an unresolved flag."""
    return Q(Exists(unresolved().filter(client=OuterRef("pk"))))


# How urgent a client's unresolved flags of one kind are, most urgent first: an open acute flag,
# an open flag, a followed-up acute flag, a followed-up flag.
OPEN_ACUTE, OPEN, FOLLOWED_UP_ACUTE, FOLLOWED_UP = 4, 3, 2, 1


def _urgency() -> Case:
    return Case(
        When(state=RiskFlag.State.OPEN, level=RiskFlag.Level.ACUTE, then=Value(OPEN_ACUTE)),
        When(state=RiskFlag.State.OPEN, then=Value(OPEN)),
        When(level=RiskFlag.Level.ACUTE, then=Value(FOLLOWED_UP_ACUTE)),
        default=Value(FOLLOWED_UP),
        output_field=IntegerField(),
    )


def _urgency_of(flag: RiskFlag) -> int:
    if flag.state == RiskFlag.State.OPEN:
        return OPEN_ACUTE if flag.acute else OPEN
    return FOLLOWED_UP_ACUTE if flag.acute else FOLLOWED_UP


URGENCY_COLUMNS = {RiskFlag.Kind.SUICIDE: "risk_suicide", RiskFlag.Kind.OVERDOSE: "risk_overdose"}


def annotate_urgency(qs: QuerySet[Client]) -> QuerySet[Client]:
    """The FlagSource's annotation: per kind, the urgency of the client's most urgent
    unresolved flag (None when there is none), as columns of the client query: no query of its
    own, and each a read of the client's few unresolved rows through the partial index."""
    if "risk_suicide" in qs.query.annotations:
        return qs
    return qs.annotate(
        **{
            column: Subquery(
                unresolved()
                .filter(client=OuterRef("pk"), kind=kind)
                .annotate(urgency=_urgency())
                .order_by("-urgency")
                .values("urgency")[:1],
                output_field=IntegerField(),
            )
            for kind, column in URGENCY_COLUMNS.items()
        }
    )


LABELS = {
    (RiskFlag.Kind.SUICIDE, OPEN_ACUTE): gettext_lazy("Acute suicide risk: follow-up needed"),
    (RiskFlag.Kind.SUICIDE, OPEN): gettext_lazy("Suicide risk: follow-up needed"),
    (RiskFlag.Kind.SUICIDE, FOLLOWED_UP_ACUTE): gettext_lazy(
        "Acute suicide risk: followed up, not resolved"
    ),
    (RiskFlag.Kind.SUICIDE, FOLLOWED_UP): gettext_lazy("Suicide risk: followed up, not resolved"),
    (RiskFlag.Kind.OVERDOSE, OPEN_ACUTE): gettext_lazy("Acute overdose risk: follow-up needed"),
    (RiskFlag.Kind.OVERDOSE, OPEN): gettext_lazy("Overdose risk: follow-up needed"),
    (RiskFlag.Kind.OVERDOSE, FOLLOWED_UP_ACUTE): gettext_lazy(
        "Acute overdose risk: followed up, not resolved"
    ),
    (RiskFlag.Kind.OVERDOSE, FOLLOWED_UP): gettext_lazy("Overdose risk: followed up, not resolved"),
}


def reasons(client: Client) -> list[str]:
    """The client's unresolved flags, one line per kind (suicide first), worded by the most
    urgent one: from the columns `annotate_urgency` adds, else the prefetched or loaded
    unresolved flags."""
    urgency: dict[str, int | None] = {}
    if hasattr(client, "risk_suicide"):
        urgency = {kind: getattr(client, column) for kind, column in URGENCY_COLUMNS.items()}
    else:
        for flag in unresolved_for(client):
            urgency[flag.kind] = max(urgency.get(flag.kind) or 0, _urgency_of(flag))
    return [str(LABELS[kind, urgency[kind]]) for kind in RiskFlag.Kind.values if urgency.get(kind)]


def chart_flags(client: Client) -> list[Any]:
    """The FlagSource's flags for the chart header and caseload (no query of their own)."""
    return [Flag(label, "risk") for label in reasons(client)]


def flags_for_chart(client: Client) -> dict[str, Any]:
    """The chart's Risk section: every unresolved flag, then the latest resolved ones."""
    base = RiskFlag.objects.filter(client=client).select_related("opened_by", "resolved_by")
    resolved = base.filter(state=RiskFlag.State.RESOLVED).order_by("-resolved_at", "-id")
    return {
        "unresolved": list(
            base.filter(state__in=RiskFlag.UNRESOLVED).order_by("-opened_at", "-id")
        ),
        "resolved": list(resolved[:RESOLVED_SHOWN]),
        "resolved_total": resolved.count(),
    }


def flag_for(client: Client, pk: int) -> RiskFlag | None:
    """One of the client's flags with who opened and resolved it and its follow-ups."""
    return (
        RiskFlag.objects.filter(client=client, pk=pk)
        .select_related("opened_by", "resolved_by")
        .prefetch_related("follow_ups__recorded_by")
        .first()
    )


def flag_raised_by(source_key: str, source_id: int, kind: str) -> RiskFlag | None:
    """The flag a source record opened, if any (for the source's own page)."""
    return RiskFlag.objects.filter(source_key=source_key, source_id=source_id, kind=kind).first()


def link_to_source(flag: RiskFlag) -> str:
    return source_url(flag.source_key, flag.client_id, flag.source_id)


# --- The chart's Overview and Timeline ---------------------------------------------------------

PANEL_LIMIT = 5


def overview_context(client: Client, can: Any) -> dict[str, Any] | None:
    """The "Open risk flags" panel: the unresolved flags (at most PANEL_LIMIT, one query, or
    none when the chart's client came with them prefetched) with the next step for each.
    Left out when there is no unresolved flag."""
    every = unresolved_for(client)
    flags = every[:PANEL_LIMIT]
    if not flags:
        return None
    rows = []
    for flag in flags:
        if flag.state == RiskFlag.State.OPEN:
            step = _("Record what was done") if can.care else _("Waiting for a follow-up")
        else:
            step = _("Resolve when the risk has passed") if can.write else _("Followed up")
        rows.append({"flag": flag, "next_step": step})
    return {"rows": rows, "more": len(every) - len(flags)}


def timeline_opened_rows(client: Client) -> QuerySet[RiskFlag]:
    return RiskFlag.objects.filter(client=client).annotate(timeline_at=F("opened_at"))


def timeline_resolved_rows(client: Client) -> QuerySet[RiskFlag]:
    return RiskFlag.objects.filter(client=client, state=RiskFlag.State.RESOLVED).annotate(
        timeline_at=F("resolved_at")
    )


def _entries(pks: list[int], *, resolved: bool) -> dict[int, TimelineEntry]:
    flags = RiskFlag.objects.filter(pk__in=pks).select_related("opened_by", "resolved_by")
    entries = {}
    for flag in flags:
        kind = flag.get_kind_display()
        if resolved:
            title = _("%(kind)s flag resolved") % {"kind": kind}
            at, who = flag.resolved_at, flag.resolved_by
        else:
            level = _("acute") if flag.acute else _("some")
            title = _("%(kind)s flag opened (%(level)s)") % {"kind": kind, "level": level}
            at, who = flag.opened_at, flag.opened_by
        entries[flag.pk] = TimelineEntry(
            at=at,
            title=title,
            detail=flag.source_description,
            url=reverse("risk:flag", args=[flag.client_id, flag.pk]),
            who=who.full_name if who is not None else "",
        )
    return entries


def timeline_opened_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return _entries(pks, resolved=False)


def timeline_resolved_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return _entries(pks, resolved=True)


def open_work_phrase(client: Client) -> str:
    """Flags a merge would strand on this record (clients.extensions.merge_blockers): one
    query; "" when none is open."""
    n = unresolved().filter(client=client).count()
    if not n:
        return ""
    return ngettext("%(n)d risk flag open", "%(n)d risk flags open", n) % {"n": n}
