"""Demo referrals for `manage.py seed_demo` (DEMO_MODE only). Marcus wants methadone (his own
goal at intake): the offer went from suggested to client interested to referred (with his
consent to share a summary with the program) to an appointment made, and the therapist follows
up next week. Tomás was offered buprenorphine through his doctor and declined for now; Jamie
was linked with a peer support group. Skips clients who already have referrals."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from linkage import services
from linkage.models import Service, ServiceReferral, Status

METHADONE_PROGRAM = "Eastside Opioid Treatment Program"


def _at(days_ago: int, hour: int = 11) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _marcus(client: Client) -> None:
    therapist = client.therapist
    today = timezone.localdate()
    consent = client_services.consent_create(
        actor=therapist,
        client=client,
        values={
            "recipient": f"{METHADONE_PROGRAM}, intake team",
            "purpose": "Referral for methadone treatment",
            "scope": "summary",
            "signed_on": today - datetime.timedelta(days=21),
            "effective_on": today - datetime.timedelta(days=21),
            "expires_on": today + datetime.timedelta(days=344),
        },
    )
    referral = services.referral_offer(
        actor=therapist,
        client=client,
        service=Service.METHADONE,
        provider=METHADONE_PROGRAM,
        note="Marcus brought up methadone himself; we talked about what a first week looks like.",
        at=_at(35),
    )
    services.referral_update(
        actor=therapist,
        client=client,
        referral=referral,
        status=Status.INTERESTED,
        note="Wants to start before the holidays; worried about daily dosing and his shifts.",
        at=_at(28),
    )
    services.referral_update(
        actor=therapist,
        client=client,
        referral=referral,
        status=Status.REFERRED,
        note="Called the program's intake line together in session.",
        share=True,
        consent=consent,
        shared="Name, date of birth, current opioid use and route, reason for referral.",
        at=_at(20),
    )
    services.referral_update(
        actor=therapist,
        client=client,
        referral=referral,
        status=Status.APPOINTMENT_MADE,
        note="Intake appointment booked; early-morning dosing fits his shift.",
        follow_up_on=today + datetime.timedelta(days=6),
        at=_at(12),
    )


def _tomas(client: Client) -> None:
    therapist = client.therapist
    referral = services.referral_offer(
        actor=therapist,
        client=client,
        service=Service.BUPRENORPHINE,
        provider="His primary care doctor",
        note="Offered as a way to handle pain and avoid the street supply.",
        at=_at(50),
    )
    services.referral_update(
        actor=therapist,
        client=client,
        referral=referral,
        status=Status.DECLINED,
        note="Not now: wants to talk it over with his wife first. We can come back to it.",
        at=_at(43),
    )


def _jamie(client: Client) -> None:
    therapist = client.therapist
    referral = services.referral_offer(
        actor=therapist,
        client=client,
        service=Service.PEER_SUPPORT,
        provider="Moderation peer group, Thursdays",
        status=Status.INTERESTED,
        at=_at(60),
    )
    services.referral_update(
        actor=therapist,
        client=client,
        referral=referral,
        status=Status.LINKED,
        note="Went twice and plans to keep going.",
        at=_at(40),
    )


SEEDS = {"Marcus Bell": _marcus, "Tomás Herrera": _tomas, "Jamie Alvarez": _jamie}


@transaction.atomic
def seed_demo_referrals(*, clients: list[Client]) -> int:
    """Returns how many clients were given referrals."""
    seeded = 0
    already = set(
        ServiceReferral.objects.filter(client__in=clients).values_list("client_id", flat=True)
    )
    for client in clients:
        seed = SEEDS.get(client.legal_name)
        if seed is None or client.pk in already or client.therapist is None:
            continue
        seed(client)
        seeded += 1
    return seeded
