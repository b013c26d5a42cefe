from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Harm assessment, decisional balance and scored standard measures."""

    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        from django.urls import reverse

        from assessments import chart, clinic_settings, reminders, selectors, services
        from clients import extensions
        from hrp.clinic import register_setting
        from notifications.extensions import register_reminder_rule
        from risk.extensions import RiskSource, register_risk_source

        register_risk_source(
            RiskSource(
                key=services.PHQ9_SOURCE,
                label=_("PHQ-9 question 9"),
                url=lambda client_id, source_id: reverse(
                    "assessments:administration", args=[client_id, source_id]
                ),
            )
        )
        register_risk_source(
            RiskSource(
                key=services.HARM_SOURCE,
                label=_("Harm assessment"),
                url=lambda client_id, source_id: reverse(
                    "assessments:harm_detail", args=[client_id, source_id]
                ),
            )
        )

        extensions.register_caseload_column(
            extensions.CaseloadColumn(
                key="measures",
                label=_("Latest measures"),
                template="assessments/_caseload_measures.html",
                annotate=selectors.prefetch_for_clients,
                order=50,
            )
        )
        extensions.register_flag_source(
            extensions.FlagSource(
                key="assessments",
                annotate=selectors.prefetch_for_clients,
                flags=selectors.caseload_flags,
            )
        )
        extensions.register_chart_section(
            extensions.ChartSection(
                key="assessments",
                label=_("Assessments"),
                url_name="assessments:section",
                template="assessments/chart_section.html",
                order=30,
                primary=True,
            )
        )

        for rule in reminders.RULES:
            register_reminder_rule(rule)

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)

        # The Overview's latest measures, the Timeline's measures and harm assessments.
        chart.register()
