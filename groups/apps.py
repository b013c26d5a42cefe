from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    """Group sessions: groups, members under a consent, attendance per meeting, and the group
    note (shared part, private part per member) on each member's chart."""

    name = "groups"
    verbose_name = _("Groups")

    def ready(self) -> None:
        from clients import extensions
        from groups import reminders, selectors
        from notifications.extensions import register_reminder_rule
        from scheduling.extensions import register_busy_source

        extensions.register_chart_section(
            extensions.ChartSection(
                key="groups",
                label=_("Groups"),
                url_name="groups:section",
                template="groups/chart_section.html",
                order=57,
            )
        )
        extensions.register_timeline_source(
            extensions.TimelineSource(
                key="groups",
                label=_("Group meetings"),
                rows=selectors.timeline_rows,
                load=selectors.timeline_load,
                order=72,
            )
        )
        register_reminder_rule(reminders.GroupMeetingClient())
        # A facilitator's calendar shows the group's meetings and offers no free slot over them.
        register_busy_source(selectors.calendar_busy)
