"""The kinds of link besides a measure (selfreport/kinds.py): a rating of a session, a weekly
use diary and a relaxation-practice log. Each through the client's page with the real token,
once only, refused when expired, withdrawn or unknown; what each lands in the chart and how the
chart reads it (the rating alert, "% of days within plan", the Overview)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, SubstanceUse
from goals import selectors as goal_selectors
from goals import services as goal_services
from goals.models import UseCheckIn
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from selfreport import kinds, selectors, services
from selfreport.models import _KIND_RULES, ClientLink, PracticeLog, UseDiary
from selfreport.services import LinkUnavailable
from sessions import selectors as session_selectors
from sessions import services as session_services
from sessions.models import ClientSessionRating, RatingAlert, SessionNote
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.goals.factories import weeks_ago
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory, sign_note

pytestmark = pytest.mark.django_db

RATING_LOW = {
    "rating_heard": "5",
    "rating_wanted": "5",
    "rating_approach": "5",
    "rating_overall": "4",
}
RATING_HIGH = {
    "rating_heard": "10",
    "rating_wanted": "9",
    "rating_approach": "9",
    "rating_overall": "10",
}


def _audit_actions(link: ClientLink) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type=link._meta.label_lower, object_id=str(link.pk))
        .order_by("id")
        .values_list("action", "path")
    )


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def limited(record: Client, alcohol: SubstanceUse) -> Any:
    """A plan with limits for alcohol (2 use days a week, 3 drinks a use day), five weeks old."""
    return PlanVersionFactory(
        plan=PlanFactory(client=record),
        created_at=timezone.now() - datetime.timedelta(weeks=5),
        sections=[plan_section(max_days_per_week=2, max_amount_per_day="3", amount_unit="drinks")],
    )


def _send(therapist: User, record: Client, kind: str, **kw: Any) -> tuple[ClientLink, str]:
    return services.link_send(actor=therapist, client=record, kind=kind, language="en", **kw)


# --- The registry ---------------------------------------------------------------------------


def test_the_registry_the_model_and_its_constraints_name_the_same_kinds() -> None:
    assert list(kinds.KINDS) == list(ClientLink.Kind.values) == list(_KIND_RULES)
    assert {k: spec.result_field for k, spec in kinds.KINDS.items()} == {
        k: rule[0] for k, rule in _KIND_RULES.items()
    }


# --- Session rating -------------------------------------------------------------------------


def test_the_client_rates_a_signed_session_and_the_alert_reads_it(
    therapist: User, record: Client
) -> None:
    note = sign_note(SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record)))
    link, token = _send(therapist, record, "session_rating", appointment=note.appointment)
    web = WebClient()

    page = web.get(f"/r/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Robin" not in html and "<script" not in html
    assert html.count('type="radio"') == 4 * 11
    assert formats.weekday_date(note.appointment.starts_at) in html

    done = web.post(f"/r/{token}/", RATING_LOW)
    assert done.status_code == 200
    assert "Your answers reached your therapist." in done.content.decode()

    rating = ClientSessionRating.objects.get()
    assert (rating.appointment_id, rating.rating_total, rating.source) == (
        note.appointment_id,
        19,
        "client",
    )
    link.refresh_from_db()
    assert (link.session_rating_id, link.state()) == (rating.pk, "answered")
    # The signed note is untouched; the alert hangs on it, from the client's own rating.
    assert SessionNote.objects.get().rating_total is None
    assert list(RatingAlert.objects.values_list("note_id", "reason", "total")) == [
        (note.pk, "threshold", 19)
    ]
    assert _audit_actions(link) == [
        ("self_report.link_send", ""),
        ("self_report.link_open", "/r/(link)/"),
        ("self_report.link_submit", "/r/(link)/"),
    ]

    again = web.post(f"/r/{token}/", RATING_HIGH)
    assert again.status_code == 410
    assert ClientSessionRating.objects.count() == 1


def test_the_client_s_later_rating_wins_over_the_in_session_one(
    therapist: User, record: Client
) -> None:
    """Both are shown; the chart and the alert read the latest word, the client's own."""
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=record),
        rating_heard=10,
        rating_wanted=10,
        rating_approach=10,
        rating_overall=10,
    )
    _link, token = _send(therapist, record, "session_rating", appointment=note.appointment)

    services.link_submit(token=token, answers=RATING_LOW)

    assert session_selectors.rating_trend(record) == [
        session_selectors.RatingPoint(
            date=timezone.localdate(note.appointment.starts_at),
            total=19,
            alert=True,
            in_session_total=40,
            client_total=19,
        )
    ]
    assert RatingAlert.objects.get().total == 19


def test_a_client_rating_counts_in_the_running_average_of_later_sessions(
    therapist: User, record: Client
) -> None:
    """The same drop rule as for in-session ratings, fed by the client's own."""
    start = timezone.now() - datetime.timedelta(weeks=4)
    for weeks in (0, 1):
        appointment = AttendedAppointmentFactory(
            client=record, starts_at=start + datetime.timedelta(weeks=weeks)
        )
        _link, token = _send(therapist, record, "session_rating", appointment=appointment)
        services.link_submit(token=token, answers=RATING_HIGH)  # 38 each
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=start + datetime.timedelta(weeks=2)
        )
    )

    session_services.note_save(
        actor=therapist,
        note=note,
        expected_version=note.version,
        values={"rating_heard": 8, "rating_wanted": 8, "rating_approach": 8, "rating_overall": 8},
    )

    assert list(RatingAlert.objects.values_list("reason", "total", "running_average")) == [
        ("drop", 32, Decimal("38.0"))
    ]


def test_a_rating_sent_before_the_note_alerts_when_the_note_is_begun(
    therapist: User, record: Client
) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    _link, token = _send(therapist, record, "session_rating", appointment=appointment)
    services.link_submit(token=token, answers=RATING_LOW)
    assert RatingAlert.objects.count() == 0  # no note to hang it on yet

    note = session_services.note_start(actor=therapist, appointment=appointment)

    assert list(RatingAlert.objects.values_list("note_id", "total")) == [(note.pk, 19)]


def test_a_missing_or_out_of_range_item_keeps_the_others(therapist: User, record: Client) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    link, token = _send(therapist, record, "session_rating", appointment=appointment)

    page = WebClient().post(f"/r/{token}/", {**RATING_LOW, "rating_overall": ""})

    assert page.status_code == 200
    html = page.content.decode()
    assert "Nothing was sent" in html
    assert html.count("checked") == 3
    assert ClientSessionRating.objects.count() == 0
    link.refresh_from_db()
    assert link.state() == "open"
    tampered = WebClient().post(f"/r/{token}/", {**RATING_LOW, "rating_overall": "11"})
    assert tampered.status_code == 200
    assert ClientSessionRating.objects.count() == 0
    extra = WebClient().post(f"/r/{token}/", {**RATING_LOW, "note": "x"})
    assert extra.status_code == 400


def test_only_an_attended_session_of_this_client_may_be_rated(
    therapist: User, record: Client
) -> None:
    from django.core.exceptions import ValidationError

    other = AttendedAppointmentFactory(client=ClientFactory(therapist=therapist))
    with pytest.raises(ValidationError):
        _send(therapist, record, "session_rating", appointment=other)
    with pytest.raises(ValidationError):
        _send(therapist, record, "session_rating", appointment=None)
    assert ClientLink.objects.count() == 0


# --- Weekly use diary -----------------------------------------------------------------------


def _diary_answers(substance: SubstanceUse, **kw: str) -> dict[str, Any]:
    prefix = f"s{substance.pk}"
    return {
        f"{prefix}_days": kw.get("days", "4"),
        f"{prefix}_amount": kw.get("amount", "3"),
        f"{prefix}_unit": kw.get("unit", "drinks"),
        f"{prefix}_setting": kw.get("setting", "at home"),
        f"{prefix}_steps": ["went_slow", "looked_after"],
        f"{prefix}_steps_other": "",
    }


def test_the_diary_lands_as_the_client_s_check_in_counted_like_one_in_session(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: Any
) -> None:
    week = weeks_ago(1)
    link, token = _send(therapist, record, "use_diary", week=week + datetime.timedelta(days=3))
    assert link.week_start == week
    web = WebClient()

    page = web.get(f"/r/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    # The unit comes from the plan; the words say a week above plan is not a failure.
    assert 'value="drinks"' in html
    assert "never a failure" in html

    done = web.post(f"/r/{token}/", _diary_answers(alcohol))
    assert done.status_code == 200
    assert "information for us to look at together" in done.content.decode()

    checkin = UseCheckIn.objects.get()
    assert (
        checkin.week_start,
        checkin.use_days,
        checkin.typical_amount,
        checkin.days_above_plan,
        checkin.source,
    ) == (week, 4, Decimal("3.0"), 2, "client")
    diary = UseDiary.objects.get()
    assert diary.entries[0]["steps"] == ["went_slow", "looked_after"]
    assert diary.entries[0]["setting"] == "at home"
    link.refresh_from_db()
    assert link.use_diary_id == diary.pk

    # The same week told in session gives the same days above plan and the same percentage.
    twin = ClientFactory(therapist=therapist)
    twin_alcohol = SubstanceUseFactory(client=twin, substance=SubstanceUse.Substance.ALCOHOL)
    PlanVersionFactory(
        plan=PlanFactory(client=twin),
        created_at=timezone.now() - datetime.timedelta(weeks=5),
        sections=[plan_section(max_days_per_week=2, max_amount_per_day="3", amount_unit="drinks")],
    )
    in_session = goal_services.checkin_record(
        actor=therapist,
        client=twin,
        substance=twin_alcohol,
        week=week,
        use_days=4,
        typical_amount=Decimal(3),
        amount_unit="drinks",
    )
    today = timezone.localdate()
    assert in_session.days_above_plan == checkin.days_above_plan
    assert goal_selectors.percent_days_within_plan(
        [checkin], today
    ) == goal_selectors.percent_days_within_plan([in_session], today)
    assert goal_selectors.percent_days_within_plan([checkin], today) == 71

    assert web.post(f"/r/{token}/", _diary_answers(alcohol)).status_code == 410
    assert UseDiary.objects.count() == 1


def test_the_diary_never_replaces_a_week_recorded_in_session(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: Any
) -> None:
    week = weeks_ago(1)
    goal_services.checkin_record(
        actor=therapist, client=record, substance=alcohol, week=week, use_days=1
    )
    _link, token = _send(therapist, record, "use_diary", week=week)

    services.link_submit(token=token, answers=_diary_answers(alcohol, days="6"))

    assert list(UseCheckIn.objects.values_list("use_days", "source")) == [(1, "clinician")]
    assert UseDiary.objects.get().entries[0]["use_days"] == 6


def test_a_bad_diary_amount_stores_nothing_and_keeps_what_was_typed(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    _link, token = _send(therapist, record, "use_diary")

    page = WebClient().post(f"/r/{token}/", _diary_answers(alcohol, amount="٣", setting="kitchen"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Enter a number, such as 2 or 2.5." in html
    assert 'value="kitchen"' in html
    assert (UseCheckIn.objects.count(), UseDiary.objects.count()) == (0, 0)


def test_no_diary_without_a_substance_to_ask_about(therapist: User, record: Client) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _send(therapist, record, "use_diary")
    assert ClientLink.objects.count() == 0


def test_the_default_week_is_last_monday_to_sunday() -> None:
    thursday = datetime.date(2026, 12, 3)
    assert kinds.last_week(thursday) == datetime.date(2026, 11, 23)
    assert kinds.last_week(datetime.date(2026, 11, 30)) == datetime.date(2026, 11, 23)


# --- Relaxation-practice log ----------------------------------------------------------------


def test_the_practice_log_lands_in_the_chart_as_reported_by_the_client(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    link, token = _send(therapist, record, "practice_log")
    today = timezone.localdate()
    days = [formats.iso_date(today - datetime.timedelta(days=n)) for n in (1, 3)]
    web = WebClient()
    assert web.get(f"/r/{token}/").status_code == 200

    done = web.post(
        f"/r/{token}/",
        {
            "days": days,
            "minutes": "15",
            "practice": "other",
            "practice_other": "Walking slowly",
            "feeling_before": "3",
            "feeling_after": "7",
        },
    )

    assert done.status_code == 200
    log = PracticeLog.objects.get()
    assert (log.days, log.minutes, log.practice, log.practice_other) == (
        sorted(days),
        15,
        "other",
        "Walking slowly",
    )
    assert (log.feeling_before, log.feeling_after) == (3, 7)
    link.refresh_from_db()
    assert link.practice_log_id == log.pk

    chart = client_for(therapist).get(reverse("clients:chart", args=[record.pk]))
    html = chart.content.decode()
    assert 'data-panel="client_reports"' in html
    assert "Reported by the client" in html
    assert "Walking slowly" in html


def test_a_practice_day_not_offered_or_other_unnamed_is_refused(
    therapist: User, record: Client
) -> None:
    _link, token = _send(therapist, record, "practice_log")

    page = WebClient().post(
        f"/r/{token}/",
        {
            "days": ["2001-01-01"],
            "minutes": "0",
            "practice": "other",
            "feeling_before": "3",
            "feeling_after": "7",
        },
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "Please enter a number of minutes from 1 to 600." in html
    assert "Please say in a few words what you practised." in html
    assert PracticeLog.objects.count() == 0


# --- What every kind shares -----------------------------------------------------------------


def _any_link(therapist: User, record: Client, kind: str) -> tuple[ClientLink, str]:
    if kind == "session_rating":
        return _send(therapist, record, kind, appointment=AttendedAppointmentFactory(client=record))
    if kind == "use_diary":
        SubstanceUseFactory(client=record)
    return _send(therapist, record, kind)


OTHER_KINDS = ["session_rating", "use_diary", "practice_log"]


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_expired_withdrawn_and_unknown_links_open_nothing(
    therapist: User, record: Client, kind: str
) -> None:
    link, token = _any_link(therapist, record, kind)
    web = WebClient()

    assert web.get(f"/r/{token}x/").status_code == 404
    services.link_revoke(actor=therapist, link=link)
    assert web.get(f"/r/{token}/").status_code == 410
    expired, expired_token = _any_link(therapist, record, kind)
    ClientLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    gone = web.post(f"/r/{expired_token}/", {})
    assert gone.status_code == 410
    assert "This link does not work any more" in gone.content.decode()
    with pytest.raises(LinkUnavailable):
        services.link_submit(token=token, answers={})


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_an_answer_shows_as_new_from_the_client_until_seen(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client, kind: str
) -> None:
    link, _token = _any_link(therapist, record, kind)
    ClientLink.objects.filter(pk=link.pk).update(opened_at=timezone.now())
    assert not selectors.annotate_new_from_client(Client.objects.filter(pk=record.pk))[
        0
    ].new_from_client
    _answer(link, _token)
    assert selectors.annotate_new_from_client(Client.objects.filter(pk=record.pk))[
        0
    ].new_from_client

    page = client_for(therapist).get(reverse("selfreport:links", args=[record.pk]))

    assert page.status_code == 200
    assert "reported by the client" in page.content.decode()
    assert not selectors.annotate_new_from_client(Client.objects.filter(pk=record.pk))[
        0
    ].new_from_client


def _answer(link: ClientLink, token: str) -> None:
    if link.kind == "session_rating":
        answers: dict[str, Any] = RATING_HIGH
    elif link.kind == "use_diary":
        answers = _diary_answers(link.client.substances.get(), amount="", unit="")
    else:
        answers = {
            "days": [formats.iso_date(timezone.localdate())],
            "minutes": "10",
            "practice": "breathing",
            "feeling_before": "4",
            "feeling_after": "6",
        }
    services.link_submit(token=token, answers=answers)


def test_the_therapist_chooses_the_kind_on_the_links_page(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    url = reverse("selfreport:links", args=[record.pk])
    web = client_for(therapist)

    form = web.get(url).content.decode()
    assert 'name="kind"' in form
    assert formats.weekday_datetime(appointment.starts_at) in form
    missing = web.post(url, {"kind": "session_rating", "language": "es"})
    assert missing.status_code == 200
    assert missing.context["form"].errors == {
        "appointment": ["Choose the session the client is to rate."]
    }
    sent = web.post(
        url, {"kind": "session_rating", "appointment": str(appointment.pk), "language": "es"}
    )

    assert sent.status_code == 302
    link = ClientLink.objects.get()
    assert (link.kind, link.appointment_id, link.language, link.measure_code) == (
        "session_rating",
        appointment.pk,
        "es",
        "",
    )


def test_the_links_page_costs_the_same_with_every_kind_answered(
    client_for: Callable[[User | None], WebClient],
    django_assert_num_queries: Callable,
    therapist: User,
    record: Client,
) -> None:
    from tests.selfreport.test_views import LINKS_PAGE_QUERIES

    web = client_for(therapist)
    url = reverse("selfreport:links", args=[record.pk])
    SubstanceUseFactory(client=record)
    for _round in range(3):
        for kind in OTHER_KINDS:
            link, token = (
                _any_link(therapist, record, kind)
                if kind != "use_diary"
                else _send(therapist, record, kind)
            )
            _answer(link, token)

    with django_assert_num_queries(LINKS_PAGE_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert len(response.context["links"]) == 9
    assert {link.summary.text.split(" ")[0] for link in response.context["links"]} == {
        "Session",
        "Use",
        "Practice",
    }


@pytest.mark.parametrize(
    ("kind", "spanish", "english"),
    [
        ("session_rating", ["¿Cómo fue la sesión?", "Me sentí escuchado/a"], "How was the"),
        ("use_diary", ["Su semana", "Días en que consumió", "Llevaba naloxona"], "Your week"),
        ("practice_log", ["Su práctica de relajación", "Respiración lenta"], "practise"),
    ],
)
def test_each_client_page_speaks_spanish(
    therapist: User, record: Client, kind: str, spanish: list[str], english: str
) -> None:
    if kind == "use_diary":
        SubstanceUseFactory(client=record)
    appointment = AttendedAppointmentFactory(client=record) if kind == "session_rating" else None
    _link, token = services.link_send(
        actor=therapist,
        client=record,
        kind=kind,
        language="es",
        **({"appointment": appointment} if appointment else {}),
    )

    page = WebClient().get(f"/r/{token}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="es">' in html
    assert [text for text in spanish if text not in html] == []
    assert english not in html


def test_the_overview_panel_costs_one_query_whatever_the_number_of_logs(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.selfreport.factories import PracticeLogFactory

    web = client_for(therapist)
    url = reverse("clients:chart", args=[record.pk])
    PracticeLogFactory(client=record)
    with CaptureQueriesContext(connection) as one:
        first = web.get(url)
    for _n in range(11):
        PracticeLogFactory(client=record, minutes=25)
    with CaptureQueriesContext(connection) as many:
        later = web.get(url)

    assert (first.status_code, later.status_code) == (200, 200)
    assert len(one) == len(many)
    assert sum("selfreport_practicelog" in q["sql"] for q in many.captured_queries) == 1
    # The latest five, newest first.
    assert later.content.decode().count("Slow breathing, 1 day, 25 min each time") == 5


def test_a_session_no_longer_attended_closes_its_rating_link(
    therapist: User, record: Client
) -> None:
    from sessions.models import Appointment

    appointment = AttendedAppointmentFactory(client=record)
    _link, token = _send(therapist, record, "session_rating", appointment=appointment)
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.NO_SHOW)

    page = WebClient().post(f"/r/{token}/", RATING_HIGH)

    assert page.status_code == 410
    assert ClientSessionRating.objects.count() == 0
