"""What linkage and supplies add to the chart's Overview and Timeline, to progress summaries and
to reminders: right content, a fixed number of queries at one and many rows, and reminder text
free of anything clinical."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients import extensions
from clients.models import Client
from hrp import access
from hrp.accounts.models import User
from linkage import services
from notifications import services as reminders
from notifications.models import Reminder
from summaries.selectors import summary_client, summary_data
from tests.linkage.factories import ServiceReferralFactory, StatusChangeFactory
from tests.supplies.factories import SupplyRecordFactory, SupplyVoidFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
# The planner runs at noon: a follow-up due today at the send hour is in its window whatever
# hour the suite itself runs.
NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone())


def _can(user: User, client: Client) -> access.ClientAccess:
    return access.access_to(user, client)


def test_registered() -> None:
    assert {"referrals", "supplies"} <= set(extensions.OVERVIEW_PANELS)
    assert {"referrals", "supplies"} <= set(extensions.TIMELINE_SOURCES)
    assert {"referrals", "supplies"} <= set(extensions.CHART_SECTIONS)


@pytest.mark.parametrize("rows", [1, 9])
def test_open_referrals_panel(
    therapist: User, supervisor: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    for index in range(rows):
        ServiceReferralFactory(
            client=record,
            status="referred",
            follow_up_on=TODAY + datetime.timedelta(days=index),
        )
    ServiceReferralFactory(client=record, status="declined")
    panel = extensions.OVERVIEW_PANELS["referrals"]
    with django_assert_num_queries(1):
        context = panel.context(record, _can(therapist, record))
    assert context is not None
    assert [r.follow_up_on for r in context["referrals"]] == [
        TODAY + datetime.timedelta(days=i) for i in range(min(rows, 5))
    ]
    assert context["more"] is (rows > 5)


def test_panels_left_out_for_a_reader_when_empty(supervisor: User, record: Client) -> None:
    can = _can(supervisor, record)
    assert extensions.OVERVIEW_PANELS["referrals"].context(record, can) is None
    assert extensions.OVERVIEW_PANELS["supplies"].context(record, can) is None


@pytest.mark.parametrize("rows", [1, 9])
def test_supplies_panel(
    therapist: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    for _index in range(rows):
        SupplyRecordFactory(client=record, item="naloxone", quantity=2)
    SupplyRecordFactory(
        client=record, item="naloxone", given_on=TODAY - datetime.timedelta(days=90)
    )
    SupplyVoidFactory(record=SupplyRecordFactory(client=record, item="naloxone", quantity=40))
    panel = extensions.OVERVIEW_PANELS["supplies"]
    with django_assert_num_queries(1):
        context = panel.context(record, _can(therapist, record))
    assert [(t.label, t.given, t.referred) for t in context["totals"]] == [
        ("Naloxone kit", 2 * rows, 0)
    ]


@pytest.mark.parametrize("rows", [1, 6])
def test_timeline_sources(
    therapist: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    for _index in range(rows):
        referral = ServiceReferralFactory(client=record)
        StatusChangeFactory(referral=referral, status="interested")
        SupplyRecordFactory(client=record, item="fentanyl_strips", quantity=10)
    for key, per_row in (("referrals", 2), ("supplies", 1)):
        source = extensions.TIMELINE_SOURCES[key]
        pks = list(source.rows(record).order_by("-timeline_at").values_list("pk", flat=True))
        assert len(pks) == per_row * rows
        with django_assert_num_queries(1):
            entries = source.load(pks)
        assert sorted(entries) == sorted(pks)
    supply = next(iter(extensions.TIMELINE_SOURCES["supplies"].load(pks).values()))
    assert supply.title == "Fentanyl test strips × 10, given"
    noon = datetime.datetime.combine(
        TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone()
    )
    row = extensions.TIMELINE_SOURCES["supplies"].rows(record).first()
    assert row.timeline_at == noon
    step = ServiceReferralFactory(client=record, status="linked").changes.get()
    entry = extensions.TIMELINE_SOURCES["referrals"].load([step.pk])[step.pk]
    assert entry.title == "Referral to Methadone: Linked"


def test_summary_shows_supplies_and_referrals_of_the_period(
    therapist: User, record: Client
) -> None:
    start, end = TODAY - datetime.timedelta(days=30), TODAY
    SupplyRecordFactory(client=record, item="naloxone", quantity=2)
    SupplyRecordFactory(client=record, item="naloxone", quantity=1, how="referred")
    SupplyRecordFactory(
        client=record, item="naloxone", quantity=5, given_on=start - datetime.timedelta(days=1)
    )
    referral = services.referral_offer(
        actor=therapist, client=record, service="methadone", provider="Eastside OTP"
    )
    services.referral_update(actor=therapist, client=record, referral=referral, status="referred")
    # Declined before the period began: not in it. Declined within it: shown.
    before = ServiceReferralFactory(client=record, service="housing", first_step=None)
    StatusChangeFactory(
        referral=before, status="declined", changed_at=timezone.now() - datetime.timedelta(days=40)
    )
    ServiceReferralFactory(client=record, service="psychiatry", status="declined")

    data = summary_data(summary_client(record.pk), start, end)

    assert [(t.label, t.given, t.referred) for t in data.supplies] == [("Naloxone kit", 2, 1)]
    assert [(r.service, r.provider, r.status, r.steps_in_period) for r in data.referrals] == [
        ("Methadone", "Eastside OTP", "Referred", 2),
        ("Psychiatry", "Eastside Opioid Treatment Program", "Declined", 1),
    ]


def test_follow_up_reminder_is_planned_and_free_of_clinical_words(
    therapist: User, record: Client
) -> None:
    referral = ServiceReferralFactory(client=record, status="appointment_made", follow_up_on=TODAY)
    ServiceReferralFactory(client=record, status="declined", follow_up_on=TODAY)

    reminders.plan_reminders(now=NOON)

    planned = Reminder.objects.filter(kind=Reminder.Kind.REFERRAL_FOLLOW_UP)
    assert list(planned.values_list("object_id", "recipient_id")) == [(referral.pk, therapist.pk)]
    reminders.send_due_reminders(
        now=datetime.datetime.combine(
            TODAY, datetime.time(23), tzinfo=timezone.get_current_timezone()
        )
    )
    sent = planned.get()
    assert (sent.status, sent.text, sent.url) == (
        "sent",
        "A follow-up you planned is due today.",
        f"/clients/{record.pk}/referrals/",
    )


def test_follow_up_reminder_cancelled_once_the_referral_closes(
    therapist: User, record: Client
) -> None:
    referral = ServiceReferralFactory(client=record, status="referred", follow_up_on=TODAY)
    reminders.plan_reminders(now=NOON)
    services.referral_update(actor=therapist, client=record, referral=referral, status="linked")

    reminders.send_due_reminders(
        now=datetime.datetime.combine(
            TODAY, datetime.time(23), tzinfo=timezone.get_current_timezone()
        )
    )

    assert Reminder.objects.get(kind=Reminder.Kind.REFERRAL_FOLLOW_UP).status == "cancelled"
