"""Medical evaluation followed through (issue 16): the status rule at its edges, in Python and
in SQL alike (clients/medical.py); the chart's Medical evaluation section per role, its form's
dates and its corrections; the flag on the chart header and caseload; the findings beside the
harm assessment's physical-health rating; the reminder; the supervisor's column."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import medical, selectors
from clients.models import Client, Intake, MedicalEvaluation
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.immutability import ImmutableError
from notifications import services as notification_services
from notifications.extensions import rule_for
from notifications.models import Reminder
from supervision import selectors as supervision_selectors
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.budgets import CASELOAD_QUERIES
from tests.clients.factories import ClientFactory, MedicalEvaluationFactory
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import page_text
from tests.notifications.helpers import planned

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]
TODAY = timezone.localdate()
D = Intake.MedicalDecision

# The section: session, user, authenticator; the client with header data and the medical
# columns; 3 flag prefetches; the evaluations with recorder and corrections; the access event.
SECTION_QUERIES = 9


def _client_with(decision: str, *, reason: str = "", **kwargs: object) -> Client:
    return ClientFactory(
        intake__medical_evaluation=decision, intake__medical_not_needed_reason=reason, **kwargs
    )


def _status(client: Client) -> medical.MedicalStatus:
    return medical.status_of(medical.annotate(Client.objects.all()).get(pk=client.pk))


def _open_in_sql(client: Client) -> bool:
    return Client.objects.filter(medical.open_q(), pk=client.pk).exists()


# --- The rule -----------------------------------------------------------------------------------


def test_recommended_and_not_done_is_outstanding() -> None:
    client = _client_with(D.RECOMMENDED)
    assert _status(client) == medical.MedicalStatus(medical.OUTSTANDING)
    assert (_status(client).is_open, _open_in_sql(client)) == (True, True)
    assert _status(client).label == "Medical evaluation recommended, not yet done"


def test_not_needed_with_a_reason_is_not_open() -> None:
    client = _client_with(D.NOT_NEEDED, reason="Own doctor saw them last week.")
    assert _status(client) == medical.MedicalStatus(medical.NOT_NEEDED)
    assert (_status(client).is_open, _open_in_sql(client)) == (False, False)


def test_never_considered_is_open() -> None:
    client = _client_with(D.NOT_CONSIDERED)
    assert _status(client) == medical.MedicalStatus(medical.NOT_CONSIDERED)
    assert (_status(client).is_open, _open_in_sql(client)) == (True, True)
    assert _status(client).label == "Medical evaluation not yet considered"


@pytest.mark.parametrize("decision", [D.RECOMMENDED, D.NOT_NEEDED, D.NOT_CONSIDERED])
def test_an_evaluation_recorded_makes_it_done_whatever_was_decided(decision: str) -> None:
    client = _client_with(decision, reason="x" if decision == D.NOT_NEEDED else "")
    day = TODAY - datetime.timedelta(days=3)
    MedicalEvaluationFactory(client=client, evaluated_on=day)
    assert _status(client) == medical.MedicalStatus(medical.DONE, day)
    assert _open_in_sql(client) is False


def test_a_repeat_evaluation_is_the_latest_whatever_the_order_recorded() -> None:
    client = _client_with(D.RECOMMENDED)
    later = TODAY - datetime.timedelta(days=2)
    MedicalEvaluationFactory(client=client, evaluated_on=later)
    MedicalEvaluationFactory(client=client, evaluated_on=TODAY - datetime.timedelta(days=90))
    assert _status(client) == medical.MedicalStatus(medical.DONE, later)


def test_a_corrected_evaluation_no_longer_counts() -> None:
    client = _client_with(D.RECOMMENDED)
    wrong = MedicalEvaluationFactory(client=client, evaluated_on=TODAY)
    right_day = TODAY - datetime.timedelta(days=20)
    MedicalEvaluationFactory(client=client, evaluated_on=right_day, corrects=wrong)
    assert _status(client) == medical.MedicalStatus(medical.DONE, right_day)


def test_no_intake_reads_as_not_considered() -> None:
    assert medical.status(None, None) == medical.MedicalStatus(medical.NOT_CONSIDERED)


def test_evaluations_are_append_only() -> None:
    evaluation = MedicalEvaluationFactory()
    evaluation.findings = "changed"
    with pytest.raises(ImmutableError):
        evaluation.save()
    with pytest.raises(ImmutableError):
        evaluation.delete()


def test_findings_are_encrypted_at_rest() -> None:
    evaluation = MedicalEvaluationFactory(findings="HEPMARKER positive")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT findings FROM clients_medicalevaluation WHERE id = %s", [evaluation.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "HEPMARKER" not in stored


def test_a_new_intake_recommends_an_evaluation(therapist: User) -> None:
    from clients import services

    client = services.intake_start(
        actor=therapist,
        legal_name="New Person",
        preferred_name="",
        pronouns="",
        reason_for_coming="To talk.",
        client_goals="",
    )
    assert client.intake.medical_evaluation == D.RECOMMENDED
    assert (client.intake.explained_goals, client.intake.explained_lapses) == (False, False)


# --- The section, per role ---------------------------------------------------------------------

# role: (section, record POST, correct page)
ROLE_STATUS = {
    "therapist": (200, 302, 200),
    "other_therapist": (404, 404, 404),
    "supervisor": (200, 403, 403),
    "other_supervisor": (404, 404, 404),
    "clinic_admin": (404, 404, 404),
}


def _form(**changes: str) -> dict[str, str]:
    return {
        "evaluated_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
        "evaluated_by": "Dr. Moreau, primary care",
        "findings": "Bloods normal.",
        **changes,
    }


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    first = MedicalEvaluationFactory(client=record)
    web = client_for(request.getfixturevalue(role))

    statuses = (
        web.get(reverse("clients:medical", args=[record.pk])).status_code,
        web.post(reverse("clients:medical_record", args=[record.pk]), _form()).status_code,
        web.get(reverse("clients:medical_correct", args=[record.pk, first.pk])).status_code,
    )

    assert statuses == ROLE_STATUS[role]
    assert MedicalEvaluation.objects.count() == (2 if role == "therapist" else 1)


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, record: Client) -> None:
    url = reverse("clients:medical", args=[record.pk])
    response = client_for(None).get(url)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next={url}",
    )


def test_emergency_reader_reads_without_the_form(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    MedicalEvaluationFactory(client=record, findings="Chest clear.")
    EmergencyGrantFactory(user=other_therapist, client=record)
    web = client_for(other_therapist)

    page = web.get(reverse("clients:medical", args=[record.pk]))
    post = web.post(reverse("clients:medical_record", args=[record.pk]), _form())

    assert (page.status_code, post.status_code) == (200, 403)
    assert "Chest clear." in page_text(page)
    assert "Record an evaluation" not in page_text(page)
    assert MedicalEvaluation.objects.count() == 1


def test_a_repeat_evaluation_is_recorded_from_the_chart(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    MedicalEvaluationFactory(client=record, evaluated_on=TODAY - datetime.timedelta(days=60))
    web = client_for(therapist)

    response = web.post(
        reverse("clients:medical_record", args=[record.pk]),
        _form(findings="Liver tests back in range."),
    )

    assert response.status_code == 302
    latest = MedicalEvaluation.objects.filter(client=record).order_by("-evaluated_on").first()
    assert (latest.evaluated_on, latest.findings, latest.recorded_by) == (
        TODAY - datetime.timedelta(days=1),
        "Liver tests back in range.",
        therapist,
    )
    event = AuditEvent.objects.filter(action="medical_evaluation.record").latest("id")
    # The date is audited, the findings never are.
    assert "Liver" not in str(event.changes)
    assert _status(record) == medical.MedicalStatus(medical.DONE, TODAY - datetime.timedelta(1))
    text = page_text(web.get(reverse("clients:medical", args=[record.pk])))
    assert "Liver tests back in range." in text
    assert "Liver tests slightly raised; repeat in two months." in text


def test_a_future_date_is_refused_and_what_was_typed_is_kept(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = client_for(therapist).post(
        reverse("clients:medical_record", args=[record.pk]),
        _form(evaluated_on=tomorrow, findings="Kept as typed"),
    )

    assert response.status_code == 400
    assert "This date is in the future. Enter a date up to today" in page_text(response)
    assert f'value="{tomorrow}"' in response.content.decode()
    assert "Kept as typed" in response.content.decode()
    assert MedicalEvaluation.objects.count() == 0


@pytest.mark.parametrize(
    ("evaluated_on", "message"),
    [
        ("1850-03-01", "Enter a date from 1 Jan 1900 onwards; please check the year."),
        ("", "Enter the date of the evaluation."),
        ("٢٠٢٤-01-01", "Enter a date such as 2026-06-01."),
    ],
)
def test_other_bad_dates_are_refused(
    client_for: ClientFor, therapist: User, record: Client, evaluated_on: str, message: str
) -> None:
    response = client_for(therapist).post(
        reverse("clients:medical_record", args=[record.pk]), _form(evaluated_on=evaluated_on)
    )
    assert response.status_code == 400
    assert message in page_text(response)
    assert MedicalEvaluation.objects.count() == 0


def test_the_service_refuses_a_future_date_too(therapist: User, record: Client) -> None:
    from django.core.exceptions import ValidationError

    from clients import services

    with pytest.raises(ValidationError):
        services.medical_evaluation_record(
            actor=therapist,
            client=record,
            evaluated_on=TODAY + datetime.timedelta(days=1),
        )
    assert MedicalEvaluation.objects.count() == 0


def test_an_evaluation_stored_before_the_date_policy_is_shown(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    MedicalEvaluationFactory(client=record, evaluated_on=datetime.date(1850, 3, 1))
    response = client_for(therapist).get(reverse("clients:medical", args=[record.pk]))
    assert response.status_code == 200


def test_a_correction_replaces_the_entry_and_keeps_it_marked(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    wrong = MedicalEvaluationFactory(client=record, evaluated_on=TODAY, findings="Wrong chart")
    web = client_for(therapist)
    url = reverse("clients:medical_correct", args=[record.pk, wrong.pk])

    form_page = web.get(url)
    corrected = web.post(url, _form(findings="Right findings"))
    again = web.post(url, _form(findings="A second try"))

    assert (form_page.status_code, corrected.status_code, again.status_code) == (200, 302, 302)
    assert 'value="Dr. Moreau' not in form_page.content.decode()  # prefilled from the entry
    assert "Wrong chart" in form_page.content.decode()
    assert list(MedicalEvaluation.objects.filter(corrects=wrong).values_list("findings")) == [
        ("Right findings",)
    ]
    assert MedicalEvaluation.objects.count() == 2
    assert _status(record).on == TODAY - datetime.timedelta(days=1)


def test_another_clients_evaluation_is_404(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = MedicalEvaluationFactory(client=ClientFactory(therapist=therapist))
    response = client_for(therapist).post(
        reverse("clients:medical_correct", args=[record.pk, elsewhere.pk]), _form()
    )
    assert response.status_code == 404
    assert MedicalEvaluation.objects.count() == 1


@pytest.mark.parametrize("rows", [1, 12])
def test_section_query_count_is_constant(
    client_for: ClientFor, therapist: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    previous = None
    for index in range(rows):
        previous = MedicalEvaluationFactory(
            client=record,
            evaluated_on=TODAY - datetime.timedelta(days=index),
            corrects=previous if index % 3 == 2 else None,
        )
    web = client_for(therapist)
    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(reverse("clients:medical", args=[record.pk]))
    assert response.content.decode().count('class="border rounded p-3 mb-2 medical-evaluation') == (
        rows
    )


# --- Where the status shows --------------------------------------------------------------------


def _flags(client: Client, user: User) -> list[str]:
    loaded, _can = selectors.chart_client(user=user, pk=client.pk)
    return [flag.label for flag in selectors.chart_flags(loaded)]


def test_the_chart_header_flags_an_open_evaluation_once_the_intake_is_completed(
    therapist: User,
) -> None:
    outstanding = _client_with(D.RECOMMENDED, therapist=therapist)
    never = _client_with(D.NOT_CONSIDERED, therapist=therapist)
    draft = _client_with(
        D.RECOMMENDED,
        therapist=therapist,
        status=Client.Status.INTAKE,
        intake__completed_at=None,
    )
    done = _client_with(D.RECOMMENDED, therapist=therapist)
    MedicalEvaluationFactory(client=done)
    discharged = _client_with(
        D.RECOMMENDED,
        therapist=therapist,
        status=Client.Status.DISCHARGED,
        discharged_on=TODAY,
    )

    assert "Medical evaluation recommended, not yet done" in _flags(outstanding, therapist)
    assert "Medical evaluation not yet considered" in _flags(never, therapist)
    assert [f for f in _flags(draft, therapist) if "Medical" in f] == []
    assert [f for f in _flags(done, therapist) if "Medical" in f] == []
    # Nobody arranges care for a discharged client: no flag (nor reminder, nor column).
    assert [f for f in _flags(discharged, therapist) if "Medical" in f] == []


@pytest.mark.parametrize("size", [1, 25])
def test_the_caseload_shows_the_status_at_a_fixed_query_count(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    for index in range(size):
        client = _client_with(D.RECOMMENDED, therapist=therapist)
        for day in range(index % 3):  # none, one, or a repeat
            MedicalEvaluationFactory(client=client, evaluated_on=TODAY - datetime.timedelta(day))
    web = client_for(therapist)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))
    text = page_text(response)
    expected_open = len([i for i in range(size) if i % 3 == 0])
    assert text.count("Medical evaluation recommended, not yet done") == expected_open


def test_the_overview_panel_says_the_status(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    MedicalEvaluationFactory(client=record, evaluated_on=datetime.date(2026, 3, 2))
    text = page_text(client_for(therapist).get(reverse("clients:chart", args=[record.pk])))
    assert "Medical evaluation done on 2 Mar 2026." in text


def test_harm_assessment_shows_the_latest_findings_beside_physical_health(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    MedicalEvaluationFactory(
        client=record, evaluated_on=datetime.date(2026, 1, 5), findings="Old findings"
    )
    MedicalEvaluationFactory(
        client=record, evaluated_on=datetime.date(2026, 3, 2), findings="Hep C negative"
    )
    assessment = HarmAssessmentFactory(client=record)

    detail = client_for(supervisor).get(
        reverse("assessments:harm_detail", args=[record.pk, assessment.pk])
    )
    new = client_for(therapist).get(reverse("assessments:harm_new", args=[record.pk]))

    for response in (detail, new):
        assert response.status_code == 200
        text = page_text(response)
        assert "Latest medical evaluation: 2 Mar 2026 · Eastside Health Center" in text
        assert "Hep C negative" in text and "Old findings" not in text


def test_harm_assessment_says_when_no_evaluation_is_recorded(
    client_for: ClientFor, therapist: User
) -> None:
    record = ClientFactory(
        therapist=therapist,
        intake__medical_evaluation=D.RECOMMENDED,
        intake__medical_not_needed_reason="",
    )
    text = page_text(client_for(therapist).get(reverse("assessments:harm_new", args=[record.pk])))
    assert "Latest medical evaluation: Medical evaluation recommended, not yet done." in text


# --- The reminder ------------------------------------------------------------------------------


# The planner runs at noon: "due today at the send hour" is in its window at any hour the
# suite itself runs (after 20:00 the 08:00 reminder is past the 12-hour grace).
NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone())


def _completed_days_ago(therapist: User, days: int, **kwargs: object) -> Client:
    completed = NOON - datetime.timedelta(days=days)
    # Recommended unless the test says otherwise (the factory's default is "not needed").
    kwargs.setdefault("intake__medical_evaluation", D.RECOMMENDED)
    kwargs.setdefault("intake__medical_not_needed_reason", "")
    return ClientFactory(therapist=therapist, intake__completed_at=completed, **kwargs)


def _send_hour_on(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(8), tzinfo=timezone.get_current_timezone())


def test_an_open_evaluation_reminds_the_therapist_14_days_after_the_intake(
    therapist: User,
) -> None:
    due_today = _completed_days_ago(therapist, 14)
    _completed_days_ago(therapist, 5)  # too early
    done = _completed_days_ago(therapist, 14)
    MedicalEvaluationFactory(client=done)
    _completed_days_ago(
        therapist,
        14,
        intake__medical_evaluation=D.NOT_NEEDED,
        intake__medical_not_needed_reason="Own doctor",
    )
    never = _completed_days_ago(therapist, 14, intake__medical_evaluation=D.NOT_CONSIDERED)
    _completed_days_ago(therapist, 14, status=Client.Status.DISCHARGED, discharged_on=TODAY)

    notification_services.plan_reminders(now=NOON)

    due = _send_hour_on(timezone.localdate(due_today.intake.completed_at) + datetime.timedelta(14))
    medical_rows = {row for row in planned() if row[0] == "medical_evaluation"}
    assert medical_rows == {
        ("medical_evaluation", "in_app", therapist.pk, due_today.pk, due),
        ("medical_evaluation", "in_app", therapist.pk, never.pk, due),
    }


def test_the_reminder_is_content_free_and_stops_once_recorded(therapist: User) -> None:
    client = _completed_days_ago(therapist, 14)
    notification_services.plan_reminders(now=NOON)
    reminder = Reminder.objects.get(kind="medical_evaluation")
    rule = rule_for("medical_evaluation")
    assert rule is not None

    text, link = rule.render(reminder)
    assert (text, link) == (
        "Something from an intake is still to be arranged.",
        reverse("clients:medical", args=[client.pk]),
    )
    assert rule.still_needed(reminder, timezone.now()) is True
    MedicalEvaluationFactory(client=client)
    assert rule.still_needed(reminder, timezone.now()) is False


# --- The supervisor's column -------------------------------------------------------------------


def test_the_supervisors_column_lists_and_counts_open_evaluations(
    supervisor: User, therapist: User
) -> None:
    outstanding = _client_with(D.RECOMMENDED, therapist=therapist, preferred_name="Aya")
    never = _client_with(D.NOT_CONSIDERED, therapist=therapist, preferred_name="Bo")
    MedicalEvaluationFactory(client=_client_with(D.RECOMMENDED, therapist=therapist))
    _client_with(D.NOT_NEEDED, reason="Own doctor", therapist=therapist)
    _client_with(
        D.RECOMMENDED, therapist=therapist, status=Client.Status.INTAKE, intake__completed_at=None
    )

    board = supervision_selectors.boards(supervisor=supervisor, therapists=[therapist])[0]
    tally = supervision_selectors.dashboard(supervisor=supervisor)[0]

    assert board.medical == [outstanding, never]
    assert tally.counts()["medical"] == 2


def test_the_supervisors_column_page(
    client_for: ClientFor, supervisor: User, therapist: User, other_supervisor: User
) -> None:
    _client_with(D.NOT_CONSIDERED, therapist=therapist, preferred_name="Bo")
    url = reverse("supervision:column", args=[therapist.pk, "medical"])

    page = client_for(supervisor).get(url)

    assert page.status_code == 200
    assert "Bo (" in page_text(page) and "not yet considered" in page_text(page)
    assert client_for(other_supervisor).get(url).status_code == 404
