"""Demo appointments for `manage.py seed_demo` (DEMO_MODE only): weekly appointments from a
week after each active client's intake, about 12 weeks (mostly attended, some cancelled or
missed), and the next one booked. Skips clients that already have appointments. Notes for the
attended sessions, and a few contacts outside sessions."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from clients.demo import intake_at
from clients.models import Client, Consent
from goals.models import Goal, UseCheckIn
from hrp.accounts.models import User
from hrp.accounts.selectors import current_supervisor
from sessions import services
from sessions.models import Appointment, Modality, SessionNote
from sessions.selectors import covered_weeks
from sessions.vocab import ContactKind


@transaction.atomic
def seed_demo_appointments(*, clients: list[Client]) -> int:
    rng = random.Random(6)  # demo data, not security
    tz = timezone.get_current_timezone()
    seeded = 0
    for index, client in enumerate(clients):
        if client.appointments.exists() or client.status not in ("active", "on_hold"):
            continue
        therapist = client.therapist
        hour = 9 + index % 8
        # Weekly from a week after the intake (about twelve weeks ago), the last one ahead.
        first_day = timezone.localdate(intake_at(client)) + datetime.timedelta(weeks=1)
        # A few clients stopped coming about six weeks ago: "no contact" on the dashboard.
        occurrences = 7 if index % 7 == 3 else 13
        starts = datetime.datetime.combine(first_day, datetime.time(hour), tzinfo=tz)
        booked = services.appointment_book(
            actor=therapist,
            client=client,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=50),
            modality=rng.choice([Modality.IN_PERSON, Modality.IN_PERSON, Modality.VIDEO]),
            location="Room 2" if index % 2 else "",
            frequency="weekly",
            occurrences=occurrences,
        )
        now = timezone.now()
        for appointment in booked:
            if appointment.starts_at > now:
                continue
            roll = rng.random()
            if roll < 0.78:
                status, notice = Appointment.Status.ATTENDED, None
            elif roll < 0.88:
                status, notice = Appointment.Status.CANCELLED_CLIENT, rng.choice([2, 24, 48])
            elif roll < 0.92:
                status, notice = Appointment.Status.CANCELLED_CLINIC, 72
            else:
                status, notice = Appointment.Status.NO_SHOW, None
            services.appointment_record_attendance(
                actor=therapist,
                appointment=appointment,
                status=status,
                notice_hours=notice,
            )
        seeded += 1
    return seeded


AGENDAS = [
    "Talk about the weekend and how the plan held up.",
    "Work on sleep without using at night.",
    "A hard conversation with family coming up.",
    "Check in on the new spacing-out routine.",
    "What to do when cravings hit after work.",
]
DATA = [
    "Came in on time, relaxed. Described a week with fewer use days than last time and "
    "one evening above the plan after an argument.",
    "Reported using within the plan on most days. Brought a list of situations that felt "
    "risky and we sorted them by how manageable they felt.",
    "Talked about what using does for them on hard evenings (calm, company). Practised the "
    "breathing and safe-place stages; tension came down.",
]
ASSESSMENT = [
    "Engaged and curious about the pattern. The plan fits most days; evenings alone are the "
    "testing ground.",
    "Ambivalence is lower than a month ago. The goal still looks like the right experiment.",
]
PLAN = [
    "Try the evening routine three times; note tension before and after.",
    "Bring the decisional balance sheet back next week.",
]


@transaction.atomic
def seed_demo_notes(
    *,
    clients: list[Client],
    with_draft: Callable[[SessionNote], SessionNote] | None = None,
) -> int:
    """Notes for the demo's attended sessions: signed (co-signed or waiting for the trainee),
    one returned with comments, drafts and late notes (the most recent session of every
    fourth client has none), the client's ratings (a few low enough to alert) and the use
    follow-back copied from the week's check-ins. Skips clients that already have notes.
    `with_draft` is called with each note once written and before it is signed (what apps
    above attach to a note, e.g. techniques, is added to a draft); it returns the note."""
    rng = random.Random(7)  # demo data, not security
    seeded = 0
    for index, client in enumerate(clients):
        if client.session_notes.exists():
            continue
        attended = list(
            client.appointments.filter(status=Appointment.Status.ATTENDED).order_by("starts_at")
        )
        if not attended:
            continue
        therapist = client.therapist
        goals = list(Goal.objects.filter(client=client, status=Goal.Status.ACTIVE))
        checkins = {
            (c.substance_id, c.week_start): c for c in UseCheckIn.objects.filter(client=client)
        }
        usual = rng.randint(31, 37)
        for position, appointment in enumerate(attended):
            last = position == len(attended) - 1
            if last and index % 4 == 0:
                continue  # a late note: no note yet
            note = services.note_start(actor=therapist, appointment=appointment)
            dip = rng.random() < 0.08
            # Most sessions rate well (8-10 an item); a few dip, which raises alerts.
            ratings = [min(10, max(8, usual // 4) + rng.randint(0, 1)) for _ in range(4)]
            if dip:
                ratings = [rng.randint(4, 6) for _ in range(4)]
            entries = [
                {
                    "substance": c.substance_id,
                    "week": week.isoformat(),
                    "use_days": c.use_days,
                    # Only a clinician's correction travels; the plan works out the rest.
                    "days_above_plan": c.above_plan_corrected,
                    "amount": str(c.typical_amount) if c.typical_amount is not None else "",
                    "unit": c.amount_unit,
                }
                for week in covered_weeks(appointment)
                for key, c in checkins.items()
                if key[1] == week
            ]
            values = {
                "agenda": rng.choice(AGENDAS),
                "data": rng.choice(DATA),
                "assessment": rng.choice(ASSESSMENT),
                "plan": rng.choice(PLAN),
                "objective": "Calm, good eye contact, speech normal."
                if note.format == "soap"
                else "",
                "narrative": rng.choice(DATA) if note.format == "narrative" else "",
                "interventions": rng.sample(
                    [
                        "decisional_balance",
                        "ideal_use_plan",
                        "awareness_relaxation",
                        "overdose_prevention",
                    ],
                    2,
                ),
                "exercise_stages": ["awareness", "tension_reading", "breathing"],
                "tension_before": rng.randint(5, 8),
                "tension_after": rng.randint(2, 4),
                # The latest note of one client in seven records acute overdose risk (an open
                # acute flag in the demo), earlier ones "some".
                "overdose_risk": ("acute" if last else "some") if index % 7 == 0 else "none",
                "suicide_risk": "none",
                "risk_actions": "Reviewed naloxone and never using alone."
                if index % 7 == 0
                else "",
                "next_time": "Review the week against the plan.",
                "goal_checkins": [
                    {"goal": g.pk, "score": rng.randint(4, 8), "note": "Steady."} for g in goals
                ],
                "use_entries": entries,
                "rating_heard": ratings[0],
                "rating_wanted": ratings[1],
                "rating_approach": ratings[2],
                "rating_overall": ratings[3],
            }
            note = services.note_save(
                actor=therapist,
                note=note,
                expected_version=note.version,
                values=values,
            ).note
            if with_draft is not None:
                note = with_draft(note)
            if last and index % 4 == 1:
                continue  # a draft, late once 24 hours have passed
            note = services.note_sign_verified(actor=therapist, note=note)
            if note.status == SessionNote.Status.AWAITING_COSIGN and not last:
                supervisor = _supervisor_of(therapist)
                if supervisor is None:
                    continue
                if position == len(attended) - 2 and index % 2 == 0:
                    services.note_return(
                        actor=supervisor,
                        note=note,
                        comments="Please add what the client said about the weekend in their "
                        "own words, and the actions on overdose risk.",
                    )
                else:
                    services.note_cosign_verified(actor=supervisor, note=note)
        seeded += 1
    return seeded


def _supervisor_of(therapist: User) -> User | None:
    return current_supervisor(user=therapist)


@transaction.atomic
def seed_demo_contacts(*, clients: list[Client]) -> int:
    """Contacts outside sessions for a few demo clients in care: a phone call, a text, a crisis
    call with the overdose risk and what was done, an outreach contact, and a collateral
    contact with a partner under the consent the client signed for it (recorded here too).
    A trainee's contacts go to their supervisor's co-signature queue, as their notes do; one
    draft stays unsigned. Skips clients that already have contacts."""
    in_care = [c for c in clients if c.status in ("active", "on_hold") and c.therapist_id]
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    seeded = 0

    def when(days: int, hour: int, minute: int = 0) -> datetime.datetime:
        day = today - datetime.timedelta(days=days)
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)

    for index, client in enumerate(in_care[:6]):
        if client.outside_contacts.exists():
            continue
        therapist = client.therapist
        plans: list[dict] = []
        if index == 0:
            consent = client_services.consent_create(
                actor=therapist,
                client=client,
                values={
                    "recipient": "Sam, partner",
                    "purpose": "Talk with the client's partner about supporting the plan",
                    "scope": Consent.Scope.OTHER,
                    "scope_details": "How the weekend plan is going and how to help; no notes.",
                    "signed_on": today - datetime.timedelta(days=30),
                    "effective_on": today - datetime.timedelta(days=30),
                    "expires_on": today + datetime.timedelta(days=335),
                },
            )
            plans.append(
                {
                    "kind": ContactKind.COLLATERAL,
                    "occurred_at": when(6, 17, 30),
                    "duration_minutes": 20,
                    "with_whom": "Sam, partner",
                    "consent": consent,
                    "summary": "Sam called, worried after a hard weekend. Talked about how to "
                    "bring up the plan without arguing and what to do if Jamie is very drunk "
                    "(stay, water, recovery position, call 911 if unresponsive).",
                }
            )
            plans.append(
                {
                    "kind": ContactKind.PHONE,
                    "occurred_at": when(2, 12, 15),
                    "duration_minutes": 10,
                    "summary": "Jamie called to move Thursday's session; said the weekend "
                    "stayed within the plan on Saturday.",
                }
            )
        elif index == 1:
            plans.append(
                {
                    "kind": ContactKind.CRISIS,
                    "occurred_at": when(1, 21, 40),
                    "duration_minutes": 35,
                    "summary": "Called in the evening after a new supply; scared of using "
                    "alone. Went through going slow, a test strip and the never-use-alone line.",
                    "overdose_risk": "acute",
                    "suicide_risk": "none",
                    "risk_actions": "Checked naloxone at home (two doses). Agreed to use with "
                    "a friend present or call the never-use-alone line. Called back next "
                    "morning: safe.",
                }
            )
        elif index == 2:
            plans.append(
                {
                    "kind": ContactKind.TEXT,
                    "occurred_at": when(3, 9, 5),
                    "summary": "Texted to say the new sleep routine worked two nights out of "
                    "three. Replied with encouragement and a reminder of Tuesday.",
                }
            )
        elif index == 3:
            plans.append(
                {
                    "kind": ContactKind.OUTREACH,
                    "occurred_at": when(4, 14, 0),
                    "duration_minutes": 25,
                    "summary": "Met at the drop-in centre after two missed sessions. Glad to "
                    "see us; booked a time for next week. Took test strips.",
                    "overdose_risk": "some",
                    "suicide_risk": "none",
                    "risk_actions": "Offered naloxone and test strips; accepted both.",
                }
            )
        elif index in (4, 5):
            plans.append(
                {
                    "kind": ContactKind.VIDEO if index == 4 else ContactKind.PHONE,
                    "occurred_at": when(2, 16, 0),
                    "duration_minutes": 15,
                    "summary": "Short check-in between sessions about the week's plan.",
                }
            )
        for position, values in enumerate(plans):
            contact = services.contact_create(actor=therapist, client=client, values=values)
            if index == 5 and position == len(plans) - 1:
                continue  # a draft waits on the therapist's notes page
            services.contact_sign_verified(actor=therapist, contact=contact)
        seeded += 1
    return seeded
