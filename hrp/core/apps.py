from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hrp import bounds


class CoreConfig(AppConfig):
    """The clinic shell: home page, health check, context shared by every page."""

    name = "hrp.core"
    label = "core"
    verbose_name = _("Clinic shell")

    def ready(self) -> None:
        # Registers the deploy check for INVALID indexes (hrp.E102).
        from hrp import schema  # noqa: F401

        # A stored date Python cannot hold (year 10000 in UTC) is read, not raised on, so
        # every page that lists it still opens (docs/ARCHITECTURE.md, "Dates, times, numbers").
        bounds.install_safe_reads()
