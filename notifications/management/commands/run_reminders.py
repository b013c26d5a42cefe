"""Plan and send due reminders in this process: the embedded default's stand-in for beat and a
worker (no Redis). `--loop` repeats every minute until stopped; `make run` does not need it,
because the development server starts the same loop in a thread (notifications/apps.py)."""

from __future__ import annotations

import time
from typing import Any

from hrp.audit.context import AuditedCommand
from notifications import services


class Command(AuditedCommand):
    help = "Plan reminders and send those that are due (once, or every minute with --loop)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="Repeat every minute.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            planned = services.plan_reminders()
            sent = services.send_due_reminders()
            self.stdout.write(f"Reminders planned: {planned}; handled: {sent}")
            if not options["loop"]:
                return
            time.sleep(60)
