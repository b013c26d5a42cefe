from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Harm assessment, decisional balance and scored standard measures."""

    name = "assessments"
    verbose_name = _("Assessments")
