"""The clinic settings this app owns, registered from TherapySessionsConfig.ready() on the
Clinic settings page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import GENERAL, NOTES, Spec
from sessions.vocab import NoteFormat

SETTINGS = (
    Spec(
        "NOTE_FORMAT",
        gettext_lazy("Note format"),
        gettext_lazy("The format new session notes are written in."),
        "choice",
        NOTES,
        choices=tuple(NoteFormat.choices),
        order=20,
    ),
    Spec(
        "LATE_NOTE_HOURS",
        gettext_lazy("Hours until a note is late"),
        gettext_lazy("An attended session without a signed note this long after it ended."),
        "int",
        NOTES,
        1,
        336,
        order=21,
    ),
    Spec(
        "RATING_ALERT_THRESHOLD",
        gettext_lazy("Session-rating alert threshold (0-40)"),
        gettext_lazy("A rating total under this raises an alert."),
        "int",
        NOTES,
        0,
        40,
        order=22,
    ),
    Spec(
        "RATING_ALERT_DROP",
        gettext_lazy("Session-rating drop (points)"),
        gettext_lazy("A total this far below the client's running average raises an alert."),
        "int",
        NOTES,
        1,
        40,
        order=23,
    ),
    Spec(
        "VIDEO_LINK_PATTERN",
        gettext_lazy("Video provider link pattern"),
        gettext_lazy(
            "An https address with {code} where each appointment's own random code goes, "
            "for example https://meet.example.org/hrp-{code}. Empty: video links are pasted."
        ),
        "https_pattern",
        GENERAL,
        maximum=300,
        order=12,
    ),
)
