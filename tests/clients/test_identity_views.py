"""The pages of issue 21: the chart and caseload say when identity is not recorded, the identity
page shows possible duplicates for the treating clinician's decision, a merged record is a
read-only alias left out of lists, and a supervisor reviews the merges of their supervisees."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients import identity, services
from clients.models import Client, IdentityDecision
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.clients.helpers import record_state, text

ClientFor = Callable[[User | None], HttpClient]

KEY_NAME, BIRTH = "Jamie Okafor", datetime.date(1990, 1, 2)
NOT_RECORDED = "Identity not recorded: known by chosen name"


def _key() -> str:
    return identity.identity_key(KEY_NAME, BIRTH)


def _twin(**kwargs: object) -> Client:
    return ClientFactory(legal_name=KEY_NAME, date_of_birth=BIRTH, identity_key=_key(), **kwargs)


def _identity_url(client: Client) -> str:
    return reverse("clients:identity", kwargs={"pk": client.pk})


def test_the_caseload_and_chart_say_identity_is_not_recorded(
    client_for: ClientFor, therapist: User
) -> None:
    chosen_only = ClientFactory(therapist=therapist, preferred_name="J.", pseudonymous=True)
    known = ClientFactory(therapist=therapist, preferred_name="Kim")
    web = client_for(therapist)

    caseload = web.get(reverse("clients:caseload"))
    chart = web.get(reverse("clients:chart", kwargs={"pk": chosen_only.pk}))

    flags = {c.chart_number: [f.label for f in fl] for c, fl, _s in caseload.context["rows"]}
    assert NOT_RECORDED in flags[chosen_only.chart_number]
    assert NOT_RECORDED not in flags[known.chart_number]
    assert chart.status_code == 200
    assert [f.label for f in chart.context["flags"]].count(NOT_RECORDED) == 1
    assert "Not recorded (known by chosen name)" in text(chart)


def test_the_caseload_costs_the_same_with_clients_known_by_chosen_name(
    client_for: ClientFor, therapist: User
) -> None:
    web = client_for(therapist)
    ClientFactory(therapist=therapist)
    with CaptureQueriesContext(connection) as one:
        web.get(reverse("clients:caseload"))
    ClientFactory.create_batch(4, therapist=therapist, pseudonymous=True)
    with CaptureQueriesContext(connection) as many:
        response = web.get(reverse("clients:caseload"))

    assert len(response.context["rows"]) == 5
    assert len(many) == len(one)


@pytest.mark.parametrize("duplicates", [1, 4])
def test_the_identity_page_lists_possible_duplicates_in_constant_queries(
    client_for: ClientFor,
    therapist: User,
    other_therapist: User,
    duplicates: int,
    django_assert_num_queries,
) -> None:
    client = _twin(therapist=therapist)
    for _n in range(duplicates):
        _twin(therapist=other_therapist)
    web = client_for(therapist)

    # session, user, authenticator; client with access; duplicates; decisions; access event.
    with django_assert_num_queries(7):
        response = web.get(_identity_url(client))

    assert response.status_code == 200
    assert len(response.context["duplicates"]) == duplicates
    assert response.context["missing"] == []


def test_the_treating_clinician_merges_a_duplicate_and_a_second_click_changes_nothing(
    client_for: ClientFor, therapist: User
) -> None:
    client = _twin(therapist=therapist)
    other = _twin(therapist=therapist)
    web = client_for(therapist)
    data = {"other": str(other.pk), "decision": "merge"}

    first = web.post(_identity_url(client), data)
    events = AuditEvent.objects.filter(action="client.merge").count()
    second = web.post(_identity_url(client), data)

    assert first.status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == client.pk
    assert IdentityDecision.objects.get().decision == "merged"
    assert events == 2  # one on each chart
    assert second.status_code == 409
    assert IdentityDecision.objects.count() == 1
    assert AuditEvent.objects.filter(action="client.merge").count() == 2


def test_the_supervisor_reads_the_identity_page_but_cannot_decide(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    client = _twin(therapist=therapist)
    other = _twin(therapist=therapist)
    before = (record_state(client), record_state(other))

    page = client_for(supervisor).get(_identity_url(client))
    refused = client_for(supervisor).post(
        _identity_url(client), {"other": str(other.pk), "decision": "merge"}
    )

    assert page.status_code == 200
    assert 'name="decision"' not in text(page)
    assert refused.status_code == 403
    assert (record_state(client), record_state(other)) == before
    assert IdentityDecision.objects.count() == 0


def test_a_duplicate_of_another_clinician_is_not_merged_by_this_one(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    client = _twin(therapist=therapist)
    other = _twin(therapist=other_therapist)

    response = client_for(therapist).post(
        _identity_url(client), {"other": str(other.pk), "decision": "merge"}
    )

    assert response.status_code == 409
    assert response.context["error"] == (
        "Only the clinician treating both records can merge them: ask the other record's "
        "therapist or a supervisor to reassign it first. Nothing was changed."
    )
    other.refresh_from_db()
    assert other.merged_into_id is None
    assert IdentityDecision.objects.count() == 0


@pytest.mark.parametrize(
    "data", [{}, {"other": "0", "decision": "merge"}, {"other": "x", "decision": "delete"}]
)
def test_a_decision_without_a_listed_record_changes_nothing(
    client_for: ClientFor, therapist: User, data: dict[str, str]
) -> None:
    client = _twin(therapist=therapist)
    _twin(therapist=therapist)

    response = client_for(therapist).post(_identity_url(client), data)

    assert response.status_code == 409
    assert response.context["error"] == (
        "Choose one of the records listed below and what to do with it. Nothing was changed."
    )
    assert IdentityDecision.objects.count() == 0


def test_a_merged_record_is_a_read_only_alias_left_out_of_lists(
    client_for: ClientFor, therapist: User
) -> None:
    client = _twin(therapist=therapist)
    other = _twin(therapist=therapist)
    services.client_merge(actor=therapist, client=client, other=other)
    web = client_for(therapist)

    caseload = web.get(reverse("clients:caseload"))
    alias_chart = web.get(reverse("clients:chart", kwargs={"pk": other.pk}))
    alias_identity = web.get(_identity_url(other))
    edit = web.get(reverse("clients:edit", kwargs={"pk": other.pk}))

    assert [c.pk for c, _f, _s in caseload.context["rows"]] == [client.pk]
    assert alias_chart.status_code == 200
    assert "Merged into another record: read only" in [
        f.label for f in alias_chart.context["flags"]
    ]
    assert alias_identity.context["merged_into"] == client
    assert reverse("clients:chart", kwargs={"pk": client.pk}) in text(alias_identity)
    assert edit.status_code == 403


def _decision(client: Client, other: Client, actor: User) -> IdentityDecision:
    return IdentityDecision.objects.create(
        client=client, other=other, decision="kept_apart", decided_by=actor
    )


@pytest.mark.parametrize("rows", [1, 5])
def test_the_supervisor_reviews_the_merges_of_their_supervisees_only(
    client_for: ClientFor,
    therapist: User,
    other_therapist: User,
    supervisor: User,
    rows: int,
    django_assert_num_queries,
) -> None:
    mine = [
        _decision(ClientFactory(therapist=therapist), ClientFactory(), therapist)
        for _n in range(rows)
    ]
    _decision(ClientFactory(therapist=other_therapist), ClientFactory(), other_therapist)
    web = client_for(supervisor)

    # session, user, authenticator; the decisions with both records, who decided, therapist.
    with django_assert_num_queries(4):
        response = web.get(reverse("clients:merges_review"))

    assert response.status_code == 200
    assert [d.pk for d in response.context["decisions"]] == [d.pk for d in reversed(mine)]
