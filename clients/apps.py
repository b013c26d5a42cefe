import rules
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    """The root of the clinical record: clients, intake, consents, caseloads."""

    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from clients import chart, selectors, services
        from hrp import access
        from hrp.accounts import caseload

        # hrp.accounts uses no feature app: deactivating a therapist reaches their caseload
        # through this registration (see hrp/accounts/caseload.py).
        caseload.register(
            caseload.CaseloadHandover(
                open_clients=selectors.open_clients_of, move=services.client_hand_over
            )
        )
        # Who works the unassigned queue. Belongs in hrp/access.py with the other rules once
        # the access rework lands there.
        rules.set_rule("clients.unassigned_queue", access.is_clinic_admin | access.is_supervisor)

        from clients.extensions import ChartSection, register_chart_section

        # The chart's own sections. Other apps register theirs from their ready(); `order`
        # leaves room between these (assessments 30, plan 40, sessions 50, summaries 60,
        # disclosures 80).
        # Only the Overview is a primary tab of these; the rest sit in the tabs' "More" menu.
        read, treating = ChartSection.READ, ChartSection.TREATING
        for key, label, url_name, order, needs, primary in (
            ("overview", _("Overview"), "clients:chart", 10, read, True),
            ("intake", _("Intake"), "clients:intake", 20, read, False),
            ("medical", _("Medical evaluation"), "clients:medical", 22, read, False),
            ("consents", _("Consents"), "clients:consents", 70, read, False),
            ("timeline", _("Timeline"), "clients:timeline", 90, read, False),
            # The accounting of disclosures is for the client's own therapist.
            ("access", _("Who accessed this record"), "clients:access_log", 100, treating, False),
        ):
            register_chart_section(
                ChartSection(
                    key=key,
                    label=label,
                    url_name=url_name,
                    template=f"clients/chart_{key}.html",
                    order=order,
                    access=needs,
                    primary=primary,
                )
            )
        # The client's words and contact details on the Overview; intake, assignments,
        # consents and discharge on the Timeline (clients/chart.py).
        chart.register()
