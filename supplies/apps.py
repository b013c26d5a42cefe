from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    """Harm reduction supplies given (naloxone, test strips, sterile supplies...), on the chart,
    in progress summaries, and counted per month for funders without identity."""

    name = "supplies"
    verbose_name = _("Supplies")

    def ready(self) -> None:
        from clients import extensions
        from supplies import selectors

        extensions.register_chart_section(
            extensions.ChartSection(
                key="supplies",
                label=_("Supplies"),
                url_name="supplies:section",
                template="supplies/chart_section.html",
                order=55,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="supplies",
                label=_("Supplies given"),
                template="supplies/_overview.html",
                context=selectors.overview,
                order=75,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="supplies",
                label=_("Supplies"),
                rows=selectors.timeline_rows,
                load=selectors.timeline_load,
                order=70,
            )
        )
