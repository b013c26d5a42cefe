"""Who may open and change what, over every URL of the clients app.

A therapist sees and edits their assigned clients; a supervisor reads their supervisees'
clients; a clinic admin sees only name, chart number, status and assignment; everyone else
gets 404, because a client's existence is itself private.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone

from clients import extensions
from clients import urls as client_urls
from clients.models import Client, Consent, Intake, TherapistAssignment
from hrp.accounts.models import Supervision, User
from hrp.audit.models import AuditEvent
from tests.clients.factories import (
    ClientFactory,
    ConsentFactory,
    MedicalEvaluationFactory,
    SubstanceUseFactory,
)
from tests.clients.helpers import change_event_count, record_state, text
from tests.conftest import STAFF_ROLES

ClientFor = Callable[[User | None], HttpClient]

ALL_ROLES = [*STAFF_ROLES, "anonymous"]

CHART_READ_PAGES = [
    "chart",
    "intake",
    "medical",
    # Sections other apps register: the URL comes from the registry.
    "section:risk",
    "section:assessments",
    "section:plan",
    "section:safety",
    "section:sessions",
    "section:techniques",
    "section:contacts",
    "section:supplies",
    "section:groups",
    "section:referrals",
    "section:summaries",
    "section:disclosures",
    "section:records",
    "section:billing",
    "consents",
    "timeline",
]
INTAKE_STEP_PAGES = [f"intake_step:{step}" for step in Intake.Step.values]
CHART_WRITE_PAGES = [
    "edit",
    "status",
    "consent_create",
    "consent_revoke",
    "access_log",
    *INTAKE_STEP_PAGES,
]


def page_url(page: str, *, record: Client, consent: Consent, therapist: User) -> str:
    """The URL of `page` ("name" or "name:argument") for the fixtures' client."""
    name, _sep, argument = page.partition(":")
    kwargs: dict[str, Any] = {"pk": record.pk}
    if name == "consent_revoke":
        kwargs["consent_pk"] = consent.pk
    elif name == "medical_correct":
        evaluation = record.medical_evaluations.first() or MedicalEvaluationFactory(client=record)
        kwargs["evaluation_pk"] = evaluation.pk
    elif name == "section":
        return reverse(extensions.chart_section(argument).url_name, kwargs=kwargs)
    elif name == "intake_step":
        kwargs["step"] = argument
    elif name == "supervisee_caseload":
        kwargs = {"therapist_pk": therapist.pk}
    elif name in ("caseload", "intake_start", "manage_list", "unassigned", "merges_review"):
        kwargs = {}
    return reverse(f"clients:{name}", kwargs=kwargs)


def _statuses(therapist: int, supervisor: int, clinic_admin: int = 404) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": clinic_admin,
    }


EXPECTED_GET: dict[str, dict[str, int]] = {
    **{page: _statuses(200, 200) for page in CHART_READ_PAGES},
    **{page: _statuses(200, 403) for page in CHART_WRITE_PAGES},
    "supervisee_caseload": _statuses(200, 200),
    # Correcting an evaluation is the treating clinician's (tests/clients/test_medical.py has
    # the POSTs per role); recording one is POST only, for every role.
    "medical_correct": _statuses(200, 403),
    "medical_record": {**_statuses(405, 405, 405), "other_therapist": 405, "other_supervisor": 405},
    # The caseload and a new intake are a therapist's own pages: any therapist has them.
    "caseload": {**_statuses(200, 404), "other_therapist": 200},
    "intake_start": {**_statuses(200, 404), "other_therapist": 200},
    "manage_list": {**_statuses(404, 404), "clinic_admin": 200},
    "manage_client": {**_statuses(404, 404), "clinic_admin": 200},
    # The unassigned queue: clinic admins and every supervisor work it (admin-safe fields).
    "unassigned": {**_statuses(404, 200), "other_supervisor": 200, "clinic_admin": 200},
    # Identity and possible duplicates: read like the chart, decided by the treating clinician.
    "identity": _statuses(200, 200),
    # The review of merges: every supervisor has the page (it lists their supervisees' only).
    "merges_review": {**_statuses(404, 200), "other_supervisor": 200},
}


def test_the_matrix_covers_every_client_url() -> None:
    names = {p.name for p in client_urls.urlpatterns if isinstance(p, URLPattern)}
    covered = {page.partition(":")[0] for page in EXPECTED_GET} - {"section"}
    assert covered == names


def test_every_url_needs_its_own_sections_and_steps() -> None:
    # Guards the matrix: a section or intake step added later has to be added above.
    sections = {
        f"section:{section.key}"
        for section in extensions.chart_sections()
        if not section.url_name.startswith("clients:")
    }
    assert sections == {p for p in CHART_READ_PAGES if p.startswith("section:")}
    assert len(INTAKE_STEP_PAGES) == 7


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("page", list(EXPECTED_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    consent: Consent,
    therapist: User,
    page: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    url = page_url(page, record=record, consent=consent, therapist=therapist)

    response = client_for(user).get(url)

    assert response.status_code == EXPECTED_GET[page][role]


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("page", list(EXPECTED_GET))
def test_get_status_by_role_for_a_client_known_only_by_a_chosen_name(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    therapist: User,
    page: str,
    role: str,
) -> None:
    """Every page works for a client with no legal name, date of birth or contact details
    (issue 21): the same statuses as for any client, never a 500."""
    chosen_only = ClientFactory(therapist=therapist, preferred_name="J.", pseudonymous=True)
    consent = ConsentFactory(client=chosen_only)
    user = request.getfixturevalue(role)
    url = page_url(page, record=chosen_only, consent=consent, therapist=therapist)

    response = client_for(user).get(url)

    assert response.status_code == EXPECTED_GET[page][role]


@pytest.mark.parametrize("page", list(EXPECTED_GET))
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, record: Client, consent: Consent, therapist: User, page: str
) -> None:
    url = page_url(page, record=record, consent=consent, therapist=therapist)

    response = client_for(None).get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_the_supervisor_reads_the_chart_without_edit_controls(
    client_for: ClientFor, record: Client, supervisor: User
) -> None:
    response = client_for(supervisor).get(reverse("clients:chart", kwargs={"pk": record.pk}))

    page = text(response)
    assert response.status_code == 200
    assert "Read-only: supervision view" in page
    assert reverse("clients:edit", kwargs={"pk": record.pk}) not in page
    assert reverse("clients:access_log", kwargs={"pk": record.pk}) not in page


def test_the_assigned_therapist_sees_edit_controls(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", kwargs={"pk": record.pk}))

    page = text(response)
    assert "Read-only: supervision view" not in page
    assert reverse("clients:edit", kwargs={"pk": record.pk}) in page
    assert reverse("clients:access_log", kwargs={"pk": record.pk}) in page


def test_an_ended_supervision_ends_the_supervisors_access(
    client_for: ClientFor, record: Client, supervisor: User
) -> None:
    url = reverse("clients:chart", kwargs={"pk": record.pk})
    assert client_for(supervisor).get(url).status_code == 200

    Supervision.objects.filter(supervisor=supervisor).update(ended_at=timezone.now())

    assert client_for(supervisor).get(url).status_code == 404
    caseload = reverse("clients:supervisee_caseload", kwargs={"therapist_pk": record.therapist_id})
    assert client_for(supervisor).get(caseload).status_code == 404


@pytest.mark.parametrize(
    "path", ["access/", "overview/", "no-such-section/", "intake/no-such-step/"]
)
def test_unknown_sections_and_steps_do_not_exist(
    client_for: ClientFor, record: Client, therapist: User, path: str
) -> None:
    url = f"/clients/{record.pk}/{path}"

    assert client_for(therapist).get(url).status_code == 404


def test_a_consent_of_another_client_cannot_be_revoked_through_this_one(
    client_for: ClientFor, record: Client, therapist: User
) -> None:
    elsewhere = ConsentFactory(client=ClientFactory(therapist=therapist))
    url = reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": elsewhere.pk})

    response = client_for(therapist).post(
        url, {"revoked_on": timezone.localdate().isoformat(), "revoked_by": "The client"}
    )

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_on is None


def test_a_missing_client_is_404_for_everyone(client_for: ClientFor, therapist: User) -> None:
    url = reverse("clients:chart", kwargs={"pk": 999_999})

    assert client_for(therapist).get(url).status_code == 404


# --- Refused writes change nothing -------------------------------------------------------------


def _today() -> str:
    return timezone.localdate().isoformat()


def _write_payloads(record: Client, consent: Consent, other_therapist: User) -> dict[str, dict]:
    """A valid POST per write, each of which changes the record when the therapist sends it."""
    details = {
        "date_of_birth": "1990-04-01",
        "phone": "+1 555 999 0000",
        "email": "robin@example.org",
        "may_contact": "on",
        "emergency_contact_name": "Kim",
        "emergency_contact_relationship": "sister",
        "emergency_contact_phone": "+1 555 888 0000",
    }
    return {
        "edit": {"preferred_name": "Rob", "legal_name": "Robin Example", **details},
        "status": {"status": "on_hold"},
        "consent_create": {
            "recipient": "Dr. Primary Care",
            "purpose": "Coordinate care",
            "scope": "summary",
            "signed_on": _today(),
            "effective_on": _today(),
            "expires_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        },
        "consent_revoke": {"revoked_on": _today(), "revoked_by": "The client"},
        "intake_step:reason": {
            "preferred_name": "Rob",
            "legal_name": "Robin Example",
            "pronouns": "he/him",
            "reason_for_coming": "Changed words",
            "client_goals": "Changed goals",
        },
        "intake_step:details": details,
        "intake_step:substances": {
            "substances-TOTAL_FORMS": "1",
            "substances-INITIAL_FORMS": "0",
            "substances-MIN_NUM_FORMS": "0",
            "substances-MAX_NUM_FORMS": "20",
            "substances-0-substance": "cannabis",
            "substances-0-amount": "a joint",
            "substances-0-goal": "safer_use",
        },
        "intake_step:concerns": {"anxiety": "on", "concerns_notes": "Panic at work"},
        "intake_step:medical": {
            "medical_evaluation": "not_needed",
            "medical_not_needed_reason": "Seen by their own doctor last week",
        },
        "intake_step:referral": {
            "source": "mandated",
            "mandate_kind": "criminal_justice",
            "agency": "County Probation Department",
        },
        "intake_step:review": {},
        "manage_client:reassign": {
            "reassign": "",
            "therapist": str(other_therapist.pk),
            "reason": "Caseload balance",
        },
        "manage_client:set_status": {
            "set_status": "",
            "status": "discharged",
            "discharged_on": _today(),
            "discharge_reason": "Planned ending",
        },
    }


CLINICAL_WRITES = [
    "edit",
    "status",
    "consent_create",
    "consent_revoke",
    *INTAKE_STEP_PAGES,
]
ADMIN_WRITES = ["manage_client:reassign", "manage_client:set_status"]

EXPECTED_REFUSED_POST: dict[str, dict[str, int]] = {
    **{
        write: {
            "other_therapist": 404,
            "supervisor": 403,
            "other_supervisor": 404,
            "clinic_admin": 404,
            "anonymous": 302,
        }
        for write in CLINICAL_WRITES
    },
    **{
        write: {
            "therapist": 404,
            "other_therapist": 404,
            "supervisor": 404,
            "other_supervisor": 404,
            "anonymous": 302,
        }
        for write in ADMIN_WRITES
    },
}
ALLOWED_POST = {
    **dict.fromkeys(CLINICAL_WRITES, "therapist"),
    **dict.fromkeys(ADMIN_WRITES, "clinic_admin"),
}


@pytest.fixture
def draft(therapist: User) -> Client:
    """A client whose intake is still a draft, so every step (even "complete") is a change."""
    client = ClientFactory(
        therapist=therapist,
        status=Client.Status.INTAKE,
        intake__completed_at=None,
        intake__completed_by=None,
        intake__current_step=Intake.Step.REVIEW,
        phone="+1 555 010 2030",
    )
    SubstanceUseFactory(client=client)
    return client


def _post_url(write: str, draft: Client, consent: Consent) -> str:
    name = write.partition(":")[0]
    if name == "manage_client":
        return reverse("clients:manage_client", kwargs={"pk": draft.pk})
    return page_url(write, record=draft, consent=consent, therapist=draft.therapist)


@pytest.mark.parametrize(
    "write, role",
    [(write, role) for write, roles in EXPECTED_REFUSED_POST.items() for role in roles],
)
def test_refused_writes_change_nothing(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    draft: Client,
    other_therapist: User,
    write: str,
    role: str,
) -> None:
    consent = ConsentFactory(client=draft)
    user = request.getfixturevalue(role)
    payload = _write_payloads(draft, consent, other_therapist)[write]
    before = record_state(draft)
    changes_before = change_event_count()

    response = client_for(user).post(_post_url(write, draft, consent), payload)

    assert response.status_code == EXPECTED_REFUSED_POST[write][role]
    assert record_state(draft) == before
    assert change_event_count() == changes_before


@pytest.mark.parametrize("write", list(ALLOWED_POST))
def test_the_same_writes_by_the_allowed_role_do_change_the_record(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    draft: Client,
    other_therapist: User,
    write: str,
) -> None:
    # The control for the test above: the payloads are valid and do change something.
    consent = ConsentFactory(client=draft)
    user = request.getfixturevalue(ALLOWED_POST[write])
    payload = _write_payloads(draft, consent, other_therapist)[write]
    before = record_state(draft)
    changes_before = change_event_count()

    response = client_for(user).post(_post_url(write, draft, consent), payload)

    assert response.status_code == 302
    assert record_state(draft) != before
    assert change_event_count() > changes_before


# --- Reassignment moves access -----------------------------------------------------------------


def test_reassignment_moves_access_to_the_new_therapist(
    client_for: ClientFor,
    record: Client,
    therapist: User,
    other_therapist: User,
    clinic_admin: User,
) -> None:
    chart = reverse("clients:chart", kwargs={"pk": record.pk})
    assert client_for(therapist).get(chart).status_code == 200
    assert client_for(other_therapist).get(chart).status_code == 404

    response = client_for(clinic_admin).post(
        reverse("clients:manage_client", kwargs={"pk": record.pk}),
        {"reassign": "", "therapist": str(other_therapist.pk), "reason": "Caseload balance"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:manage_client", kwargs={"pk": record.pk})
    assert client_for(therapist).get(chart).status_code == 404
    assert client_for(other_therapist).get(chart).status_code == 200
    record.refresh_from_db()
    assert record.therapist == other_therapist
    history = list(
        TherapistAssignment.objects.filter(client=record)
        .order_by("started_at", "id")
        .values_list("therapist", "assigned_by", "ended_at", "reason")
    )
    assert len(history) == 2
    (old_therapist, _old_by, old_end, _old_reason), new = history
    assert old_therapist == therapist.pk
    assert old_end is not None
    assert new == (other_therapist.pk, clinic_admin.pk, None, "Caseload balance")
    event = AuditEvent.objects.get(action="client.assign", chart_number=record.chart_number)
    assert event.changes == {"therapist": [therapist.pk, other_therapist.pk]}
    assert event.actor == clinic_admin


def test_reassignment_moves_the_client_between_caseloads(
    client_for: ClientFor, record: Client, therapist: User, other_therapist: User, clinic_admin
) -> None:
    client_for(clinic_admin).post(
        reverse("clients:manage_client", kwargs={"pk": record.pk}),
        {"reassign": "", "therapist": str(other_therapist.pk), "reason": ""},
    )

    old = text(client_for(therapist).get(reverse("clients:caseload")))
    new = text(client_for(other_therapist).get(reverse("clients:caseload")))
    assert record.chart_number not in old
    assert record.chart_number in new


def test_reassigning_to_the_current_therapist_is_refused_and_changes_nothing(
    client_for: ClientFor, record: Client, therapist: User, clinic_admin: User
) -> None:
    before = record_state(record)
    changes_before = change_event_count()

    response = client_for(clinic_admin).post(
        reverse("clients:manage_client", kwargs={"pk": record.pk}),
        {"reassign": "", "therapist": str(therapist.pk), "reason": ""},
    )

    assert response.status_code == 200
    assert "This therapist is already assigned." in text(response)
    assert record_state(record) == before
    assert change_event_count() == changes_before


def test_the_admin_discharges_and_the_record_stays(
    client_for: ClientFor, record: Client, therapist: User, clinic_admin: User
) -> None:
    response = client_for(clinic_admin).post(
        reverse("clients:manage_client", kwargs={"pk": record.pk}),
        {
            "set_status": "",
            "status": "discharged",
            "discharged_on": _today(),
            "discharge_reason": "Moved away",
        },
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.discharged_on) == ("discharged", timezone.localdate())
    assert record.discharge_reason == "Moved away"
    assert client_for(therapist).get(f"/clients/{record.pk}/").status_code == 200


# --- The clinic admin never sees clinical content ----------------------------------------------


def test_the_admin_pages_never_show_clinical_content(
    client_for: ClientFor, therapist: User, clinic_admin: User
) -> None:
    record = ClientFactory(
        therapist=therapist,
        preferred_name="Zeb",
        legal_name="Zebulon Visible",
        intake__reason_for_coming="ZEBRAMARKER reason in their words",
        intake__client_goals="GIRAFFEMARKER goal",
        intake__concerns_notes="OKAPIMARKER concern",
        intake__medical_evaluation="not_needed",
        intake__medical_not_needed_reason="TAPIRMARKER reason",
        discharge_reason="",
    )
    MedicalEvaluationFactory(client=record, findings="TAPIRMARKER finding")
    SubstanceUseFactory(client=record, setting="WOMBATMARKER setting", amount="QUOKKAMARKER")
    ConsentFactory(client=record, purpose="NARWHALMARKER purpose")
    markers = ["ZEBRAMARKER", "GIRAFFEMARKER", "OKAPIMARKER", "TAPIRMARKER", "WOMBATMARKER"]
    markers += ["QUOKKAMARKER", "NARWHALMARKER"]
    admin = client_for(clinic_admin)

    listing = text(admin.get(reverse("clients:manage_list")))
    detail = text(admin.get(reverse("clients:manage_client", kwargs={"pk": record.pk})))

    # What the admin may see is there...
    for page in (listing, detail):
        assert "Zeb" in page
        assert record.chart_number in page
        assert "Tess Therapist" in page
    # ...and nothing clinical is.
    assert [m for m in markers if m in listing] == []
    assert [m for m in markers if m in detail] == []


def test_the_admin_pages_never_query_clinical_tables(
    client_for: ClientFor, record: Client, consent: Consent, clinic_admin: User
) -> None:
    # Stronger than looking at the page: no clinical row is even loaded for a clinic admin.
    admin = client_for(clinic_admin)
    with CaptureQueriesContext(connection) as queries:
        admin.get(reverse("clients:manage_client", kwargs={"pk": record.pk}))
        admin.get(reverse("clients:manage_list"))

    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "clients_client" in sql
    for table in ("clients_intake", "clients_substanceuse", "clients_consent", "clients_referral"):
        assert table not in sql
