from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfReportConfig(AppConfig):
    """Links a client answers on their own phone between sessions, without an account."""

    name = "selfreport"
    verbose_name = _("Client links")

    def ready(self) -> None:
        from clients import extensions
        from hrp.clinic import register_setting
        from selfreport import clinic_settings, selectors

        extensions.register_caseload_column(
            extensions.CaseloadColumn(
                key="new_from_client",
                label=_("From the client"),
                template="selfreport/_caseload_new.html",
                annotate=selectors.annotate_new_from_client,
                order=55,
            )
        )
        extensions.register_overview_panel(
            extensions.OverviewPanel(
                key="client_reports",
                label=_("Relaxation practice, from the client"),
                template="selfreport/_overview_reports.html",
                context=selectors.client_reports_panel,
                order=95,
            )
        )
        for spec in clinic_settings.SETTINGS:
            register_setting(spec)
