"""Demo supervision records for `manage.py seed_demo` (DEMO_MODE only). Every person here is
invented. Written through the services, so the audit trail looks like a real clinic's.
Re-running adds nothing: a supervisor who already has meeting records is skipped.

Each meeting carries a countertransference note, and each supervisee's signed notes of the last
weeks (one a week) get a fidelity review whose ratings grow over the weeks, as a trainee's
do, so the trend page has a story to show."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from hrp.accounts.demo import DEMO_DOMAIN
from hrp.accounts.models import User
from hrp.accounts.selectors import current_supervisees
from sessions.models import SessionNote
from supervision import services
from supervision.fidelity import CLEARLY, ITEM_KEYS, NOT_OBSERVED, PARTLY
from supervision.models import SupervisionMeeting

MEETINGS = [
    (
        21,
        "Talked through pacing with clients in precontemplation: follow their agenda and keep "
        "the door open rather than pushing a goal.",
        "Bring the decisional balance from the next session to our meeting.",
        "Noticed impatience when a client said they were not ready to cut down; it showed as "
        "more questions about the plan. Try naming the pull to push before the session.",
    ),
    (
        7,
        "A week above plan is information, not failure: review with the client what the week "
        "asked of them and what the plan did not anticipate.",
        "Check naloxone and never-using-alone with every client who uses opioids.",
        "Felt discouraged, almost responsible, after the week above plan. Separate the "
        "client's pace from your own wish to see them safe.",
    ),
]
# Fidelity reviews of a trainee's latest weeks, oldest first: (item -> rating) grow over time.
FIDELITY_WEEKS = 6
FIDELITY_START = {
    "client_agenda": PARTLY,
    "ambivalence": NOT_OBSERVED,
    "no_judgement": PARTLY,
    "client_goals": PARTLY,
    "safety": PARTLY,
}
FIDELITY_COMMENTS = [
    "The session moved to the plan before the client's agenda: start with what they bring.",
    "Good curiosity about the weekend. The reasons to keep using got little room.",
    "Both sides of the ambivalence were heard this time. Keep asking about naloxone.",
    "The goals were in the client's words. Safety was covered without alarm.",
    "Clear harm reduction stance throughout.",
    "Clear harm reduction stance throughout; the client led.",
]
COMMENT = (
    "The last two notes mention using alone after the release. Could we plan an "
    "overdose-prevention conversation for the next session, and check they have naloxone?"
)


@transaction.atomic
def seed_demo_supervision() -> int:
    """Two meetings with each current supervisee of each demo supervisor (naming up to two of
    the supervisee's clients) and one chart comment per supervisor on a supervisee's active
    client. Returns how many supervisors were given records."""
    today = timezone.localdate()
    seeded = 0
    supervisors = User.objects.filter(
        is_supervisor=True, is_active=True, email__endswith=f"@{DEMO_DOMAIN}"
    ).order_by("email")
    for supervisor in supervisors:
        if SupervisionMeeting.objects.filter(supervisor=supervisor).exists():
            continue
        commented = False
        for supervisee in current_supervisees(user=supervisor):
            clients = list(
                Client.objects.filter(therapist=supervisee, status=Client.Status.ACTIVE).order_by(
                    "id"
                )[:2]
            )
            for days_ago, guidance, follow_ups, countertransference in MEETINGS:
                services.meeting_record(
                    supervisor=supervisor,
                    supervisee=supervisee,
                    met_on=today - datetime.timedelta(days=days_ago),
                    clients=clients,
                    guidance=guidance,
                    follow_ups=follow_ups,
                    countertransference=countertransference,
                )
            _seed_fidelity(supervisor, supervisee)
            if clients and not commented:
                services.comment_add(author=supervisor, client=clients[0], text=COMMENT)
                commented = True
        seeded += 1
    return seeded


def _seed_fidelity(supervisor: User, supervisee: User) -> None:
    """One review a week for the supervisee's latest FIDELITY_WEEKS weeks of signed notes."""
    notes = SessionNote.objects.filter(author=supervisee, signed_at__isnull=False).select_related(
        "appointment"
    )
    by_week: dict[tuple[int, int], SessionNote] = {}
    for note in notes.order_by("-appointment__starts_at")[: FIDELITY_WEEKS * 6]:
        week = timezone.localdate(note.appointment.starts_at).isocalendar()[:2]
        by_week.setdefault(week, note)
    weekly = sorted(by_week.values(), key=lambda n: n.appointment.starts_at)[-FIDELITY_WEEKS:]
    for step, note in enumerate(weekly):
        ratings = {key: min(FIDELITY_START[key] + step // 2, CLEARLY) for key in ITEM_KEYS}
        services.fidelity_review_record(
            supervisor=supervisor,
            note=note,
            ratings=ratings,
            comment=FIDELITY_COMMENTS[step % len(FIDELITY_COMMENTS)],
        )
