from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Diagnoses (ICD-10-CM problem list), encounters coded for billing, superbills and
    exports for billing software, each export recorded as a disclosure."""

    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from clients import extensions
        from groups.extensions import MeetingAction, register_meeting_action

        extensions.register_chart_section(
            extensions.ChartSection(
                key="billing",
                label=_("Diagnoses and billing"),
                url_name="billing:section",
                template="billing/chart_section.html",
                order=59,
            )
        )
        # A group's facilitators code every attending member from the meeting's page.
        register_meeting_action(
            MeetingAction(
                key="billing",
                label=_("Code the meeting for billing"),
                url_name="billing:meeting_coding",
            )
        )
