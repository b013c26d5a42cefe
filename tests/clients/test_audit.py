"""The audit trail of the client record: an access event per chart view, a change event with
old and new values per create and update, and the "who accessed this record" page."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent
from hrp.accounts.models import User
from hrp.audit.actions import action_label
from hrp.audit.models import AuditEvent
from tests.clients.helpers import events_since, last_event_id, text

ClientFor = Callable[[User | None], HttpClient]

CHART_PAGES = [
    ("overview", "clients:chart", {}),
    ("intake", "clients:intake", {}),
    ("assessments", "assessments:section", {}),
    ("plan", "goals:section", {}),
    ("sessions", "sessions:section", {}),
    ("consents", "clients:consents", {}),
    ("timeline", "clients:timeline", {}),
    ("access", "clients:access_log", {}),
]


@pytest.mark.parametrize("section, url_name, kwargs", CHART_PAGES)
def test_each_chart_page_view_writes_one_access_event(
    client_for: ClientFor,
    record: Client,
    therapist: User,
    section: str,
    url_name: str,
    kwargs: dict,
) -> None:
    web = client_for(therapist)
    url = reverse(url_name, kwargs={"pk": record.pk, **kwargs})
    since = last_event_id()

    response = web.get(url)

    assert response.status_code == 200
    events = events_since(since)
    assert [
        (e.category, e.action, e.actor, e.chart_number, e.ip_address, e.path) for e in events
    ] == [("access", f"client.view.{section}", therapist, record.chart_number, "127.0.0.1", url)]
    assert (events[0].object_type, events[0].object_id) == ("clients.client", str(record.pk))
    assert events[0].changes == {}


@pytest.mark.parametrize("section, url_name, kwargs", CHART_PAGES[:-1])
def test_a_supervisors_chart_view_is_recorded_as_theirs(
    client_for: ClientFor,
    record: Client,
    supervisor: User,
    section: str,
    url_name: str,
    kwargs: dict,
) -> None:
    web = client_for(supervisor)
    since = last_event_id()

    web.get(reverse(url_name, kwargs={"pk": record.pk, **kwargs}))

    assert [(e.action, e.actor) for e in events_since(since)] == [
        (f"client.view.{section}", supervisor)
    ]


@pytest.mark.parametrize("role", ["other_therapist", "other_supervisor", "clinic_admin"])
def test_a_refused_chart_view_records_no_access(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    # Nothing was read, so nothing is accounted as an access to this client's record.
    web = client_for(request.getfixturevalue(role))
    since = last_event_id()

    response = web.get(reverse("clients:chart", kwargs={"pk": record.pk}))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(id__gt=since, chart_number=record.chart_number).count() == 0


def test_a_forwarded_address_is_recorded_as_the_last_proxy_hop(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    web = client_for(therapist)
    since = last_event_id()

    web.get(
        reverse("clients:chart", kwargs={"pk": record.pk}),
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
    )

    assert [e.ip_address for e in events_since(since)] == ["198.51.100.7"]


def test_starting_an_intake_writes_create_save_and_assign_events(
    client_for: ClientFor, therapist: User
) -> None:
    web = client_for(therapist)
    since = last_event_id()

    response = web.post(
        reverse("clients:intake_start"),
        {
            "legal_name": "Avery Stone",
            "preferred_name": "Ave",
            "pronouns": "she/her",
            "reason_for_coming": "My drinking scares my kids.",
            "client_goals": "Drink only on weekends.",
        },
    )

    assert response.status_code == 302
    client = Client.objects.get(legal_name="Avery Stone")
    events = events_since(since)
    assert [(e.category, e.action, e.actor, e.chart_number, e.ip_address) for e in events] == [
        ("change", "client.create", therapist, client.chart_number, "127.0.0.1"),
        ("change", "intake.save", therapist, client.chart_number, "127.0.0.1"),
        ("change", "client.assign", therapist, client.chart_number, "127.0.0.1"),
    ]
    assert [e.changes for e in events] == [
        {
            "legal_name": [None, "Avery Stone"],
            "preferred_name": [None, "Ave"],
            "pronouns": [None, "she/her"],
            "status": [None, "intake"],
        },
        {
            "reason_for_coming": [None, "My drinking scares my kids."],
            "client_goals": [None, "Drink only on weekends."],
        },
        {"therapist": [None, therapist.pk]},
    ]
    assert [(e.object_type, e.object_id) for e in events] == [
        ("clients.client", str(client.pk)),
        ("clients.intake", str(client.intake.pk)),
        ("clients.client", str(client.pk)),
    ]


def _details(record: Client, **changed: str) -> dict[str, str]:
    """The edit form as the page posts it, with `changed` fields typed over."""
    data = {
        "preferred_name": record.preferred_name,
        "legal_name": record.legal_name,
        "pronouns": record.pronouns,
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else "",
        "phone": record.phone,
        "email": record.email,
        "emergency_contact_name": record.emergency_contact_name,
        "emergency_contact_relationship": record.emergency_contact_relationship,
        "emergency_contact_phone": record.emergency_contact_phone,
    }
    if record.may_contact:
        data["may_contact"] = "on"
    if record.safe_to_leave_message:
        data["safe_to_leave_message"] = "on"
    data.update(changed)
    return data


def test_editing_details_writes_one_update_with_old_and_new_values(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    web = client_for(therapist)
    since = last_event_id()

    response = web.post(
        reverse("clients:edit", kwargs={"pk": record.pk}), _details(record, phone="+1 555 777 1234")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:chart", kwargs={"pk": record.pk})
    record.refresh_from_db()
    assert record.phone == "+1 555 777 1234"
    events = events_since(since)
    assert [(e.category, e.action, e.actor, e.chart_number) for e in events] == [
        ("change", "client.update", therapist, record.chart_number)
    ]
    assert events[0].changes == {"phone": ["+1 555 010 2030", "+1 555 777 1234"]}
    assert events[0].ip_address == "127.0.0.1"


def test_saving_details_unchanged_writes_no_change_event(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    web = client_for(therapist)
    since = last_event_id()

    response = web.post(reverse("clients:edit", kwargs={"pk": record.pk}), _details(record))

    assert response.status_code == 302
    assert [e.action for e in events_since(since)] == []


def test_recording_a_consent_writes_a_create_event(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    today = timezone.localdate()
    expires = today + datetime.timedelta(days=180)
    web = client_for(therapist)
    since = last_event_id()

    response = web.post(
        reverse("clients:consent_create", kwargs={"pk": record.pk}),
        {
            "recipient": "Dr. Primary Care",
            "purpose": "Coordinate care",
            "scope": "summary",
            "scope_details": "",
            "signed_on": today.isoformat(),
            "effective_on": today.isoformat(),
            "expires_on": expires.isoformat(),
        },
    )

    assert response.status_code == 302
    consent = Consent.objects.get(client=record)
    events = events_since(since)
    assert [(e.category, e.action, e.actor, e.object_id) for e in events] == [
        ("change", "consent.create", therapist, str(consent.pk))
    ]
    assert events[0].changes == {
        "recipient": [None, "Dr. Primary Care"],
        "purpose": [None, "Coordinate care"],
        "scope": [None, "summary"],
        "scope_details": [None, ""],
        "signed_on": [None, today.isoformat()],
        "effective_on": [None, today.isoformat()],
        "expires_on": [None, expires.isoformat()],
    }


def test_revoking_a_consent_writes_a_revoke_event(
    client_for: ClientFor, record: Client, consent: Consent, therapist: User
) -> None:
    today = timezone.localdate()
    web = client_for(therapist)
    since = last_event_id()

    response = web.post(
        reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": consent.pk}),
        {"revoked_on": today.isoformat(), "revoked_by": "The client"},
    )

    assert response.status_code == 302
    consent.refresh_from_db()
    assert (consent.revoked_on, consent.revoked_by, consent.revocation_recorded_by) == (
        today,
        "The client",
        therapist,
    )
    events = events_since(since)
    assert [(e.category, e.action, e.actor, e.object_id) for e in events] == [
        ("change", "consent.revoke", therapist, str(consent.pk))
    ]
    assert events[0].changes == {
        "revoked_on": [None, today.isoformat()],
        "revoked_by": ["", "The client"],
        "revocation_recorded_by": [None, therapist.pk],
    }


def test_changing_status_writes_old_and_new_status(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    web = client_for(therapist)
    since = last_event_id()

    web.post(reverse("clients:status", kwargs={"pk": record.pk}), {"status": "on_hold"})

    events = events_since(since)
    assert [(e.action, e.changes) for e in events] == [
        ("client.status", {"status": ["active", "on_hold"]})
    ]


def test_the_access_log_lists_views_and_changes_for_the_assigned_therapist(
    client_for: ClientFor,
    record: Client,
    consent: Consent,
    therapist: User,
    supervisor: User,
) -> None:
    web = client_for(therapist)
    web.post(
        reverse("clients:edit", kwargs={"pk": record.pk}), _details(record, phone="+1 555 777 1234")
    )
    web.post(
        reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": consent.pk}),
        {"revoked_on": timezone.localdate().isoformat(), "revoked_by": "The client"},
    )
    client_for(supervisor).get(reverse("clients:chart", kwargs={"pk": record.pk}))

    response = web.get(reverse("clients:access_log", kwargs={"pk": record.pk}))

    assert response.status_code == 200
    rows = [
        (e.actor.full_name, f"{e.get_category_display()}: {action_label(e.action)}", e.ip_address)
        for e in response.context["page"]
    ]
    # Newest first, including this very view of the log.
    assert rows == [
        ("Tess Therapist", "Access: Viewed record: who accessed it", "127.0.0.1"),
        ("Sue Supervisor", "Access: Viewed record: overview", "127.0.0.1"),
        ("Tess Therapist", "Change: Consent revoked", "127.0.0.1"),
        ("Tess Therapist", "Change: Client details changed", "127.0.0.1"),
    ]
    page = text(response)
    for _who, what, _ip in rows:
        assert what in page
    assert "Sue Supervisor" in page


def test_the_access_log_shows_only_this_clients_events(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    from tests.clients.factories import ClientFactory

    other = ClientFactory(therapist=therapist)
    web = client_for(therapist)
    web.get(reverse("clients:chart", kwargs={"pk": other.pk}))

    response = web.get(reverse("clients:access_log", kwargs={"pk": record.pk}))

    assert {e.chart_number for e in response.context["page"]} == {record.chart_number}


def test_audit_events_cannot_be_changed_or_removed(record: Client, therapist: User) -> None:
    from hrp.audit.models import AuditImmutableError
    from hrp.audit.services import audit_record

    event = audit_record(category="access", action="client.view.overview", actor=therapist)

    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditImmutableError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "client.view.overview"
