from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from assessments.demo import seed_demo_assessments
from billing.demo import seed_demo_billing, seed_demo_group_billing
from clients.demo import DEMO_CLIENTS, seed_demo_clients, seed_pseudonymous_clients
from clients.models import Client
from goals.demo import seed_demo_goals
from groups.demo import seed_demo_groups
from home.demo import seed_demo_emergency_access
from hrp.accounts.demo import DEMO_PASSWORD, seed_demo_staff
from hrp.audit.context import AuditedCommand
from linkage.demo import seed_demo_referrals
from notifications import services as reminders
from risk.demo import seed_demo_risk
from safety.demo import seed_demo_safety
from selfreport.demo import seed_demo_selfreport
from sessions.demo import seed_demo_appointments, seed_demo_contacts, seed_demo_notes
from supervision.demo import seed_demo_supervision
from supplies.demo import seed_demo_supplies
from techniques.demo import demo_techniques


class Command(AuditedCommand):
    help = "Create or refresh the demo clinic (DEMO_MODE only). Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "seed_demo creates accounts with a published password and is refused unless "
                "DEMO_MODE=1. Never enable DEMO_MODE on a clinic holding real records."
            )
        rows = seed_demo_staff()
        # Each clinical app adds its demo records through its own demo module.
        therapists = [user for spec, user, _secret in rows if user.is_therapist]
        created = seed_demo_clients(therapists=therapists)
        self.stdout.write(
            f"Demo clients created: {created} (already there: {len(DEMO_CLIENTS) - created})"
        )
        # Known only by a chosen name (issue 21): after the others, which the demo modules
        # below find by legal name.
        known_by_chosen_name = seed_pseudonymous_clients(therapists=therapists)
        self.stdout.write(f"Demo clients known by a chosen name: {known_by_chosen_name}")
        demo_clients = list(
            Client.objects.filter(legal_name__in=[row[0] for row in DEMO_CLIENTS])
            .select_related("therapist", "intake")
            .order_by("id")
        )
        assessed = seed_demo_assessments(clients=demo_clients)
        self.stdout.write(f"Demo clients given measures and harm assessments: {assessed}")
        planned = seed_demo_goals(clients=demo_clients)
        self.stdout.write(f"Demo clients given plans, goals and check-ins: {planned}")
        safety = seed_demo_safety(clients=demo_clients)
        self.stdout.write(f"Demo clients given safety records: {safety}")
        scheduled = seed_demo_appointments(clients=demo_clients)
        self.stdout.write(f"Demo clients given 12 weeks of appointments: {scheduled}")
        # Techniques are recorded with notes while they are drafts (signing locks them).
        techniques = demo_techniques(clients=demo_clients)
        noted = seed_demo_notes(clients=demo_clients, with_draft=techniques.add)
        self.stdout.write(f"Demo clients given session notes and ratings: {noted}")
        self.stdout.write(f"Techniques recorded with demo notes: {techniques.count}")
        contacted = seed_demo_contacts(clients=demo_clients)
        self.stdout.write(f"Demo clients given contacts outside sessions: {contacted}")
        grouped = seed_demo_groups(clients=demo_clients)
        self.stdout.write(f"Demo groups with members, meetings and group notes: {grouped}")
        billed = seed_demo_billing(clients=demo_clients)
        self.stdout.write(f"Demo clients given a problem list and coded sessions: {billed}")
        group_coded = seed_demo_group_billing(clients=demo_clients)
        self.stdout.write(f"Group meeting attendances coded for billing: {group_coded}")
        resolved = seed_demo_risk(clients=demo_clients)
        self.stdout.write(f"Earlier risk flags followed up and resolved: {resolved}")
        supplied = seed_demo_supplies(clients=demo_clients)
        self.stdout.write(f"Demo clients given harm reduction supplies: {supplied}")
        referred = seed_demo_referrals(clients=demo_clients)
        self.stdout.write(f"Demo clients offered referrals: {referred}")
        # After sessions, plans and check-ins (what the links ask about); before reminders are
        # planned, so the channel it records for its clients is used for theirs too.
        self_reported = seed_demo_selfreport(clients=demo_clients)
        self.stdout.write(f"Demo clients sent links, schedules and a plan: {self_reported}")
        supervised = seed_demo_supervision()
        self.stdout.write(f"Supervision meetings and chart comments: {supervised}")
        self.stdout.write(f"Emergency-access events: {seed_demo_emergency_access()}")
        planned, sent = reminders.plan_reminders(), reminders.send_due_reminders()
        self.stdout.write(f"Reminders planned: {planned}; due now and sent: {sent}")
        self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(
            "Two-factor: add an account's secret to an authenticator app, or print its current "
            "code with: .venv/bin/python manage.py demo_code EMAIL"
        )
        width = max(len(user.email) for _spec, user, _secret in rows)
        for _spec, user, secret in rows:
            roles = ", ".join(user.role_labels)
            if user.requires_cosign:
                roles += " (needs co-signature)"
            self.stdout.write(f"  {user.email:<{width}}  {secret}  {roles}")
