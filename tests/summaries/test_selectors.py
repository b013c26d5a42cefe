"""The figures of a summary, exactly, for a seeded client; the caseload summary's rows and its
constant number of queries."""

from __future__ import annotations

import datetime

import pytest

from clients.models import Client
from hrp.accounts.models import User
from hrp.bounds import add_years
from sessions.models import Appointment
from summaries import selectors
from summaries.selectors import percent_within_plan
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, TherapistFactory
from tests.goals.factories import weeks_ago
from tests.sessions.factories import days_from_today
from tests.summaries.conftest import Seeded, seed

pytestmark = pytest.mark.django_db


def test_the_default_period_is_the_last_90_days_ending_today() -> None:
    start, end = selectors.default_period(datetime.date(2026, 3, 31))

    assert (start, end) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def test_percent_within_plan_counts_seven_days_for_every_week_recorded() -> None:
    assert percent_within_plan(4, 3) == 89  # 25 of 28
    assert percent_within_plan(1, 7) == 0
    assert percent_within_plan(2, 0) == 100
    assert percent_within_plan(0, 0) is None


def test_two_years_back_from_a_leap_day() -> None:
    assert add_years(datetime.date(2028, 2, 29), -2) == datetime.date(2026, 2, 28)


def test_summary_figures_of_the_seeded_client(seeded: Seeded) -> None:
    client = selectors.summary_client(seeded.client.pk)

    data = selectors.summary_data(client, seeded.start, seeded.end)

    assert data.attendance == selectors.Attendance(
        attended=4, missed=2, cancelled_by_client=1, cancelled_by_clinic=1, scheduled=0
    )
    assert [(g.goal.client_words, g.goal.status) for g in data.goals] == [
        ("Walk to work twice a week", "achieved"),
        ("Drink on three days a week at most", "active"),
    ]
    assert [[(r.reviewed_on, r.decision) for r in g.reviews] for g in data.goals] == [
        [(days_from_today(-5), "achieved")],
        [(days_from_today(-150), "keep"), (days_from_today(-20), "keep")],
    ]
    assert [
        (s.name, s.weeks_recorded, s.use_days, s.days_above_plan, s.percent_days_within_plan)
        for s in data.substances
    ] == [("Alcohol", 4, 14, 3, 89), ("Cannabis", 1, 7, 7, 0)]
    assert [(w.week_start, w.use_days) for w in data.substances[0].weeks] == [
        (weeks_ago(4), 2),
        (weeks_ago(3), 4),
        (weeks_ago(2), 3),
        (weeks_ago(1), 5),
    ]
    assert data.substances[0].target_days == 3
    assert data.substances[1].target_days is None
    assert [
        (m.measure.code, [(p.score, p.band_label) for p in m.points], m.change)
        for m in data.measures
    ] == [
        ("PHQ9", [(12, "Moderate"), (15, "Moderately severe"), (7, "Mild")], -5),
        ("GAD7", [(3, "Minimal")], None),
    ]
    assert [(p.date, p.total, p.alert) for p in data.ratings] == [
        (days_from_today(-80), 32, False),
        (days_from_today(-50), 36, False),
        (days_from_today(-20), 28, True),
    ]
    assert data.average_rating == 32.0
    assert [(f.label, f.level) for f in data.flags] == [
        ("Measures due: GAD-7", "info"),
        ("Session rating alert", "warning"),
    ]


def test_the_summary_charts_are_inline_svg_without_styles_or_links(seeded: Seeded) -> None:
    data = selectors.summary_data(
        selectors.summary_client(seeded.client.pk), seeded.start, seeded.end
    )
    charts = [s.chart for s in data.substances] + [m.chart for m in data.measures]
    charts.append(data.ratings_chart)

    for chart in charts:
        assert chart.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert "style=" not in chart
        assert "href" not in chart
        assert "<script" not in chart
    # Alcohol: four bars and the goal's dashed line at 3 days.
    assert data.substances[0].chart.count("<rect") == 4
    assert "goal: at most 3" in data.substances[0].chart


def test_an_empty_period_gives_zeros_and_empty_lists(record: Client) -> None:
    data = selectors.summary_data(
        selectors.summary_client(record.pk), days_from_today(-30), days_from_today(0)
    )

    assert data.attendance.total == 0
    assert (data.goals, data.substances, data.measures, data.ratings) == ([], [], [], [])
    assert data.ratings_chart is None
    assert data.average_rating is None


def test_the_caseload_summary_has_a_row_per_supervisee_client(
    supervisor: User, therapist: User, seeded: Seeded, other_therapist: User
) -> None:
    second = ClientFactory(therapist=therapist, chart_number="C-Z0002")
    ClientFactory(therapist=other_therapist)  # not a supervisee's client
    ClientFactory(
        therapist=therapist,
        status=Client.Status.DISCHARGED,
        discharged_on=days_from_today(-200),
    )  # discharged before the period

    rows = selectors.caseload_summary(supervisor, seeded.start, seeded.end)

    assert [r.client.pk for r in rows] == [seeded.client.pk, second.pk]
    first = rows[0]
    assert (
        first.attended,
        first.missed,
        first.cancelled_by_client,
        first.cancelled_by_clinic,
        first.active_goals,
        first.goal_reviews,
        first.weeks_recorded,
        first.days_above_plan,
        first.percent_days_within_plan,
        first.rated_sessions,
        first.average_rating,
        first.open_rating_alerts,
    ) == (4, 2, 1, 1, 1, 2, 5, 10, 71, 3, 32.0, 1)
    assert (rows[1].attended, rows[1].percent_days_within_plan, rows[1].average_rating) == (
        0,
        None,
        None,
    )


def _more_supervisee_clients(supervisor: User, count: int) -> None:
    for _ in range(count):
        therapist = TherapistFactory()
        SupervisionFactory(supervisor=supervisor, supervisee=therapist)
        seed(ClientFactory(therapist=therapist))


# The supervisees' clients, then one query each for appointments, goals, goal reviews, use
# check-ins and session ratings (summaries.selectors.caseload_summary)
CASELOAD_SUMMARY_QUERIES = 6


@pytest.mark.parametrize("extra", [0, 4])
def test_the_caseload_summary_takes_six_queries_whatever_the_rows(
    supervisor: User, seeded: Seeded, extra: int, django_assert_num_queries
) -> None:
    _more_supervisee_clients(supervisor, extra)

    with django_assert_num_queries(CASELOAD_SUMMARY_QUERIES):
        rows = selectors.caseload_summary(supervisor, seeded.start, seeded.end)

    assert len(rows) == 1 + extra
    assert {r.attended for r in rows} == {4}


def test_a_moved_appointment_is_not_counted(record: Client) -> None:
    from tests.sessions.factories import AppointmentFactory, at

    AppointmentFactory(
        client=record,
        starts_at=at(days_from_today(-3), "09:00"),
        status=Appointment.Status.RESCHEDULED,
    )

    data = selectors.summary_data(
        selectors.summary_client(record.pk), days_from_today(-10), days_from_today(0)
    )

    assert data.attendance.total == 0


def test_a_client_s_own_later_rating_is_the_one_summarised(
    supervisor: User, seeded: Seeded
) -> None:
    """The one rule of sessions.selectors.rated_sessions: the client's rating from their phone
    (selfreport) replaces the in-session one of that session, in the client's summary and in
    the supervisor's caseload summary alike."""
    from tests.sessions.factories import ClientSessionRatingFactory

    begin, _finish = selectors.period_bounds(seeded.start, seeded.end)
    rated = (
        Appointment.objects.filter(
            client=seeded.client, note__rating_overall__isnull=False, starts_at__gte=begin
        )
        .order_by("starts_at")
        .first()
    )
    ClientSessionRatingFactory(
        appointment=rated, rating_heard=5, rating_wanted=5, rating_approach=5, rating_overall=5
    )
    client = selectors.summary_client(seeded.client.pk)

    data = selectors.summary_data(client, seeded.start, seeded.end)
    row = selectors.caseload_summary(supervisor, seeded.start, seeded.end)[0]

    assert [(p.date, p.total) for p in data.ratings] == [
        (days_from_today(-80), 20),
        (days_from_today(-50), 36),
        (days_from_today(-20), 28),
    ]
    assert data.average_rating == row.average_rating == 28.0
    assert row.rated_sessions == 3
