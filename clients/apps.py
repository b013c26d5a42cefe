from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    """The root of the clinical record: clients, intake, consents, caseloads."""

    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from clients.extensions import ChartSection, register_chart_section

        # The chart's own sections. Other apps register theirs from their ready(); `order`
        # leaves room between these for them (assessments 30, plan 40, sessions 50,
        # summaries 60, disclosures 80).
        for section in (
            ChartSection("overview", _("Overview"), "clients:chart", "clients/chart_overview.html", 10),
            ChartSection("intake", _("Intake"), "clients:intake", "clients/chart_intake.html", 20),
            ChartSection("consents", _("Consents"), "clients:consents", "clients/chart_consents.html", 70),
            ChartSection("timeline", _("Timeline"), "clients:timeline", "clients/chart_timeline.html", 90),
            ChartSection(
                "access",
                _("Who accessed this record"),
                "clients:access_log",
                "clients/chart_access.html",
                100,
                access=ChartSection.TREATING,
            ),
        ):
            register_chart_section(section)
