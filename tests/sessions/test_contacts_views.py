"""Contact pages: who may open and change what, the contact's life through the pages, and
the query budgets of the Contacts section and of the caseload with contacts in it.

Access: the client's therapist records a contact, edits the draft, signs it and adds addenda;
their supervisor reads every contact (403 on every therapist write) and alone co-signs or
returns a contact waiting for them; a reader under an emergency grant reads (403 on writes);
another therapist, another supervisor and a clinic admin get 404. Every refused write changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from sessions import services, urls
from sessions.models import ContactAddendum, ContactReview, OutsideContact
from tests.budgets import CASELOAD_QUERIES
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.clients.helpers import text
from tests.conftest import STAFF_ROLES
from tests.emergency.factories import EmergencyGrantFactory
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.htmltext import form_values, parse, table
from tests.sessions.factories import (
    OutsideContactFactory,
    at,
    days_from_today,
    sign_contact,
)

ClientFor = Callable[[User | None], HttpClient]

# The chart's Contacts section: + client with header data, 3 flag prefetches (2 assessment,
# 1 goals), the count of contacts, the page of contacts with their author, access event.
CONTACTS_SECTION_QUERIES = 10
# A contact's page: + client (with access), the contact with its people and consent, its
# addenda, its reviews, access event (a supervisor's page adds the supervision check).
CONTACT_PAGE_QUERIES = 8


def _state() -> dict[str, Any]:
    """Everything a contact write could change, as plain values."""
    return {
        "contacts": [
            {**model_to_dict(c), "version": c.version, "updated_at": c.updated_at}
            for c in OutsideContact.objects.order_by("pk")
        ],
        "addenda": [model_to_dict(a) for a in ContactAddendum.objects.order_by("pk")],
        "reviews": [model_to_dict(r) for r in ContactReview.objects.order_by("pk")],
        "changes": AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    }


def _with_password(user: User) -> User:
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def contacts(record: Client) -> dict[str, OutsideContact]:
    """A draft, a signed contact and one waiting for co-signature, all of `record`."""
    author = record.therapist
    User.objects.filter(pk=author.pk).update(requires_cosign=True)
    awaiting = sign_contact(
        OutsideContactFactory(
            client=record,
            author=User.objects.get(pk=author.pk),
            occurred_at=at(days_from_today(-4), "11:00"),
        )
    )
    User.objects.filter(pk=author.pk).update(requires_cosign=False)
    return {
        "draft": OutsideContactFactory(client=record),
        "signed": sign_contact(
            OutsideContactFactory(client=record, occurred_at=at(days_from_today(-3), "09:00"))
        ),
        "awaiting": awaiting,
    }


def _url(name: str, contacts: dict[str, OutsideContact]) -> str:
    client_pk = contacts["draft"].client_id
    if name in ("contacts", "contact_new"):
        return reverse(f"sessions:{name}", args=[client_pk])
    contact = {"contact_addendum": contacts["signed"], "contact_review": contacts["awaiting"]}.get(
        name, contacts["draft"]
    )
    return reverse(f"sessions:{name}", args=[client_pk, contact.pk])


def _post(name: str, contacts: dict[str, OutsideContact]) -> dict[str, Any]:
    draft = contacts["draft"]
    contact_form = {
        "version": str(draft.version),
        "kind": "text",
        "date": days_from_today(-1).isoformat(),
        "time": "16:20",
        "duration_minutes": "",
        "summary": "Texted about Thursday.",
    }
    return {
        "contact_new": contact_form,
        "contact": contact_form,
        "contact_sign": {"version": str(draft.version), "password": TEST_PASSWORD},
        "contact_addendum": {"text": "It was a text, not a call."},
        "contact_review": {"decision": "cosign", "password": TEST_PASSWORD},
    }.get(name, {})


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


POST_ONLY = {role: 405 for role in STAFF_ROLES}
GET: dict[str, dict[str, int]] = {
    "contacts": _statuses(200, 200),
    "contact_new": _statuses(200, 403),
    "contact": _statuses(200, 200),
    "contact_sign": POST_ONLY,
    "contact_addendum": POST_ONLY,
    "contact_review": POST_ONLY,
}
POST: dict[str, dict[str, int]] = {
    "contact_new": _statuses(302, 403),
    "contact": _statuses(302, 403),
    "contact_sign": _statuses(302, 403),
    "contact_addendum": _statuses(302, 403),
    "contact_review": _statuses(403, 302),
}
WRITER = {"contact_review": "supervisor"}


def test_the_matrix_names_every_contact_url() -> None:
    names = {p.name for p in urls.urlpatterns if p.name and p.name.startswith("contact")}
    assert names == set(GET)
    assert set(POST) == set(GET) - {"contacts"}


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    contacts: dict[str, OutsideContact],
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).get(_url(name, contacts))

    assert response.status_code == GET[name][role]
    assert _state() == before


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(POST))
def test_post_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    contacts: dict[str, OutsideContact],
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    if role in ("therapist", "supervisor"):
        _with_password(user)
    before = _state()

    response = client_for(user).post(_url(name, contacts), _post(name, contacts))

    assert response.status_code == POST[name][role]
    if role == WRITER.get(name, "therapist"):
        assert _state() != before
    else:
        assert _state() == before


@pytest.mark.parametrize("name", list(GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, contacts: dict[str, OutsideContact], name: str, method: str
) -> None:
    url = _url(name, contacts)
    before = _state()
    web = client_for(None)

    response = web.post(url, _post(name, contacts)) if method == "post" else web.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


def test_an_emergency_reader_reads_but_never_writes(
    client_for: ClientFor, record: Client, contacts: dict[str, OutsideContact]
) -> None:
    reader = TherapistFactory(full_name="Nia Nightcover")
    EmergencyGrantFactory(user=reader, client=record)
    web = client_for(_with_password(reader))
    before = _state()

    reads = [web.get(_url(name, contacts)).status_code for name in ("contacts", "contact")]
    writes = [
        web.post(_url(name, contacts), _post(name, contacts)).status_code
        for name in ("contact_new", "contact", "contact_sign", "contact_addendum")
    ]

    assert (reads, writes) == ([200, 200], [403, 403, 403, 403])
    assert _state() == before


def test_a_contact_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = OutsideContactFactory(client=ClientFactory(therapist=therapist))

    response = client_for(therapist).get(
        reverse("sessions:contact", args=[record.pk, elsewhere.pk])
    )

    assert response.status_code == 404


# --- The flow through the pages -----------------------------------------------------------------


def test_the_therapist_records_a_call_and_signs_it(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    web = client_for(_with_password(therapist))
    new = reverse("sessions:contact_new", args=[record.pk])

    response = web.post(
        new,
        {
            "kind": "phone",
            "date": days_from_today(-1).isoformat(),
            "time": "15:30",
            "duration_minutes": "12",
            "summary": "Called after a hard night; safe now.",
            "overdose_risk": "none",
            "suicide_risk": "none",
        },
    )
    contact = OutsideContact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:contact", args=[record.pk, contact.pk])
    assert (contact.status, contact.duration_minutes) == ("draft", 12)
    assert timezone.localtime(contact.occurred_at) == at(days_from_today(-1), "15:30")

    response = web.post(
        reverse("sessions:contact_sign", args=[record.pk, contact.pk]),
        {"version": "1", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.status, contact.hash_verified()) == ("signed", True)
    page = text(web.get(reverse("sessions:contact", args=[record.pk, contact.pk])))
    assert "Called after a hard night; safe now." in page
    assert "Signed by Tess Therapist" in page


def test_a_refused_form_keeps_what_was_typed_and_stores_nothing(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    ConsentFactory(client=record, recipient="Probation", scope=Consent.Scope.ATTENDANCE)
    response = client_for(therapist).post(
        reverse("sessions:contact_new", args=[record.pk]),
        {
            "kind": "collateral",
            "date": days_from_today(-1).isoformat(),
            "time": "10:00",
            "with_whom": "Sam, partner",
            "summary": "Sam called about the weekend.",
        },
    )

    assert response.status_code == 400
    assert OutsideContact.objects.count() == 0
    root = parse(response)
    errors = [
        e.text_content().strip() for e in root.xpath("//*[contains(@class,'invalid-feedback')]")
    ]
    assert errors == [
        "A collateral contact needs the client's consent to talk with this person. Choose the "
        "consent, or record the consent first."
    ]
    values = form_values(response)
    assert (values["with_whom"], values["summary"]) == (
        "Sam, partner",
        "Sam called about the weekend.",
    )
    # An attendance-only consent is not offered for a conversation.
    options = [o.text_content() for o in root.xpath("//select[@name='consent']/option")]
    assert options == ["— none —"]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("date", "2026-02-30", "Enter a date such as 2026-06-01."),
        ("time", "25:00", "Enter a time such as 14:30."),
        ("duration_minutes", "900", "Enter the minutes, from 1 to 480."),
        ("kind", "letter", "Select a valid choice. letter is not one of the available choices."),
    ],
)
def test_bad_input_gets_a_clear_message(
    client_for: ClientFor, therapist: User, record: Client, field: str, value: str, error: str
) -> None:
    data = {"kind": "phone", "date": days_from_today(-1).isoformat(), "time": "10:00", field: value}

    response = client_for(therapist).post(reverse("sessions:contact_new", args=[record.pk]), data)

    assert response.status_code == 400
    root = parse(response)
    errors = [
        e.text_content().strip() for e in root.xpath("//*[contains(@class,'invalid-feedback')]")
    ]
    assert errors == [error]
    assert OutsideContact.objects.count() == 0


def test_a_signed_contact_refuses_an_edit_through_the_page(
    client_for: ClientFor, therapist: User, contacts: dict[str, OutsideContact]
) -> None:
    signed = contacts["signed"]
    before = _state()

    response = client_for(therapist).post(
        reverse("sessions:contact", args=[signed.client_id, signed.pk]),
        {**_post("contact", contacts), "version": str(signed.version)},
    )

    assert response.status_code == 409
    assert "This contact is signed and can no longer be changed." in text(response)
    assert _state() == before


def test_the_supervisor_returns_a_contact_with_comments(
    client_for: ClientFor, supervisor: User, contacts: dict[str, OutsideContact]
) -> None:
    awaiting = contacts["awaiting"]

    response = client_for(supervisor).post(
        reverse("sessions:contact_review", args=[awaiting.client_id, awaiting.pk]),
        {"decision": "return", "comments": "Add what was agreed."},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:cosign_queue")
    awaiting.refresh_from_db()
    assert awaiting.status == "draft"


def test_the_notes_page_and_the_queue_list_open_contacts(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    record: Client,
    contacts: dict[str, OutsideContact],
) -> None:
    mine = parse(client_for(therapist).get(reverse("sessions:my_notes")))
    queue = parse(client_for(supervisor).get(reverse("sessions:cosign_queue")))

    heading = mine.xpath("//h2[@id='contact-drafts-h']")[0].text_content()
    assert " ".join(heading.split()) == "Contacts outside sessions: drafts 1"
    drafts = mine.xpath("//section[@aria-labelledby='contact-drafts-h']//a/@href")
    assert drafts == [reverse("sessions:contact", args=[record.pk, contacts["draft"].pk])]
    links = queue.xpath("//section[@aria-labelledby='contact-queue-h']//a/@href")
    assert links == [reverse("sessions:contact", args=[record.pk, contacts["awaiting"].pk])]


def test_the_contacts_section_lists_the_clients_contacts(
    client_for: ClientFor, supervisor: User, record: Client, contacts: dict[str, OutsideContact]
) -> None:
    response = client_for(supervisor).get(reverse("sessions:contacts", args=[record.pk]))

    header, rows = table(response)
    assert header == ["When", "Kind", "Duration", "By", "Status"]
    assert [row[1:] for row in rows] == [
        ["Phone call", "10 min", "Tess Therapist", "Draft"],
        ["Phone call", "10 min", "Tess Therapist", "Signed"],
        ["Phone call", "10 min", "Tess Therapist", "Signed, waiting for co-signature"],
    ]
    # The supervisor reads; only the treating clinician records.
    assert "Record a contact" not in text(response)


# --- Query budgets -------------------------------------------------------------------------------


def _make(record: Client, n: int) -> None:
    for day in range(n):
        sign_contact(
            OutsideContactFactory(client=record, occurred_at=at(days_from_today(-1 - day), "12:00"))
        )


@pytest.mark.parametrize("rows", [1, 30])
def test_the_contacts_section_costs_the_same_at_one_and_many_rows(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    django_assert_num_queries: Any,
    rows: int,
) -> None:
    _make(record, rows)
    web = client_for(therapist)
    url = reverse("sessions:contacts", args=[record.pk])

    with django_assert_num_queries(CONTACTS_SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert len(table(response)[1]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 6])
def test_the_caseload_costs_the_same_with_contacts(
    client_for: ClientFor,
    therapist: User,
    django_assert_num_queries: Any,
    rows: int,
) -> None:
    for index in range(rows):
        _make(ClientFactory(therapist=therapist, preferred_name=f"Client {index}"), 3)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    header, body = table(response)
    assert [row[header.index("Last contact")].endswith("Phone call") for row in body] == [
        True
    ] * rows


@pytest.mark.parametrize("addenda", [1, 6])
def test_the_contact_page_costs_the_same_with_many_addenda(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    django_assert_num_queries: Any,
    addenda: int,
) -> None:
    contact = sign_contact(OutsideContactFactory(client=record))
    for n in range(addenda):
        services.contact_add_addendum(actor=therapist, contact=contact, text=f"Addendum {n}")
    web = client_for(therapist)
    url = reverse("sessions:contact", args=[record.pk, contact.pk])

    with django_assert_num_queries(CONTACT_PAGE_QUERIES):
        response = web.get(url)

    assert len(parse(response).xpath("//section[@id='addenda']/article")) == addenda


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_a_contact_changed_beneath_every_guard_shows_the_red_warning(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    contact = sign_contact(OutsideContactFactory(client=record))
    # As the database's superuser could: triggers off for this one statement.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE therapy_sessions_outsidecontact SET duration_minutes = 90 WHERE id = %s",
            [contact.pk],
        )

    response = client_for(supervisor).get(reverse("sessions:contact", args=[record.pk, contact.pk]))

    assert response.status_code == 200
    alert = parse(response).xpath("//*[@id='integrity-alert']")
    assert [" ".join(a.text_content().split()) for a in alert] == [
        "Integrity check failed The content of this signed contact does not match what was "
        "signed: it was changed outside the application or cannot be decrypted. Do not rely on "
        "it. This has been recorded in the audit trail; tell the clinic's privacy officer."
    ]
    assert list(
        AuditEvent.objects.filter(action="contact.verify_failed").values_list("detail", flat=True)
    ) == ["content hash mismatch"]
