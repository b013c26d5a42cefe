"""Item 2 of the supervision issue, verified: a supervisor opens a supervisee's caseload with
the therapist's own columns and flags, and every chart section read-only."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from clients.extensions import chart_sections
from clients.views import section_url
from hrp.access import ClientAccess
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory
from tests.supervision.helpers import seed_every_column

ClientFor = Callable[[User | None], Client]


def caseload_view(response: object) -> tuple[list[str], list[tuple[object, list[str]]]]:
    context = response.context  # type: ignore[attr-defined]
    columns = [str(column.label) for column in context["columns"]]
    rows = [
        (client, [flag.label for flag in flags + screening])
        for client, flags, screening in context["rows"]
    ]
    return columns, rows


def test_supervisor_sees_the_caseload_the_therapist_sees(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    seed_every_column(therapist)
    own = client_for(therapist).get(reverse("clients:caseload"))
    reviewed = client_for(supervisor).get(
        reverse("clients:supervisee_caseload", args=[therapist.pk])
    )

    assert reviewed.status_code == 200
    assert reviewed.context["own"] is False
    assert caseload_view(reviewed) == caseload_view(own)
    assert len(caseload_view(reviewed)[1]) == 4  # the active clients


def test_every_chart_section_is_read_only_for_the_supervisor(
    client_for: ClientFor, supervisor: User, therapist: User, other_supervisor: User
) -> None:
    record = ClientFactory(therapist=therapist)
    sup = client_for(supervisor)

    statuses = {s.key: sup.get(section_url(record.pk, s)).status_code for s in chart_sections()}

    # The accounting of disclosures is the therapist's page only.
    assert statuses == {s.key: 403 if s.key == "access" else 200 for s in chart_sections()}
    overview = sup.get(reverse("clients:chart", args=[record.pk]))
    assert overview.context["can"] == ClientAccess(read=True, write=False, supervise=True)
    assert overview.content.decode().count("Read-only: supervision view") == 1
    assert sup.get(reverse("clients:edit", args=[record.pk])).status_code == 403
    assert sup.post(reverse("clients:edit", args=[record.pk]), {}).status_code == 403
    other = client_for(other_supervisor)
    assert other.get(reverse("clients:chart", args=[record.pk])).status_code == 404
    caseload = reverse("clients:supervisee_caseload", args=[therapist.pk])
    assert other.get(caseload).status_code == 404
