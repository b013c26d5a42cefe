from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hrp.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Sign-in events are written to the audit trail by signal receivers: Django and axes
        # only announce them through signals.
        from hrp.accounts import receivers  # noqa: F401
