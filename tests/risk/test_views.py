"""The chart's Risk section and a flag's page: every URL for every role, what a refused write
leaves (nothing), and fixed query counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk import urls as risk_urls
from risk.models import RiskFlag, RiskFollowUp
from tests.clients.helpers import text
from tests.conftest import STAFF_ROLES
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import parse
from tests.risk.factories import RiskFlagFactory, RiskFollowUpFactory, resolve

ClientFor = Callable[[User | None], HttpClient]
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def flag(record: Client) -> RiskFlag:
    return RiskFlagFactory(client=record, opened_at=timezone.now() - 3 * HOUR)


@pytest.fixture
def followed_up(record: Client) -> RiskFlag:
    flag = RiskFlagFactory(
        client=record, kind="overdose", state="followed_up", opened_at=timezone.now() - 3 * HOUR
    )
    RiskFollowUpFactory(flag=flag)
    return flag


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    return (
        [model_to_dict(f) for f in RiskFlag.objects.order_by("pk")],
        [model_to_dict(f) for f in RiskFollowUp.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _url(name: str, flag: RiskFlag) -> str:
    if name == "section":
        return reverse("risk:section", args=[flag.client_id])
    return reverse(f"risk:{name}", args=[flag.client_id, flag.pk])


def _done_at() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


NOBODY = {"other_therapist": 404, "other_supervisor": 404, "clinic_admin": 404}
EXPECTED = {
    # name: (method, therapist, supervisor)
    "section": ("get", 200, 200),
    "flag": ("get", 200, 200),
    "follow_up": ("post", 302, 302),
    "resolve": ("post", 302, 403),
}


def test_the_matrix_covers_every_risk_url() -> None:
    assert {p.name for p in risk_urls.urlpatterns if isinstance(p, URLPattern)} == set(EXPECTED)


def _data(name: str) -> dict[str, str]:
    if name == "follow_up":
        return {"action": "Made a safety plan together.", "done_at": _done_at()}
    if name == "resolve":
        return {"resolution": "The plan is in place."}
    return {}


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    followed_up: RiskFlag,
    name: str,
    role: str,
) -> None:
    method, as_therapist, as_supervisor = EXPECTED[name]
    expected = {"therapist": as_therapist, "supervisor": as_supervisor, **NOBODY}[role]
    user = request.getfixturevalue(role)
    before = _state()

    response = getattr(client_for(user), method)(_url(name, followed_up), _data(name))

    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert _state() == before


@pytest.mark.parametrize("name", list(EXPECTED))
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, followed_up: RiskFlag, name: str
) -> None:
    method = EXPECTED[name][0]
    url = _url(name, followed_up)
    before = _state()

    response = getattr(client_for(None), method)(url, _data(name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


@pytest.mark.parametrize(
    "name, expected", [("section", 200), ("flag", 200), ("follow_up", 403), ("resolve", 403)]
)
def test_an_emergency_grant_reads_only(
    client_for: ClientFor, other_therapist: User, followed_up: RiskFlag, name: str, expected: int
) -> None:
    EmergencyGrantFactory(user=other_therapist, client=followed_up.client)
    before = _state()

    response = getattr(client_for(other_therapist), EXPECTED[name][0])(
        _url(name, followed_up), _data(name)
    )

    assert response.status_code == expected
    if name == "flag":
        assert parse(response).xpath("//main//form") == []
    assert _state() == before


def test_a_flag_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = RiskFlagFactory()
    web = client_for(therapist)
    before = _state()
    for name in ("flag", "follow_up", "resolve"):
        url = reverse(f"risk:{name}", args=[record.pk, elsewhere.pk])
        response = web.post(url, _data(name)) if name != "flag" else web.get(url)
        assert response.status_code == 404
    assert _state() == before


def test_follow_up_pages_get_is_not_allowed(
    client_for: ClientFor, therapist: User, flag: RiskFlag
) -> None:
    web = client_for(therapist)
    assert web.get(_url("follow_up", flag)).status_code == 405
    assert web.get(_url("resolve", flag)).status_code == 405


# --- The flow ------------------------------------------------------------------------------


def _header_flags(web: HttpClient, record: Client) -> list[str]:
    response = web.get(reverse("clients:chart", kwargs={"pk": record.pk}))
    return [flag.label for flag in response.context["flags"]]


def test_follow_up_then_resolve_from_the_flags_page(
    client_for: ClientFor, therapist: User, record: Client, flag: RiskFlag
) -> None:
    web = client_for(therapist)
    assert _header_flags(web, record) == ["Suicide risk: follow-up needed"]
    page = web.get(_url("flag", flag))
    forms = parse(page).xpath("//main//form/@action")
    assert forms == [_url("follow_up", flag)]  # resolving waits for a follow-up

    done = web.post(_url("follow_up", flag), _data("follow_up"))

    assert done["Location"] == _url("flag", flag)
    assert _header_flags(web, record) == ["Suicide risk: followed up, not resolved"]
    page = web.get(_url("flag", flag))
    assert parse(page).xpath("//main//form/@action") == [
        _url("follow_up", flag),
        _url("resolve", flag),
    ]
    assert "Made a safety plan together." in text(page)

    resolved = web.post(_url("resolve", flag), {"resolution": "The plan is in place."})

    assert resolved["Location"] == _url("section", flag)
    assert _header_flags(web, record) == []
    flag.refresh_from_db()
    assert (flag.state, flag.resolution, flag.resolved_by) == (
        "resolved",
        "The plan is in place.",
        therapist,
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "", "done_at": ""}, "Describe what was done."),
        ({"action": "Called.", "done_at": ""}, "Enter when it was done."),
        (
            {"action": "Called.", "done_at": "2099-01-01T10:00"},
            "The follow-up cannot be in the future.",
        ),
    ],
)
def test_a_refused_follow_up_keeps_what_was_typed_and_stores_nothing(
    client_for: ClientFor, therapist: User, flag: RiskFlag, data: dict, message: str
) -> None:
    before = _state()
    response = client_for(therapist).post(_url("follow_up", flag), data)
    assert response.status_code == 200
    assert message in text(response)
    assert response.context["follow_up_form"].data["action"] == data["action"]
    assert _state() == before


def test_resolving_without_a_reason_is_refused(
    client_for: ClientFor, therapist: User, followed_up: RiskFlag
) -> None:
    before = _state()
    response = client_for(therapist).post(_url("resolve", followed_up), {"resolution": " "})
    assert response.status_code == 200
    assert "Say why the flag can be resolved." in text(response)
    assert _state() == before


def test_the_supervisor_sees_no_resolve_form(
    client_for: ClientFor, supervisor: User, followed_up: RiskFlag
) -> None:
    page = client_for(supervisor).get(_url("flag", followed_up))
    assert parse(page).xpath("//main//form/@action") == [_url("follow_up", followed_up)]


def test_the_section_lists_unresolved_then_resolved(
    client_for: ClientFor, therapist: User, record: Client, flag: RiskFlag
) -> None:
    old = resolve(RiskFlagFactory(client=record, opened_at=timezone.now() - 48 * HOUR))
    response = client_for(therapist).get(_url("section", flag))
    assert (response.context["unresolved"], response.context["resolved"]) == ([flag], [old])
    assert response.context["resolved_total"] == 1


# --- Query counts ----------------------------------------------------------------------------

# + client with the header's columns (risk urgency included), 2 assessment and 1 goal flag
# prefetches, access event, unresolved flags, resolved flags, their count.
SECTION_QUERIES = 11
# + client, flag with who opened and resolved it, its follow-ups, who recorded them,
# access event.
FLAG_QUERIES = 8


@pytest.mark.parametrize("many", [False, True])
def test_section_queries(
    client_for: ClientFor, therapist: User, record: Client, many: bool, django_assert_num_queries
) -> None:
    count = 30 if many else 1
    flags = [RiskFlagFactory(client=record) for _ in range(count)]
    for done in flags[: count // 2]:
        resolve(done)
    web = client_for(therapist)

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(reverse("risk:section", args=[record.pk]))

    assert len(response.context["unresolved"]) + response.context["resolved_total"] == count


@pytest.mark.parametrize("many", [False, True])
def test_flag_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    followed_up: RiskFlag,
    many: bool,
    django_assert_num_queries,
) -> None:
    for index in range(20 if many else 0):
        RiskFollowUpFactory(flag=followed_up, recorded_by=supervisor if index % 2 else therapist)
    web = client_for(therapist)

    with django_assert_num_queries(FLAG_QUERIES):
        response = web.get(_url("flag", followed_up))

    assert len(response.context["follow_ups"]) == (21 if many else 1)
