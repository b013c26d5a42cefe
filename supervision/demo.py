"""Demo supervision records for `manage.py seed_demo` (DEMO_MODE only). Every person here is
invented. Written through the services, so the audit trail looks like a real clinic's.
Re-running adds nothing: a supervisor who already has meeting records is skipped."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from hrp.accounts.demo import DEMO_DOMAIN
from hrp.accounts.models import User
from hrp.accounts.selectors import current_supervisees
from supervision import services
from supervision.models import SupervisionMeeting

MEETINGS = [
    (
        21,
        "Talked through pacing with clients in precontemplation: follow their agenda and keep "
        "the door open rather than pushing a goal.",
        "Bring the decisional balance from the next session to our meeting.",
    ),
    (
        7,
        "A week above plan is information, not failure: review with the client what the week "
        "asked of them and what the plan did not anticipate.",
        "Check naloxone and never-using-alone with every client who uses opioids.",
    ),
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
            for days_ago, guidance, follow_ups in MEETINGS:
                services.meeting_record(
                    supervisor=supervisor,
                    supervisee=supervisee,
                    met_on=today - datetime.timedelta(days=days_ago),
                    clients=clients,
                    guidance=guidance,
                    follow_ups=follow_ups,
                )
            if clients and not commented:
                services.comment_add(author=supervisor, client=clients[0], text=COMMENT)
                commented = True
        seeded += 1
    return seeded
