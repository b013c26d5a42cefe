from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    """The ideal substance use plan and goals tested as hypotheses."""

    name = "goals"
    verbose_name = _("Plans and goals")
