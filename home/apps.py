from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """Each role's landing page and the demo clinic: the top of the dependency graph."""

    name = "home"
    label = "home"
    verbose_name = _("Home")
