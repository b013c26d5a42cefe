from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    """Safety plans, overdose prevention plans and periods of lower tolerance."""

    name = "safety"
    verbose_name = _("Safety")

    def ready(self) -> None:
        from django.urls import reverse

        from clients import extensions
        from hrp.clinic import register_setting
        from notifications.extensions import register_reminder_rule
        from risk.extensions import (
            FlagAction,
            RiskSource,
            register_flag_action,
            register_risk_source,
        )
        from safety import clinic_settings, reminders, selectors, services

        # A period of lower tolerance is the moment of highest overdose risk (DOMAIN.md): it
        # opens a risk flag, followed up like any other.
        # From a risk flag's page, straight to the plan that answers it.
        register_flag_action(
            FlagAction(kind="suicide", label=_("Safety plan"), url_name="safety:safety_edit")
        )
        register_flag_action(
            FlagAction(
                kind="overdose",
                label=_("Overdose prevention plan"),
                url_name="safety:overdose_edit",
            )
        )
        register_risk_source(
            RiskSource(
                key=services.TOLERANCE_SOURCE,
                label=_("Period of lower tolerance"),
                url=lambda client_id, _source_id: reverse("safety:section", args=[client_id]),
            )
        )

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)
        extensions.register_flag_source(
            extensions.FlagSource(
                key="safety",
                annotate=selectors.annotate_open_window,
                flags=selectors.tolerance_flags,
            )
        )
        extensions.register_chart_section(
            extensions.ChartSection(
                key="safety",
                label=_("Safety"),
                url_name="safety:section",
                template="safety/chart_section.html",
                order=45,
                primary=True,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="safety_plan",
                label=_("Safety plan"),
                template="safety/_overview_safety.html",
                context=selectors.safety_panel,
                order=70,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="overdose_prevention",
                label=_("Overdose prevention"),
                template="safety/_overview_overdose.html",
                context=selectors.overdose_panel,
                order=71,
            )
        )
        for source in (
            extensions.TimelineSource(
                key="safety_plan",
                label=_("Safety plan versions"),
                rows=selectors.safety_timeline_rows,
                load=selectors.safety_timeline_load,
                order=45,
            ),
            extensions.TimelineSource(
                key="overdose_plan",
                label=_("Overdose prevention plan versions"),
                rows=selectors.overdose_timeline_rows,
                load=selectors.overdose_timeline_load,
                order=46,
            ),
            extensions.TimelineSource(
                key="tolerance",
                label=_("Periods of lower tolerance"),
                rows=selectors.window_timeline_rows,
                load=selectors.window_timeline_load,
                order=47,
            ),
        ):
            extensions.register_timeline_source(source)
        for rule in reminders.RULES:
            register_reminder_rule(rule)
