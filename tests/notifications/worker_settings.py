"""Settings for the fault tests' worker processes: the project's settings, read from the same
environment, with email going to the slow file-writing backend.

hrp/settings.py builds MAILERS from EMAIL_URL, whose schemes (smtp, console, file, memory,
dummy) cannot name a custom backend, so the workers get this module through
DJANGO_SETTINGS_MODULE instead."""

from hrp.settings import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "tests.notifications.slow_backend.SlowFileBackend"}}
