"""Recompute every client's identity_key (clients.identity): after SECRET_KEY changes, or once
after migration clients.0008 on a database restored from before it."""

from __future__ import annotations

from typing import Any

from clients.models import Client
from clients.services import identity_keys_refresh
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = "Recompute the keyed hash that finds possible duplicate client records."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = identity_keys_refresh(queryset=Client.objects.all())
        self.stdout.write(f"{changed} record(s) updated.")
