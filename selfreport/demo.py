"""Demo self-report for `manage.py seed_demo` (DEMO_MODE only): client links of each kind, their
answers, two schedules and a shared plan, made through this app's own services so every row is
as the app writes it (hashed tokens, audit events, the message by the client's channel).

Three current clients who agreed to be contacted (picked by rule, in chart order) are given
text-message reminders through notifications' own service (no demo client has a channel yet),
then:
- the first with a safety plan version (else the first): a PHQ-9 answered from their phone and
  not yet seen ("New from the client" on the caseload), an open GAD-7 link, their safety plan
  (else overdose plan, else use plan) shared to read, a PHQ-9 every four weeks;
- the next, preferably one with a substance nobody recorded last week (so the diary lands as
  source "client"): last week's use diary, a rating of their latest attended session and a
  withdrawn AUDIT-C link;
- a Spanish-speaking client (an existing one, else the next, whose language for what they read
  is set to Spanish through the client service): a relaxation-practice log and a PHQ-9 two days
  before each session, both in Spanish.
Runs once: skipped when any client link exists, so a second seed adds and audits nothing.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from goals.models import UseCheckIn
from notifications import services as reminder_services
from selfreport import services
from selfreport.kinds import last_week
from selfreport.models import ClientLink, LinkSchedule, PlanShare
from selfreport.selectors import current_plan_versions
from sessions.models import Appointment

# What the clients "answered": fixed, so the demo is the same on every seed.
PHQ9_ANSWERS = {"q1": "1", "q2": "1", "q3": "2", "q4": "1", "q5": "1"} | {
    f"q{i}": "0" for i in range(6, 10)
}  # score 6, mild; question 9 at 0
SESSION_RATING = {"rating_heard": 9, "rating_wanted": 8, "rating_approach": 7, "rating_overall": 8}
PRACTICE_DAYS_AGO = (5, 3, 1)


def _eligible(clients: list[Client]) -> list[Client]:
    """Current clients of an active therapist who agreed to be contacted and have a phone."""
    return [
        c
        for c in clients
        if c.status == Client.Status.ACTIVE
        and c.may_contact
        and c.phone
        and c.therapist is not None
        and c.therapist.is_active
        and c.therapist.is_therapist
    ]


def _with_channel(client: Client) -> Client:
    """The client's reminder channel, chosen with them: text messages (every demo client has a
    phone); through notifications' service, so the caseload's reminders use it too."""
    if client.reminder_channel:
        return client
    return reminder_services.client_reminders_set(
        actor=client.therapist, client=client, channel="sms", hide_clinic_name=False
    )


def _unrecorded_last_week(client: Client) -> bool:
    recorded = UseCheckIn.objects.filter(client=client, week_start=last_week()).values(
        "substance_id"
    )
    return client.substances.exclude(pk__in=recorded).exists()


def _pick(eligible: list[Client]) -> tuple[Client, Client, Client] | None:
    if len(eligible) < 3:
        return None
    measures = next(
        (c for c in eligible if current_plan_versions(c)[PlanShare.Kind.SAFETY] is not None),
        eligible[0],
    )
    rest = [c for c in eligible if c.pk != measures.pk]
    diary = next((c for c in rest if _unrecorded_last_week(c)), rest[0])
    rest = [c for c in rest if c.pk != diary.pk]
    spanish = next((c for c in rest if c.preferred_language == "es"), rest[-1])
    return measures, diary, spanish


def _measures_client(client: Client) -> None:
    therapist = client.therapist
    language = client.preferred_language
    _link, token = services.link_send(
        actor=therapist, client=client, language=language, measure_code="PHQ9"
    )
    services.link_submit(token=token, answers=PHQ9_ANSWERS)
    services.link_send(actor=therapist, client=client, language=language, measure_code="GAD7")
    versions = current_plan_versions(client)
    kind = next(
        (
            k
            for k in (PlanShare.Kind.SAFETY, PlanShare.Kind.OVERDOSE, PlanShare.Kind.USE_PLAN)
            if versions[k] is not None
        ),
        None,
    )
    if kind is not None:
        services.plan_share(actor=therapist, client=client, kind=kind, language=language)
    services.schedule_create(
        actor=therapist,
        client=client,
        measure_code="PHQ9",
        language=language,
        timing=LinkSchedule.Timing.EVERY_WEEKS,
        every_weeks=4,
    )


def _diary_client(client: Client) -> None:
    therapist = client.therapist
    language = client.preferred_language
    _link, token = services.link_send(
        actor=therapist, client=client, language=language, kind=ClientLink.Kind.USE_DIARY
    )
    answers: dict[str, object] = {}
    for index, substance in enumerate(client.substances.order_by("recorded_at", "id")):
        prefix = f"s{substance.pk}"
        answers |= {
            f"{prefix}_days": str(2 - min(index, 1)),
            f"{prefix}_amount": "3" if index == 0 else "1",
            f"{prefix}_setting": "at home with a friend" if index == 0 else "",
            f"{prefix}_steps": ["not_alone", "looked_after"] if index == 0 else ["went_slow"],
        }
    services.link_submit(token=token, answers=answers)
    session = (
        Appointment.objects.filter(
            client=client, status=Appointment.Status.ATTENDED, starts_at__lte=timezone.now()
        )
        .order_by("-starts_at", "-id")
        .first()
    )
    if session is not None:
        _link, token = services.link_send(
            actor=therapist,
            client=client,
            language=language,
            kind=ClientLink.Kind.SESSION_RATING,
            appointment=session,
        )
        services.link_submit(
            token=token, answers={key: str(value) for key, value in SESSION_RATING.items()}
        )
    # Sent by mistake (a measure already given in session) and withdrawn before it was answered.
    link, _token = services.link_send(
        actor=therapist, client=client, language=language, measure_code="AUDITC"
    )
    services.link_revoke(actor=therapist, link=link)


def _spanish_client(client: Client) -> None:
    therapist = client.therapist
    if client.preferred_language != "es":
        client_services.client_update(
            actor=therapist, client=client, values={"preferred_language": "es"}
        )
    today = timezone.localdate()
    _link, token = services.link_send(
        actor=therapist, client=client, language="es", kind=ClientLink.Kind.PRACTICE_LOG
    )
    services.link_submit(
        token=token,
        answers={
            "days": [(today - datetime.timedelta(days=n)).isoformat() for n in PRACTICE_DAYS_AGO],
            "minutes": "10",
            "practice": "breathing",
            "practice_other": "",
            "feeling_before": "6",
            "feeling_after": "3",
        },
    )
    services.schedule_create(
        actor=therapist,
        client=client,
        measure_code="PHQ9",
        language="es",
        timing=LinkSchedule.Timing.BEFORE_SESSION,
        days_before=2,
    )


@transaction.atomic
def seed_demo_selfreport(*, clients: list[Client]) -> int:
    """Links, answers, schedules and a shared plan for three demo clients (module docstring);
    returns how many clients were given them (0 when the demo already has client links)."""
    if ClientLink.objects.exists():
        return 0
    picked = _pick(_eligible(clients))
    if picked is None:
        return 0
    measures, diary, spanish = (_with_channel(c) for c in picked)
    _measures_client(measures)
    _diary_client(diary)
    _spanish_client(spanish)
    return len(picked)
