from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    """The clinic's calendar: day, week and month views, the clinic view, working hours and
    free slots, booking from a slot, rooms, video links and private calendar feeds."""

    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from hrp.clinic import register_setting
        from scheduling import clinic_settings

        for spec in clinic_settings.SETTINGS:
            register_setting(spec)
