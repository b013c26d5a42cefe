import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from clients.models import Client
from home.load import ADMIN_KEY, LoadSize, seed_load, staff_email, supervisor_key, therapist_key
from hrp.accounts.demo import DEMO_PASSWORD
from hrp.accounts.models import User
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Generate a large clinic for load and performance tests (DEMO_MODE only, empty "
        "database only): by default 200 therapists under 10 supervisors, 20,000 clients of "
        "whom 2,000 discharged, about two years of history each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        default = LoadSize()
        parser.add_argument("--therapists", type=int, default=default.therapists)
        parser.add_argument("--supervisors", type=int, default=default.supervisors)
        parser.add_argument("--clients", type=int, default=default.clients)
        parser.add_argument("--discharged", type=int, default=default.discharged)
        parser.add_argument("--months", type=int, default=default.months)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply staff and clients by this (e.g. 0.01 for a quick small clinic).",
        )
        parser.add_argument("--seed", type=int, default=14)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "seed_load creates accounts with a published password and is refused unless "
                "DEMO_MODE=1. Never enable DEMO_MODE on a clinic holding real records."
            )
        if Client.objects.exists() or User.objects.filter(email=staff_email(ADMIN_KEY)).exists():
            raise CommandError(
                "seed_load only fills an empty database, and this one already has clients or "
                "demo staff. Create a new database, migrate it, and run seed_load there."
            )
        size = LoadSize(
            therapists=options["therapists"],
            supervisors=options["supervisors"],
            clients=options["clients"],
            discharged=options["discharged"],
            months=options["months"],
        ).scaled(options["scale"])
        if min(size.therapists, size.supervisors, size.clients, size.months) < 1:
            raise CommandError("Therapists, supervisors, clients and months must be at least 1.")
        if not 0 <= size.discharged <= size.clients:
            raise CommandError("Discharged clients must be between 0 and the number of clients.")
        started = time.monotonic()
        counts = seed_load(size, seed=options["seed"], progress=self.stdout.write)
        elapsed = time.monotonic() - started
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:<36} {count:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Large clinic ready in {elapsed:.0f} s."))
        self.stdout.write(
            f"Sign in as {staff_email(supervisor_key(0))} (supervisor), "
            f"{staff_email(therapist_key(0))} (therapist) or {staff_email(ADMIN_KEY)} "
            f"(clinic admin); password {DEMO_PASSWORD}; two-factor code from "
            "`manage.py demo_code EMAIL`."
        )
