import rules
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    """The root of the clinical record: clients, intake, consents, caseloads."""

    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from clients import selectors, services
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
