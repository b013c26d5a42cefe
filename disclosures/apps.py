from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosuresConfig(AppConfig):
    """Attendance-only reports for mandated referrals, produced only under a valid consent and
    recorded as disclosures (42 CFR Part 2)."""

    name = "disclosures"
    label = "disclosures"
    verbose_name = _("Disclosures")

    def ready(self) -> None:
        from clients import extensions

        extensions.register_chart_section(
            extensions.ChartSection(
                key="disclosures",
                label=_("Disclosures"),
                url_name="disclosures:chart",
                template="disclosures/chart_section.html",
                order=80,
            )
        )
