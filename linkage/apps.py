from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    """Referrals and linkage to other services, offered, not imposed; information shared with a
    referral only under a consent in force, and recorded as a disclosure."""

    name = "linkage"
    verbose_name = _("Referrals and linkage")

    def ready(self) -> None:
        from clients import extensions
        from linkage import reminders, selectors
        from notifications.extensions import register_reminder_rule

        extensions.register_chart_section(
            extensions.ChartSection(
                key="referrals",
                label=_("Referrals"),
                url_name="linkage:section",
                template="linkage/chart_section.html",
                order=58,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="referrals",
                label=_("Open referrals"),
                template="linkage/_overview.html",
                context=selectors.overview,
                order=65,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="referrals",
                label=_("Referrals"),
                rows=selectors.timeline_rows,
                load=selectors.timeline_load,
                order=60,
            )
        )
        for rule in reminders.RULES:
            register_reminder_rule(rule)
