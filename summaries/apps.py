from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummariesConfig(AppConfig):
    """Progress summaries per client and period (and per supervisor's caseload), built by a
    Celery task, shown as a page and downloadable as a PDF."""

    name = "summaries"
    label = "summaries"
    verbose_name = _("Progress summaries")

    def ready(self) -> None:
        from clients import extensions

        extensions.register_chart_section(
            extensions.ChartSection(
                key="summaries",
                label=_("Summaries"),
                url_name="summaries:section",
                template="summaries/chart_section.html",
                order=60,
            )
        )
