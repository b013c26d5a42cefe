"""The clinic settings this app owns, registered from NotificationsConfig.ready() on the Clinic
settings page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import REMINDERS, Spec

REMINDER_KEYS = (
    ("session_day_hours", gettext_lazy("Upcoming session, hours before (first reminder)"), 1, 72),
    ("session_hour_minutes", gettext_lazy("Upcoming session, minutes before (second)"), 5, 240),
    ("review_due_days", gettext_lazy("Goal review, days before it is due"), 0, 14),
    ("measure_due_days", gettext_lazy("Measure, days after it falls due"), 0, 14),
    ("client_session_hours", gettext_lazy("Client appointment reminder, hours before"), 1, 72),
    ("risk_open_days", gettext_lazy("Risk flag still open, days before reminding again"), 1, 30),
    (
        "medical_evaluation_days",
        gettext_lazy("Medical evaluation still open, days after the intake"),
        1,
        90,
    ),
    ("send_hour", gettext_lazy("Hour of day for date-based reminders (0-23)"), 0, 23),
)

SETTINGS = (
    Spec(
        "REMINDER_TIMINGS",
        gettext_lazy("Reminder timings"),
        gettext_lazy("When reminders are due."),
        "int_map",
        REMINDERS,
        keys=REMINDER_KEYS,
        order=80,
    ),
)
