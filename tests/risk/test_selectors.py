"""What the chart's Overview and Timeline, the caseload and the supervisor's dashboard read of
risk flags (risk/selectors.py, registered in clients/extensions.py)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import extensions
from clients.models import Client
from hrp.access import access_to
from hrp.accounts.models import User
from risk import selectors
from supervision import selectors as supervision_selectors
from tests.clients.factories import ClientFactory
from tests.risk.factories import RiskFlagFactory, resolve

HOUR = datetime.timedelta(hours=1)


def test_the_overview_panel_lists_open_flags_with_the_next_step(
    therapist: User, supervisor: User, record: Client, django_assert_num_queries
) -> None:
    newer = RiskFlagFactory(client=record, level="acute", opened_at=timezone.now() - HOUR)
    older = RiskFlagFactory(
        client=record, kind="overdose", state="followed_up", opened_at=timezone.now() - 5 * HOUR
    )
    resolve(RiskFlagFactory(client=record))
    panel = extensions.OVERVIEW_PANELS["risk"]

    with django_assert_num_queries(1):
        mine = panel.context(record, access_to(therapist, record))
    theirs = panel.context(record, access_to(supervisor, record))

    assert [(r["flag"], r["next_step"]) for r in mine["rows"]] == [
        (newer, "Record what was done"),
        (older, "Resolve when the risk has passed"),
    ]
    assert [r["next_step"] for r in theirs["rows"]] == ["Record what was done", "Followed up"]
    assert mine["more"] == 0


def test_the_overview_panel_is_left_out_without_open_flags(therapist: User, record: Client) -> None:
    resolve(RiskFlagFactory(client=record))
    assert selectors.overview_context(record, access_to(therapist, record)) is None


def test_the_timeline_has_flags_opened_and_resolved(therapist: User, record: Client) -> None:
    opened = timezone.now() - 5 * HOUR
    flag = resolve(RiskFlagFactory(client=record, opened_at=opened))
    other = RiskFlagFactory(client=ClientFactory(therapist=therapist))
    sources = extensions.TIMELINE_SOURCES

    opened_rows = list(sources["risk_opened"].rows(record).values_list("pk", "timeline_at"))
    resolved_rows = list(sources["risk_resolved"].rows(record).values_list("pk", "timeline_at"))
    entries = sources["risk_opened"].load([flag.pk]) | {
        -1: sources["risk_resolved"].load([flag.pk])[flag.pk]
    }

    assert opened_rows == [(flag.pk, opened)]
    assert resolved_rows == [(flag.pk, flag.resolved_at)]
    assert other.pk not in dict(opened_rows)
    url = reverse("risk:flag", args=[record.pk, flag.pk])
    assert [(e.at, e.title, e.detail, e.url, e.who) for e in entries.values()] == [
        (opened, "Suicide risk flag opened (some)", "Session note", url, therapist.full_name),
        (flag.resolved_at, "Suicide risk flag resolved", "Session note", url, therapist.full_name),
    ]


@pytest.mark.parametrize("size", [1, 8])
def test_the_supervisors_dashboard_counts_clients_with_unresolved_flags(
    therapist: User, supervisor: User, size: int, django_assert_num_queries
) -> None:
    for index in range(size):
        client = ClientFactory(therapist=therapist)
        RiskFlagFactory(client=client, state="followed_up" if index % 2 else "open")
        RiskFlagFactory(client=client, kind="overdose")
        resolve(RiskFlagFactory(client=ClientFactory(therapist=therapist)))

    with django_assert_num_queries(2):
        tallies = supervision_selectors.dashboard(supervisor=supervisor)
    boards = supervision_selectors.boards(supervisor=supervisor, therapists=[therapist])

    assert tallies[0].counts()["risk"] == size
    assert [item.reasons for item in boards[0].risk] == [
        [
            "Suicide risk: followed up, not resolved"
            if i % 2
            else "Suicide risk: follow-up needed",
            "Overdose risk: follow-up needed",
        ]
        for i in range(size)
    ]
