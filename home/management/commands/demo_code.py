from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hrp.accounts.identity import canonical_email
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = "Print the current two-factor code of a demo account (DEMO_MODE only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_code only works in a demo clinic (DEMO_MODE=1).")
        device = TOTPDevice.objects.filter(
            user__email=canonical_email(options["email"]), confirmed=True
        ).first()
        if device is None:
            raise CommandError("No demo account with an authenticator has that email.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
