import logging
import os
import sys
import threading
import time
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Reminders to staff (in the app and by email) and content-free appointment reminders to
    clients: rows with a due time, claimed and sent by a beat task exactly once."""

    name = "notifications"
    label = "notifications"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from hrp.clinic import register_setting
        from notifications import clinic_settings, reminders
        from notifications.extensions import register_reminder_rule

        for rule in reminders.RULES:
            register_reminder_rule(rule)

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)

        # The embedded default (no Redis, so no beat or worker): the development server runs
        # the reminder scan itself, once a minute, in its reloaded child process only.
        if (
            not settings.REDIS_URL
            and "runserver" in sys.argv
            and os.environ.get("RUN_MAIN") == "true"
        ):
            from notifications import services

            threading.Thread(
                target=_scan_forever, args=(services,), name="reminders", daemon=True
            ).start()


def _scan_forever(services: Any) -> None:
    # `services` is passed from ready(): models cannot be imported when this module loads.
    log = logging.getLogger("notifications")
    while True:
        time.sleep(60)
        try:
            services.plan_reminders()
            services.send_due_reminders()
        except Exception as error:  # keep the dev server up; the next minute tries again
            log.warning("in-process reminder scan failed: %s", type(error).__name__)
        finally:
            close_old_connections()
