from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TechniquesConfig(AppConfig):
    """The model's techniques as records attached to a session note (use-episode chains,
    voice-dialogue parts, script rewrites): on the note page, a chart section and the
    Timeline."""

    name = "techniques"
    verbose_name = _("Techniques")

    def ready(self) -> None:
        from techniques import chart

        chart.register()
