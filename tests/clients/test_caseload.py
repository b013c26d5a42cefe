"""The therapist's caseload: search, filter, sort, pages of 25, flags; consents' states; and
no hard delete anywhere."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from clients.models import Client, Consent
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, ConsentFactory, MedicalEvaluationFactory
from tests.clients.helpers import text

ClientFor = Callable[[User | None], HttpClient]


def listed(response: HttpResponse) -> list[str]:
    """Chart numbers on the caseload page, in the order shown."""
    return [client.chart_number for client, _flags, _screening in response.context["rows"]]


@pytest.fixture
def web(client_for: ClientFor, therapist: User) -> HttpClient:
    return client_for(therapist)


@pytest.fixture
def people(therapist: User) -> dict[str, Client]:
    # Created a day apart, so "newest first" does not depend on the clock's resolution.
    start = timezone.now() - datetime.timedelta(days=10)
    people = {
        "moon": ClientFactory(
            therapist=therapist,
            chart_number="C-MOON22",
            preferred_name="Alex",
            legal_name="Alexandra Moon",
        ),
        "sun": ClientFactory(
            therapist=therapist, chart_number="C-SUN333", preferred_name="Bea", legal_name="Bea Sun"
        ),
        "held": ClientFactory(
            therapist=therapist,
            chart_number="C-HELD44",
            preferred_name="Cal",
            legal_name="Cal Held",
            status=Client.Status.ON_HOLD,
        ),
        "gone": ClientFactory(
            therapist=therapist,
            chart_number="C-GONE55",
            preferred_name="Dee",
            legal_name="Dee Gone",
            status=Client.Status.DISCHARGED,
            discharged_on=timezone.localdate(),
        ),
    }
    for days, client in enumerate(people.values()):
        Client.objects.filter(pk=client.pk).update(created_at=start + datetime.timedelta(days=days))
    return people


def test_the_caseload_shows_the_therapists_active_clients(
    web: HttpClient, people: dict[str, Client], other_therapist: User
) -> None:
    ClientFactory(therapist=other_therapist, chart_number="C-OTHER6")

    response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert listed(response) == ["C-MOON22", "C-SUN333"]
    page = text(response)
    assert "C-OTHER6" not in page
    assert "2 clients" in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Alex", ["C-MOON22"]),  # preferred name
        ("moon", ["C-MOON22"]),  # legal name, any case
        ("C-SUN333", ["C-SUN333"]),  # chart number
        ("c-sun333", ["C-SUN333"]),
        ("SUN333", ["C-SUN333"]),  # chart number without its prefix
        ("  bea  ", ["C-SUN333"]),
        ("nobody", []),
        ("", ["C-MOON22", "C-SUN333"]),
    ],
)
def test_search_by_name_or_chart_number(
    web: HttpClient, people: dict[str, Client], query: str, expected: list[str]
) -> None:
    response = web.post(reverse("clients:caseload"), {"q": query})

    assert response.status_code == 200
    assert listed(response) == expected
    if not expected:
        assert "No client matches this search." in text(response)


def test_a_search_keeps_what_was_typed(web: HttpClient, people: dict[str, Client]) -> None:
    response = web.post(reverse("clients:caseload"), {"q": "moon", "status": "all"})

    page = text(response)
    assert 'value="moon"' in page
    assert '<option value="all" selected>' in page


def test_an_overlong_search_is_refused_with_a_message(
    web: HttpClient, people: dict[str, Client]
) -> None:
    response = web.post(reverse("clients:caseload"), {"q": "x" * 101})

    assert response.status_code == 200
    assert "Check the search: it is at most 100 characters." in text(response)


def test_the_search_does_not_reach_other_caseloads(
    web: HttpClient, people: dict[str, Client], other_therapist: User
) -> None:
    ClientFactory(therapist=other_therapist, legal_name="Moon Other", chart_number="C-OTHER6")

    response = web.post(reverse("clients:caseload"), {"q": "moon", "status": "all"})

    assert listed(response) == ["C-MOON22"]


@pytest.mark.parametrize(
    "status, expected",
    [
        ("active", ["C-MOON22", "C-SUN333"]),
        ("on_hold", ["C-HELD44"]),
        ("discharged", ["C-GONE55"]),
        ("intake", []),
        ("all", ["C-MOON22", "C-SUN333", "C-HELD44", "C-GONE55"]),
        ("", ["C-MOON22", "C-SUN333"]),
    ],
)
def test_filter_by_status(
    web: HttpClient, people: dict[str, Client], status: str, expected: list[str]
) -> None:
    response = web.post(reverse("clients:caseload"), {"status": status})

    assert listed(response) == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["C-MOON22", "C-SUN333", "C-HELD44", "C-GONE55"]),
        ("-name", ["C-GONE55", "C-HELD44", "C-SUN333", "C-MOON22"]),
        ("chart", ["C-GONE55", "C-HELD44", "C-MOON22", "C-SUN333"]),
        ("status", ["C-MOON22", "C-SUN333", "C-GONE55", "C-HELD44"]),
        ("newest", ["C-GONE55", "C-HELD44", "C-SUN333", "C-MOON22"]),
    ],
)
def test_sort(web: HttpClient, people: dict[str, Client], sort: str, expected: list[str]) -> None:
    response = web.post(reverse("clients:caseload"), {"status": "all", "sort": sort})

    assert listed(response) == expected


def test_pages_of_25(web: HttpClient, therapist: User) -> None:
    clients = [
        ClientFactory(therapist=therapist, preferred_name=f"Person {n:02d}") for n in range(1, 27)
    ]

    first = web.get(reverse("clients:caseload"))
    second = web.post(reverse("clients:caseload"), {"page": "2"})

    assert listed(first) == [c.chart_number for c in clients[:25]]
    assert listed(second) == [clients[25].chart_number]
    assert "Page 1 of 2" in text(first)
    assert "Page 2 of 2" in text(second)
    assert "26 clients" in text(second)


def test_the_page_applies_to_the_filtered_list(web: HttpClient, therapist: User) -> None:
    for n in range(1, 27):
        ClientFactory(therapist=therapist, preferred_name=f"Person {n:02d}")
    ClientFactory(therapist=therapist, preferred_name="Zed", status=Client.Status.ON_HOLD)

    response = web.post(reverse("clients:caseload"), {"page": "2", "status": "on_hold"})

    assert [c.display_name for c, _flags, _screening in response.context["rows"]] == ["Zed"]


# --- Flags and consent states ------------------------------------------------------------------


def _flags(response: HttpResponse, chart_number: str) -> list[str]:
    return next(
        [f.label for f in flags]
        for client, flags, _screening in response.context["rows"]
        if client.chart_number == chart_number
    )


@pytest.mark.parametrize(
    "days_left, revoked, flagged",
    [
        (0, False, True),
        (10, False, True),
        (30, False, True),
        (31, False, False),
        (10, True, False),  # a revoked consent no longer expires: it is already gone
        (-1, False, False),  # an expired one is no longer "expiring"
    ],
)
def test_a_consent_expiring_within_30_days_raises_a_flag(
    web: HttpClient, record: Client, days_left: int, revoked: bool, flagged: bool
) -> None:
    today = timezone.localdate()
    MedicalEvaluationFactory(client=record)  # no medical-evaluation flag beside the consent's
    ConsentFactory(
        client=record,
        effective_on=today - datetime.timedelta(days=60),
        signed_on=today - datetime.timedelta(days=60),
        expires_on=today + datetime.timedelta(days=days_left),
        revoked_on=today if revoked else None,
        revoked_by="The client" if revoked else "",
    )

    caseload = web.get(reverse("clients:caseload"))
    chart = web.get(reverse("clients:chart", kwargs={"pk": record.pk}))

    expected = ["Consent expires within 30 days"] if flagged else []
    assert _flags(caseload, record.chart_number) == expected
    assert [f.label for f in chart.context["flags"]] == expected
    assert ("Consent expires within 30 days" in text(caseload)) is flagged


def test_the_consents_page_shows_each_consents_state(web: HttpClient, record: Client) -> None:
    today = timezone.localdate()
    days = datetime.timedelta
    ConsentFactory(client=record, recipient="In force Ltd")
    ConsentFactory(client=record, recipient="Soon Ltd", expires_on=today + days(5))
    ConsentFactory(
        client=record,
        recipient="Expired Ltd",
        signed_on=today - days(400),
        effective_on=today - days(400),
        expires_on=today - days(1),
    )
    ConsentFactory(
        client=record, recipient="Revoked Ltd", revoked_on=today, revoked_by="The client"
    )
    ConsentFactory(
        client=record,
        recipient="Later Ltd",
        effective_on=today + days(10),
        expires_on=today + days(100),
    )

    response = web.get(reverse("clients:consents", kwargs={"pk": record.pk}))

    states = {c.recipient: c.state_label for c in response.context["consents"]}
    assert {k: str(v) for k, v in states.items()} == {
        "In force Ltd": "In force",
        "Soon Ltd": "Expires soon",
        "Expired Ltd": "Expired",
        "Revoked Ltd": "Revoked",
        "Later Ltd": "Not yet in force",
    }
    page = text(response)
    for label in ("Revoked", "Expired", "Expires soon", "In force", "Not yet in force"):
        assert f">{label}</span>" in page
    assert "by The client" in page
    # A revoked consent offers no second revocation; the others do.
    assert page.count("Record revocation") == 4


def test_revoking_keeps_the_consent_on_the_chart(
    web: HttpClient, record: Client, consent: Consent
) -> None:
    web.post(
        reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": consent.pk}),
        {"revoked_on": timezone.localdate().isoformat(), "revoked_by": "The client"},
    )

    response = web.get(reverse("clients:consents", kwargs={"pk": record.pk}))

    assert [(c.recipient, c.state) for c in response.context["consents"]] == [
        ("County Probation Department", "revoked")
    ]
    timeline = text(web.get(reverse("clients:timeline", kwargs={"pk": record.pk})))
    assert "Consent revoked: County Probation Department" in timeline


def test_revoking_twice_is_refused(web: HttpClient, record: Client, consent: Consent) -> None:
    url = reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": consent.pk})
    today = timezone.localdate().isoformat()
    web.post(url, {"revoked_on": today, "revoked_by": "The client"})

    response = web.post(url, {"revoked_on": today, "revoked_by": "Someone else"})

    assert response.status_code == 200
    assert "This consent was already revoked." in text(response)
    consent.refresh_from_db()
    assert consent.revoked_by == "The client"


# --- Supervisors -------------------------------------------------------------------------------


def test_a_supervisor_reviews_a_supervisees_caseload_read_only(
    client_for: ClientFor, supervisor: User, therapist: User, people: dict[str, Client]
) -> None:
    response = client_for(supervisor).get(
        reverse("clients:supervisee_caseload", kwargs={"therapist_pk": therapist.pk})
    )

    assert response.status_code == 200
    assert listed(response) == ["C-MOON22", "C-SUN333"]
    page = text(response)
    assert "Caseload of Tess Therapist" in page
    assert "read-only" in page
    assert "New client intake" not in page
    assert response.context["drafts"] == []


# --- No hard delete ----------------------------------------------------------------------------


def _url_names(patterns: list, namespace: str = "") -> list[str]:
    names = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names += _url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            names.append(f"{namespace}{entry.name}")
    return names


def test_no_url_deletes_anything() -> None:
    names = _url_names(get_resolver().url_patterns)

    assert "clients:chart" in names  # the walk found the clients app
    # A record of a technique on a draft note can be taken out before the note is signed, as
    # any draft text can (audited; refused by the note's lock once signed: tests/techniques).
    draft_only = {"techniques:remove"}
    # A clinician's own working hours and days off are their schedule, not a record of care:
    # removed when they change (scheduling), never touching an appointment.
    schedule = {"scheduling:hours_remove", "scheduling:time_off_remove"}
    kept = draft_only | schedule
    assert [n for n in names if ("delete" in n or "remove" in n) and n not in kept] == []


def test_discharge_keeps_the_record(
    web: HttpClient, record: Client, consent: Consent, therapist: User
) -> None:
    today = timezone.localdate()

    response = web.post(
        reverse("clients:status", kwargs={"pk": record.pk}),
        {"status": "discharged", "discharged_on": today.isoformat(), "discharge_reason": "Done"},
    )

    assert response.status_code == 302
    record = Client.objects.get(pk=record.pk)
    assert (record.status, record.discharged_on, record.discharge_reason) == (
        "discharged",
        today,
        "Done",
    )
    chart = web.get(reverse("clients:chart", kwargs={"pk": record.pk}))
    assert chart.status_code == 200
    assert "Discharged" in text(chart)
    assert record.consents.count() == 1
    assert record.intake.reason_for_coming == "I want my weekends back."
    discharged = web.post(reverse("clients:caseload"), {"status": "discharged"})
    assert listed(discharged) == [record.chart_number]
    assert listed(web.get(reverse("clients:caseload"))) == []


def test_a_discharged_client_can_be_made_active_again(web: HttpClient, record: Client) -> None:
    url = reverse("clients:status", kwargs={"pk": record.pk})
    web.post(url, {"status": "discharged", "discharged_on": timezone.localdate().isoformat()})

    web.post(url, {"status": "active"})

    record = Client.objects.get(pk=record.pk)
    assert (record.status, record.discharged_on, record.discharge_reason) == ("active", None, "")


def test_a_discharge_in_the_future_is_refused(web: HttpClient, record: Client) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = web.post(
        reverse("clients:status", kwargs={"pk": record.pk}),
        {"status": "discharged", "discharged_on": tomorrow},
    )

    assert response.status_code == 200
    assert "This date is in the future. Enter a date up to today" in text(response)
    assert Client.objects.get(pk=record.pk).status == "active"
