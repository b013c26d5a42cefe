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

    def ready(self) -> None:
        from django.urls import reverse

        from clients import extensions
        from hrp.clinic import register_setting
        from notifications.extensions import register_reminder_rule
        from risk.extensions import RiskSource, register_risk_source
        from sessions import chart, clinic_settings, reminders, selectors, services

        register_risk_source(
            RiskSource(
                key=services.NOTE_SOURCE,
                label=_("Session note"),
                url=lambda client_id, source_id: reverse(
                    "sessions:note", args=[client_id, source_id]
                ),
            )
        )
        register_risk_source(
            RiskSource(
                key=services.CONTACT_SOURCE,
                label=_("Contact outside sessions"),
                url=lambda client_id, source_id: reverse(
                    "sessions:contact", args=[client_id, source_id]
                ),
            )
        )

        extensions.register_merge_blocker("sessions", selectors.open_work_phrase)
        extensions.register_caseload_column(
            extensions.CaseloadColumn(
                key="next_appointment",
                label=_("Next appointment"),
                template="sessions/_caseload_next.html",
                annotate=selectors.prefetch_for_clients,
                order=10,
            )
        )
        extensions.register_caseload_column(
            extensions.CaseloadColumn(
                key="last_contact",
                label=_("Last contact"),
                template="sessions/_caseload_last.html",
                annotate=selectors.prefetch_for_clients,
                order=20,
            )
        )
        extensions.register_flag_source(
            extensions.FlagSource(
                key="sessions",
                annotate=selectors.prefetch_alerts,
                flags=selectors.alert_flags,
            )
        )
        extensions.register_home_notice("sessions", selectors.home_notices)
        extensions.register_chart_section(
            extensions.ChartSection(
                key="sessions",
                label=_("Sessions"),
                url_name="sessions:section",
                template="sessions/chart_section.html",
                order=50,
                primary=True,
            )
        )

        # Contacts outside sessions: their own chart tab next to Sessions (a clinician looks
        # for "the call on Tuesday" beside the sessions, not inside the appointment history),
        # their place on the Timeline and the Overview's "Last contacts".
        extensions.register_chart_section(
            extensions.ChartSection(
                key="contacts",
                label=_("Contacts"),
                url_name="sessions:contacts",
                template="sessions/contacts_section.html",
                order=55,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="contacts",
                label=_("Contacts outside sessions"),
                rows=selectors.contact_timeline_rows,
                load=selectors.contact_timeline_load,
                order=25,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="contacts",
                label=_("Last contacts outside sessions"),
                template="sessions/_overview_contacts.html",
                context=selectors.overview_contacts,
                order=62,
            )
        )

        for rule in reminders.RULES:
            register_reminder_rule(rule)

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)

        # The Overview's appointments and last notes, the Timeline's notes and appointments.
        chart.register()
