from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """The supervisor's workspace: the dashboard over their supervisees, supervision meeting
    records and comments left on a chart for the therapist. Supervision records are kept
    apart from the client's clinical record: they live in this app's tables and pages only."""

    name = "supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from clients import extensions
        from hrp.clinic import register_setting
        from supervision import clinic_settings, notices

        # The annotation rides on the chart's own client query (a flag source with no flags),
        # so a chart without open comments spends no query on them.
        extensions.register_flag_source(
            extensions.FlagSource(
                key="supervision_comments",
                annotate=notices.annotate_open_comments,
                flags=lambda client: [],
            )
        )
        extensions.register_chart_notice("supervision_comments", notices.chart_notices)

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)
