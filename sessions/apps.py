from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TherapySessionsConfig(AppConfig):
    """Appointments and session notes.

    The label is "therapy_sessions" because "sessions" belongs to django.contrib.sessions; the
    label is in every migration and table name of this app, so it must never change.
    """

    name = "sessions"
    label = "therapy_sessions"
    verbose_name = _("Sessions")
