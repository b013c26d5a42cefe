from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """The client's record leaving the clinic whole: the FHIR R4 export (to a recipient named
    in a consent, recorded as a disclosure) and the client's own copy (HIPAA right of access),
    with its request, deadline and release."""

    name = "records"
    label = "records"
    verbose_name = _("Record copies")

    def ready(self) -> None:
        from clients import extensions

        # The client's own therapist and their supervisor read the requests and deadlines;
        # the actions on the tab are the treating clinician's (records.views).
        extensions.register_chart_section(
            extensions.ChartSection(
                key="records",
                label=_("Record copies"),
                url_name="records:chart",
                template="records/chart_section.html",
                order=85,
            )
        )
