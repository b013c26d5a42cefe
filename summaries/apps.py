from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummariesConfig(AppConfig):
    """Progress summaries per client and period (and per supervisor's caseload), built by a
    Celery task, shown as a page and downloadable as a PDF."""

    name = "summaries"
    label = "summaries"
    verbose_name = _("Progress summaries")
