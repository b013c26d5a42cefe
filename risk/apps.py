from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    """Risk flags from every source (suicide, overdose), and the one way to follow them up."""

    name = "risk"
    verbose_name = _("Risk flags")

    def ready(self) -> None:
        from clients import extensions
        from notifications.extensions import register_reminder_rule
        from risk import reminders, selectors

        extensions.register_merge_blocker("risk", selectors.open_work_phrase)
        extensions.register_flag_source(
            extensions.FlagSource(
                key="risk",
                annotate=selectors.annotate_urgency,
                flags=selectors.chart_flags,
            )
        )
        extensions.register_chart_section(
            extensions.ChartSection(
                key="risk",
                label=_("Risk"),
                url_name="risk:section",
                template="risk/chart_section.html",
                order=25,
                primary=True,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="risk",
                label=_("Open risk flags"),
                template="risk/_overview_panel.html",
                context=selectors.overview_context,
                order=10,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="risk_opened",
                label=_("Risk flags opened"),
                rows=selectors.timeline_opened_rows,
                load=selectors.timeline_opened_load,
                order=60,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="risk_resolved",
                label=_("Risk flags resolved"),
                rows=selectors.timeline_resolved_rows,
                load=selectors.timeline_resolved_load,
                order=61,
            )
        )
        for rule in reminders.RULES:
            register_reminder_rule(rule)
