from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    """The ideal substance use plan and goals tested as hypotheses."""

    name = "goals"
    verbose_name = _("Plans and goals")

    def ready(self) -> None:
        from clients import extensions
        from goals import chart, reminders, selectors
        from notifications.extensions import register_reminder_rule

        extensions.register_caseload_column(
            extensions.CaseloadColumn(
                key="goals",
                label=_("Open goals"),
                template="goals/_caseload_goals.html",
                annotate=selectors.prefetch_for_clients,
                order=40,
            )
        )
        extensions.register_flag_source(
            extensions.FlagSource(
                key="goals",
                annotate=selectors.prefetch_for_clients,
                flags=selectors.caseload_flags,
            )
        )
        # A plan review due shows beside goal reviews due (the same rule: review_state_for).
        extensions.register_flag_source(
            extensions.FlagSource(
                key="plan_review",
                annotate=selectors.annotate_plan_review,
                flags=selectors.plan_flags,
            )
        )
        extensions.register_chart_section(
            extensions.ChartSection(
                key="plan",
                label=_("Plan and goals"),
                url_name="goals:section",
                template="goals/chart_section.html",
                order=40,
                primary=True,
            )
        )

        for rule in reminders.RULES:
            register_reminder_rule(rule)

        # The Overview's plan and goals, the Timeline's plan versions, goals and reviews.
        chart.register()
