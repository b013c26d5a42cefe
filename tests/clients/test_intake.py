"""The intake, step by step through its URLs: each step saves a draft, a draft is resumable,
and bad input is refused with a message while everything typed stays on the page."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent, Intake, Referral, SubstanceUse
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.clients.helpers import change_event_count, record_state, text

ClientFor = Callable[[User | None], HttpClient]

REASON = {
    "legal_name": "Jordan Rivers",
    "preferred_name": "Jo",
    "pronouns": "they/them",
    "reason_for_coming": "I use more than I want to on weekends.",
    "client_goals": "Keep going out, lose fewer Sundays.",
}
DETAILS = {
    "date_of_birth": "1991-03-14",
    "phone": "+1 555 010 4477",
    "email": "jo@example.org",
    "may_contact": "on",
    "safe_to_leave_message": "on",
    "emergency_contact_name": "Sam Rivers",
    "emergency_contact_relationship": "brother",
    "emergency_contact_phone": "+1 555 010 9988",
}


def substances(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    """The substances formset as the page posts it."""
    data = {
        "substances-TOTAL_FORMS": str(len(rows)),
        "substances-INITIAL_FORMS": str(initial),
        "substances-MIN_NUM_FORMS": "0",
        "substances-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        data.update({f"substances-{index}-{field}": value for field, value in row.items()})
    return data


def step_url(client: Client, step: str) -> str:
    return reverse("clients:intake_step", kwargs={"pk": client.pk, "step": step})


@pytest.fixture
def web(client_for: ClientFor, therapist: User) -> HttpClient:
    return client_for(therapist)


@pytest.fixture
def started(web: HttpClient) -> Client:
    """A client whose intake has just passed its first step."""
    web.post(reverse("clients:intake_start"), REASON)
    return Client.objects.get(legal_name="Jordan Rivers")


# --- The whole flow ----------------------------------------------------------------------------


def test_a_therapist_completes_an_intake_across_the_steps(web: HttpClient, therapist: User) -> None:
    assert web.get(reverse("clients:intake_start")).status_code == 200

    response = web.post(reverse("clients:intake_start"), REASON)
    client = Client.objects.get(legal_name="Jordan Rivers")
    assert response.status_code == 302
    assert response["Location"] == step_url(client, "details")
    assert (client.status, client.therapist, client.intake.current_step) == (
        "intake",
        therapist,
        "details",
    )
    assert client.chart_number.startswith("C-")
    assert len(client.chart_number) == 8

    response = web.post(step_url(client, "details"), DETAILS)
    assert response["Location"] == step_url(client, "substances")

    response = web.post(
        step_url(client, "substances"),
        substances(
            {
                "substance": "alcohol",
                "amount": "8-10 drinks",
                "frequency": "Fri and Sat",
                "route": "oral",
                "setting": "bars",
                "last_use": "Saturday",
                "goal": "moderation",
                "stage_of_change": "contemplation",
            }
        ),
    )
    assert response["Location"] == step_url(client, "concerns")

    response = web.post(
        step_url(client, "concerns"),
        {"anxiety": "on", "other_concern": "Sleep", "concerns_notes": "Can't sleep after."},
    )
    assert response["Location"] == step_url(client, "medical")

    response = web.post(
        step_url(client, "medical"),
        {"medical_evaluation": "not_needed", "medical_not_needed_reason": "Liver tests due"},
    )
    assert response["Location"] == step_url(client, "referral")

    response = web.post(
        step_url(client, "referral"),
        {"source": "self", "explained-explained_goals": "on", "explained-explained_lapses": "on"},
    )
    assert response["Location"] == step_url(client, "review")

    review = web.get(step_url(client, "review"))
    assert review.status_code == 200
    page = text(review)
    for typed in ("I use more than I want to on weekends.", "8-10 drinks", "Liver tests due"):
        assert typed in page

    response = web.post(step_url(client, "review"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:chart", kwargs={"pk": client.pk})

    client = Client.objects.get(pk=client.pk)
    intake = client.intake
    assert client.status == "active"
    assert intake.completed_at is not None
    assert intake.completed_by == therapist
    assert (client.phone, client.email, client.date_of_birth) == (
        "+1 555 010 4477",
        "jo@example.org",
        datetime.date(1991, 3, 14),
    )
    assert (client.may_contact, client.safe_to_leave_message) == (True, True)
    assert client.emergency_contact_name == "Sam Rivers"
    assert list(
        client.substances.values_list("substance", "amount", "goal", "stage_of_change")
    ) == [("alcohol", "8-10 drinks", "moderation", "contemplation")]
    assert (intake.anxiety, intake.depression, intake.other_concern) == (True, False, "Sleep")
    assert intake.concerns_notes == "Can't sleep after."
    assert (intake.medical_evaluation, intake.medical_not_needed_reason) == (
        "not_needed",
        "Liver tests due",
    )
    assert (intake.explained_goals, intake.explained_lapses) == (True, True)
    assert client.referral.source == "self"
    chart = text(web.get(response["Location"]))
    assert "Intake complete. Jo is now active on your caseload." in chart


def test_completing_twice_changes_nothing_more(web: HttpClient, started: Client) -> None:
    web.post(step_url(started, "review"), {})
    completed_at = Intake.objects.get(client=started).completed_at
    changes = change_event_count()

    web.post(step_url(started, "review"), {})

    assert Intake.objects.get(client=started).completed_at == completed_at
    assert change_event_count() == changes


def test_the_reason_step_can_be_amended(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "reason"),
        {**REASON, "preferred_name": "Jordan", "reason_for_coming": "Weekends got out of hand."},
    )

    assert response["Location"] == step_url(started, "details")
    started.refresh_from_db()
    assert started.preferred_name == "Jordan"
    assert Intake.objects.get(client=started).reason_for_coming == "Weekends got out of hand."


def test_a_substance_row_can_be_corrected_and_another_added(
    web: HttpClient, started: Client
) -> None:
    row = SubstanceUseFactory(client=started, amount="a few drinks", goal="undecided")

    response = web.post(
        step_url(started, "substances"),
        substances(
            {"id": str(row.pk), "substance": "alcohol", "amount": "6 drinks", "goal": "moderation"},
            {"substance": "other", "substance_other": "Ketamine", "goal": "safer_use"},
            initial=1,
        ),
    )

    assert response.status_code == 302
    assert list(
        started.substances.order_by("pk").values_list(
            "substance", "substance_other", "amount", "goal"
        )
    ) == [("alcohol", "", "6 drinks", "moderation"), ("other", "Ketamine", "", "safer_use")]


def test_an_empty_extra_substance_row_is_ignored(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "substances"), substances({"substance": "", "goal": "undecided"})
    )

    assert response.status_code == 302
    assert started.substances.count() == 0


# --- Drafts ------------------------------------------------------------------------------------


def test_save_draft_and_exit_returns_to_the_caseload_with_a_resume_link(
    web: HttpClient, started: Client
) -> None:
    response = web.post(step_url(started, "details"), {**DETAILS, "save_exit": ""})

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:caseload")
    assert Intake.objects.get(client=started).current_step == "substances"
    assert Client.objects.get(pk=started.pk).phone == "+1 555 010 4477"

    caseload = web.get(reverse("clients:caseload"))
    page = text(caseload)
    assert "Draft saved. Resume it from your caseload under “Intakes in progress”." in page
    assert "Intakes in progress" in page
    assert list(caseload.context["drafts"]) == [started]
    assert f'href="{step_url(started, "substances")}"' in page
    assert "Resume intake" in page


def test_save_draft_and_exit_on_the_first_step(web: HttpClient) -> None:
    response = web.post(reverse("clients:intake_start"), {**REASON, "save_exit": ""})

    client = Client.objects.get(legal_name="Jordan Rivers")
    assert response["Location"] == reverse("clients:caseload")
    assert f'href="{step_url(client, "details")}"' in text(web.get(reverse("clients:caseload")))


def test_a_completed_intake_is_no_longer_in_progress(web: HttpClient, started: Client) -> None:
    web.post(step_url(started, "review"), {})

    caseload = web.get(reverse("clients:caseload"))

    assert list(caseload.context["drafts"]) == []
    assert "Intakes in progress" not in text(caseload)


def test_the_draft_list_is_only_the_therapists_own(
    client_for: ClientFor, started: Client, other_therapist: User
) -> None:
    caseload = client_for(other_therapist).get(reverse("clients:caseload"))

    assert list(caseload.context["drafts"]) == []
    assert started.chart_number not in text(caseload)


# --- Bad input ---------------------------------------------------------------------------------


def test_the_clients_reason_is_required_and_the_typed_name_is_kept(web: HttpClient) -> None:
    response = web.post(
        reverse("clients:intake_start"), {**REASON, "reason_for_coming": "   ", "client_goals": ""}
    )

    assert response.status_code == 200
    page = text(response)
    assert "Write down the client's reason for coming, in their own words." in page
    assert 'value="Jordan Rivers"' in page
    assert 'value="Jo"' in page
    assert 'value="they/them"' in page
    assert Client.objects.count() == 0


def test_a_name_to_call_the_client_by_is_required(web: HttpClient) -> None:
    response = web.post(
        reverse("clients:intake_start"), {**REASON, "legal_name": "", "preferred_name": " "}
    )

    assert response.status_code == 200
    assert "Write the name the client chooses to be called (initials are fine)." in text(response)
    assert "I use more than I want to on weekends." in text(response)
    assert Client.objects.count() == 0


def test_a_chosen_name_alone_opens_a_record(web: HttpClient, therapist: User) -> None:
    # Low-threshold care (issue 21): no legal name, no date of birth, no contact details.
    response = web.post(
        reverse("clients:intake_start"),
        {
            **REASON,
            "legal_name": "",
            "preferred_name": "J.",
            "identity_description": "Blue bike, Thursday outreach",
        },
    )

    client = Client.objects.get()
    assert response.status_code == 302
    assert (client.preferred_name, client.legal_name, client.date_of_birth) == ("J.", "", None)
    assert client.identity_description == "Blue bike, Thursday outreach"
    assert client.identity_key == ""
    assert client.therapist == therapist


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "date_of_birth",
            (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "This date is in the future. Enter a date up to today",
        ),
        (
            "date_of_birth",
            "1850-01-01",
            "Enter a date from 1 Jan 1900 onwards; please check the year.",
        ),
        ("date_of_birth", "14/03/1991x", "Enter a date such as 2026-06-01."),
        ("email", "jo-at-example", "Enter a valid email address."),
        (
            "phone",
            "call me maybe",
            "Enter a phone number of digits, spaces and + ( ) - . / only, e.g. +1 555 010 2030.",
        ),
        (
            "emergency_contact_phone",
            "12",
            "Enter a phone number of digits, spaces and + ( ) - . / only, e.g. +1 555 010 2030.",
        ),
    ],
)
def test_bad_details_are_refused_and_everything_typed_is_kept(
    web: HttpClient, started: Client, field: str, value: str, message: str
) -> None:
    before = record_state(started)
    changes = change_event_count()

    response = web.post(step_url(started, "details"), {**DETAILS, field: value})

    assert response.status_code == 200
    page = text(response)
    assert message in page
    for name, typed in {**DETAILS, field: value}.items():
        if name not in ("may_contact", "safe_to_leave_message"):
            assert f'value="{typed}"' in page, name
    assert record_state(started) == before
    assert change_event_count() == changes


def test_may_contact_needs_a_phone_or_email(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "details"), {**DETAILS, "phone": "", "email": "", "may_contact": "on"}
    )

    assert response.status_code == 200
    assert "Add a phone number or email to contact the client on." in text(response)


def test_the_edit_page_refuses_bad_input_and_keeps_it(web: HttpClient, started: Client) -> None:
    before = record_state(started)

    response = web.post(
        reverse("clients:edit", kwargs={"pk": started.pk}),
        {**REASON, **DETAILS, "preferred_name": "Renamed", "email": "nope"},
    )

    assert response.status_code == 200
    page = text(response)
    assert "Enter a valid email address." in page
    assert 'value="nope"' in page
    assert 'value="Renamed"' in page
    # The heading still names the client as stored, not as typed.
    assert "Edit details: Jo" in page
    assert record_state(started) == before


TOO_LONG = "x" * 10_001
TOO_LONG_MESSAGE = "Please keep this under 10,000 characters (it has 10001)."


def test_a_reason_over_10000_characters_is_refused(web: HttpClient) -> None:
    response = web.post(reverse("clients:intake_start"), {**REASON, "reason_for_coming": TOO_LONG})

    assert response.status_code == 200
    assert TOO_LONG_MESSAGE in text(response)
    assert Client.objects.count() == 0


def test_exactly_10000_characters_are_accepted(web: HttpClient) -> None:
    response = web.post(
        reverse("clients:intake_start"), {**REASON, "reason_for_coming": "x" * 10_000}
    )

    assert response.status_code == 302
    assert len(Intake.objects.get().reason_for_coming) == 10_000


@pytest.mark.parametrize(
    "step, data",
    [
        ("concerns", {"concerns_notes": TOO_LONG}),
        ("concerns", {"supports": TOO_LONG}),
    ],
)
def test_long_intake_notes_are_refused(
    web: HttpClient, started: Client, step: str, data: dict
) -> None:
    before = record_state(started)

    response = web.post(step_url(started, step), data)

    assert response.status_code == 200
    assert TOO_LONG_MESSAGE in text(response)
    assert record_state(started) == before


def test_the_concerns_step_keeps_strengths_in_the_clients_words(
    web: HttpClient, started: Client
) -> None:
    response = web.post(
        step_url(started, "concerns"),
        {
            "anxiety": "on",
            "strengths": "I show up for my kids.",
            "supports": "My sister Ana; the running group.",
            "past_changes": "Quit smoking for two years.",
        },
    )

    assert response.status_code == 302
    intake = Intake.objects.get(client=started)
    assert (intake.strengths, intake.supports, intake.past_changes) == (
        "I show up for my kids.",
        "My sister Ana; the running group.",
        "Quit smoking for two years.",
    )
    review = web.get(step_url(started, "review"))
    assert "My sister Ana; the running group." in text(review)


def test_not_needed_needs_a_reason(web: HttpClient, started: Client) -> None:
    """The evaluation's dates moved to the chart's Medical evaluation section
    (tests/clients/test_medical.py); the intake step holds the decision, recommended by
    default, "not needed now" only with a reason."""
    before = record_state(started)

    response = web.post(step_url(started, "medical"), {"medical_evaluation": "not_needed"})

    assert response.status_code == 200
    assert "Say why a medical evaluation is not needed now." in text(response)
    assert record_state(started) == before
    assert started.intake.medical_evaluation == "recommended"


def test_not_yet_considered_cannot_be_chosen(web: HttpClient, started: Client) -> None:
    response = web.post(step_url(started, "medical"), {"medical_evaluation": "not_considered"})
    assert response.status_code == 200
    assert "Select a valid choice." in text(response)


def test_recommending_again_clears_the_reason(web: HttpClient, started: Client) -> None:
    web.post(
        step_url(started, "medical"),
        {"medical_evaluation": "not_needed", "medical_not_needed_reason": "Own doctor"},
    )
    web.post(
        step_url(started, "medical"),
        {"medical_evaluation": "recommended", "medical_not_needed_reason": "Own doctor"},
    )
    started.intake.refresh_from_db()
    assert (started.intake.medical_evaluation, started.intake.medical_not_needed_reason) == (
        "recommended",
        "",
    )


MANDATED = {"source": "mandated", "mandate_kind": "criminal_justice", "agency": "County Court"}


def test_the_review_says_what_was_not_yet_explained_and_still_completes(
    web: HttpClient, started: Client
) -> None:
    web.post(step_url(started, "referral"), {**MANDATED, "explained-explained_goals": "on"})

    review = text(web.get(step_url(started, "review")))
    completed = web.post(step_url(started, "review"), {})

    assert "Not yet explained to the client:" in review
    assert "Using more than planned can happen, and we learn from it together." in review
    assert "The referring agency sees attendance only." in review
    assert (
        "Every goal is welcome; stopping is one among several."
        not in review.split("Not yet explained to the client:")[1].split("You can complete")[0]
    )
    assert completed.status_code == 302
    started.intake.refresh_from_db()
    assert started.intake.completed_at is not None


def test_everything_explained_leaves_the_review_quiet(web: HttpClient, started: Client) -> None:
    web.post(
        step_url(started, "referral"),
        {
            **MANDATED,
            "explained-explained_goals": "on",
            "explained-explained_lapses": "on",
            "explained-explained_attendance_only": "on",
        },
    )
    started.intake.refresh_from_db()
    assert (
        started.intake.explained_goals,
        started.intake.explained_lapses,
        started.intake.explained_attendance_only,
    ) == (True, True, True)
    assert "Not yet explained" not in text(web.get(step_url(started, "review")))
    chart = text(web.get(reverse("clients:intake", kwargs={"pk": started.pk})))
    assert "Explained: the referring agency sees attendance only." in chart


def test_a_self_referral_has_no_agency_to_explain(web: HttpClient, started: Client) -> None:
    web.post(
        step_url(started, "referral"),
        {"source": "self", "explained-explained_attendance_only": "on"},
    )
    started.intake.refresh_from_db()
    assert started.intake.explained_attendance_only is False
    review = text(web.get(step_url(started, "review")))
    assert "referring agency" not in review


def test_an_other_substance_needs_a_name(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "substances"),
        substances({"substance": "other", "amount": "a bump", "goal": "undecided"}),
    )

    assert response.status_code == 200
    assert "Name the substance or behaviour." in text(response)
    assert 'value="a bump"' in text(response)
    assert SubstanceUse.objects.count() == 0


def test_a_mandated_referral_without_an_agency_is_refused(web: HttpClient, started: Client) -> None:
    before = record_state(started)

    response = web.post(
        step_url(started, "referral"),
        {
            "source": "mandated",
            "mandate_kind": "criminal_justice",
            "agency_contact": "Officer Lane",
        },
    )

    assert response.status_code == 200
    page = text(response)
    assert "Name the referring agency." in page
    assert 'value="Officer Lane"' in page
    assert record_state(started) == before


def test_a_mandated_referral_needs_its_kind(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "referral"), {"source": "mandated", "agency": "County Court"}
    )

    assert response.status_code == 200
    assert "Choose the kind of mandate." in text(response)


def test_a_mandated_referral_is_recorded_and_flagged(web: HttpClient, started: Client) -> None:
    response = web.post(
        step_url(started, "referral"),
        {
            "source": "mandated",
            "mandate_kind": "welfare_to_work",
            "agency": "Workforce Services",
            "agency_contact": "T. Ruiz",
        },
    )

    assert response.status_code == 302
    referral = Referral.objects.get(client=started)
    assert (referral.source, referral.mandate_kind, referral.agency) == (
        "mandated",
        "welfare_to_work",
        "Workforce Services",
    )
    chart = text(web.get(reverse("clients:chart", kwargs={"pk": started.pk})))
    assert "Mandated referral: agency receives attendance only" in chart


def test_switching_to_self_referral_drops_the_agency(web: HttpClient, started: Client) -> None:
    web.post(
        step_url(started, "referral"),
        {"source": "mandated", "mandate_kind": "other", "agency": "EAP", "agency_contact": "HR"},
    )

    web.post(
        step_url(started, "referral"), {"source": "self", "agency": "EAP", "agency_contact": "HR"}
    )

    referral = Referral.objects.get(client=started)
    assert (referral.source, referral.mandate_kind, referral.agency, referral.agency_contact) == (
        "self",
        "",
        "",
        "",
    )


def _consent_data(**changed: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "recipient": "Dr. Primary Care",
        "purpose": "Coordinate care",
        "scope": "summary",
        "scope_details": "",
        "signed_on": today.isoformat(),
        "effective_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
        **changed,
    }


@pytest.mark.parametrize(
    "changed, message",
    [
        (
            {"expires_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
            "The expiry date must be after the effective date.",
        ),
        (
            {"expires_on": timezone.localdate().isoformat()},
            "The expiry date must be after the effective date.",
        ),
        (
            {"signed_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            "This date is in the future. Enter a date up to today",
        ),
        ({"scope": "other", "scope_details": ""}, "Describe what may be disclosed."),
        ({"scope": "other", "scope_details": TOO_LONG}, TOO_LONG_MESSAGE),
        ({"recipient": ""}, "This field is required."),
    ],
)
def test_bad_consents_are_refused_and_everything_typed_is_kept(
    web: HttpClient, started: Client, changed: dict, message: str
) -> None:
    data = _consent_data(**changed)

    response = web.post(reverse("clients:consent_create", kwargs={"pk": started.pk}), data)

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert 'value="Coordinate care"' in page
    assert f'value="{data["expires_on"]}"' in page
    assert Consent.objects.count() == 0


def test_a_revocation_in_the_future_is_refused(
    client_for: ClientFor, record: Client, consent: Consent, therapist: User
) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = client_for(therapist).post(
        reverse("clients:consent_revoke", kwargs={"pk": record.pk, "consent_pk": consent.pk}),
        {"revoked_on": tomorrow, "revoked_by": "The client"},
    )

    assert response.status_code == 200
    assert "This date is in the future. Enter a date up to today" in text(response)
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_a_discharge_needs_a_date(client_for: ClientFor, record: Client, therapist: User) -> None:
    response = client_for(therapist).post(
        reverse("clients:status", kwargs={"pk": record.pk}),
        {"status": "discharged", "discharge_reason": "Moved away"},
    )

    assert response.status_code == 200
    assert "Enter the date of discharge." in text(response)
    assert "Moved away" in text(response)
    assert Client.objects.get(pk=record.pk).status == "active"


# --- Typed HTML is shown as text ---------------------------------------------------------------


def test_html_typed_into_fields_is_shown_escaped(web: HttpClient) -> None:
    web.post(
        reverse("clients:intake_start"),
        {
            **REASON,
            "preferred_name": "<b>Jo</b>",
            "reason_for_coming": "<script>alert(1)</script> and <img src=x onerror=alert(2)>",
        },
    )
    client = Client.objects.get(legal_name="Jordan Rivers")

    for url in (
        reverse("clients:chart", kwargs={"pk": client.pk}),
        reverse("clients:intake", kwargs={"pk": client.pk}),
        reverse("clients:caseload"),
        step_url(client, "review"),
    ):
        raw = web.get(url).content.decode()
        assert "<script>alert(1)" not in raw
        assert "<img src=x" not in raw
        assert "<b>Jo</b>" not in raw
        assert "&lt;b&gt;Jo&lt;/b&gt;" in raw, url
    chart = web.get(reverse("clients:chart", kwargs={"pk": client.pk})).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart


def test_html_in_a_refused_form_is_kept_escaped(web: HttpClient) -> None:
    response = web.post(
        reverse("clients:intake_start"),
        {**REASON, "legal_name": '"><script>alert(1)</script>', "reason_for_coming": ""},
    )

    raw = response.content.decode()
    assert "<script>alert(1)" not in raw
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in raw


def test_a_client_factory_client_shows_on_the_chart(client_for: ClientFor, therapist: User) -> None:
    # The factory builds the same shape as a finished intake: the chart renders it.
    client = ClientFactory(therapist=therapist, intake__reason_for_coming="Sleep again.")

    response = client_for(therapist).get(reverse("clients:chart", kwargs={"pk": client.pk}))

    assert response.status_code == 200
    assert "Sleep again." in text(response)


# --- Autosave while typing (htmx) --------------------------------------------------------------


def test_autosave_stores_the_step_without_moving_the_resume_point(
    web: HttpClient, started: Client
) -> None:
    response = web.post(
        step_url(started, "concerns"),
        {"depression": "on", "concerns_notes": "Low since winter", "autosave": "1"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert text(response).startswith("Draft saved at ")
    intake = Intake.objects.get(client=started)
    assert (intake.depression, intake.concerns_notes) == (True, "Low since winter")
    assert intake.current_step == "details"


def test_autosave_of_invalid_input_stores_nothing(web: HttpClient, started: Client) -> None:
    before = record_state(started)

    response = web.post(step_url(started, "details"), {**DETAILS, "email": "nope", "autosave": "1"})

    assert response.status_code == 200
    assert text(response).strip() == (
        "Not saved yet: some answers need checking. Use “Save and continue” to see what to fix."
    )
    assert record_state(started) == before


def test_autosave_on_the_review_step_does_not_complete_the_intake(
    web: HttpClient, started: Client
) -> None:
    response = web.post(step_url(started, "review"), {"autosave": "1"})

    assert response.status_code == 204
    assert Intake.objects.get(client=started).completed_at is None


@pytest.mark.parametrize("role, status", [("supervisor", 403), ("other_therapist", 404)])
def test_autosave_is_refused_to_anyone_but_the_therapist(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    started: Client,
    role: str,
    status: int,
) -> None:
    before = record_state(started)
    user = request.getfixturevalue(role)

    response = client_for(user).post(
        step_url(started, "concerns"), {"anxiety": "on", "autosave": "1"}
    )

    assert response.status_code == status
    assert record_state(started) == before


def test_autosave_keeps_a_new_substance_row_for_the_explicit_save(
    web: HttpClient, started: Client
) -> None:
    # The page is not re-rendered between autosaves, so a new row is posted again (without an
    # id) on each keystroke and on "Save and continue": only the explicit save creates it, once.
    row = {"substance": "cannabis", "goal": "moderation"}
    first = web.post(step_url(started, "substances"), {**substances(row), "autosave": "1"})
    web.post(
        step_url(started, "substances"),
        {**substances({**row, "amount": "a joint"}), "autosave": "1"},
    )
    assert "A new substance is added when you press “Save and continue”" in text(first)
    assert started.substances.count() == 0

    web.post(step_url(started, "substances"), substances({**row, "amount": "a joint a day"}))

    assert list(started.substances.values_list("substance", "amount")) == [
        ("cannabis", "a joint a day")
    ]


def test_autosave_updates_a_stored_substance_row(web: HttpClient, started: Client) -> None:
    row = SubstanceUseFactory(client=started, amount="a few drinks")

    web.post(
        step_url(started, "substances"),
        {
            **substances(
                {
                    "id": str(row.pk),
                    "substance": "alcohol",
                    "amount": "2 drinks",
                    "goal": "moderation",
                },
                initial=1,
            ),
            "autosave": "1",
        },
    )

    assert list(started.substances.values_list("amount", flat=True)) == ["2 drinks"]
