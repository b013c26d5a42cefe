"""Clinic settings that a clinic admin changes on a page (Clinic settings), over the defaults
that come from the environment (hrp/settings.py).

Code reads them with `clinic_setting("LATE_NOTE_HOURS")`, never `settings.LATE_NOTE_HOURS`
directly. The values saved on the page live in `ClinicSetting` rows and in the cache (Redis when
configured, so every web process and worker sees a change at once), written through on save:
a read costs no query unless the cache was emptied (a Redis restart), and then one. If the cache
is unreachable the database answers. Without a saved value the environment's default applies.

Within a request or a Celery task the saved values are read from the cache once, on the first
`clinic_setting()`, and kept for the rest of it (`settings_scope()`, entered by
`ClinicSettingsMiddleware` and by the task signals in hrp/celery.py): a page that asks for a
setting per row costs one cache read, not one per row. A save in the same request or task
(`store`, `clear_cache`) replaces what the scope holds, so it reads what it wrote; other
requests see the change from their next start. Outside a scope (shell, management commands)
every read goes to the cache, as before.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import logging
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hrp import bounds

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)
CACHE_KEY = "hrp:clinic-settings:v1"
MISSING = object()


@dataclass(frozen=True)
class Spec:
    """A setting on the Clinic settings page. Each app registers the settings it owns from its
    AppConfig.ready() (`register_setting`), so this module depends on no app; `order` places it
    on the page, and the page shows the groups in the order their first setting comes."""

    name: str
    label: Any
    help_text: Any
    # "int", "choice", "time_zone", "int_map", "text" (maximum: its length), "https_pattern"
    # (an https address with {code}, or empty; maximum: its length)
    kind: str
    group: Any
    minimum: int = 0
    maximum: int = 0
    choices: tuple[tuple[str, Any], ...] = ()
    keys: tuple[tuple[str, Any, int, int], ...] = field(default=())  # int_map: key, label, min, max
    order: int = 100


# Groups on the page, shared by the apps that put settings in them.
GENERAL = gettext_lazy("General")
NOTES = gettext_lazy("Session notes and ratings")
CARE = gettext_lazy("Measures and follow-up")
SECURITY = gettext_lazy("Security")
REMINDERS = gettext_lazy("Reminders")

SETTING_SPECS: dict[str, Spec] = {}


def register_setting(spec: Spec) -> None:
    SETTING_SPECS[spec.name] = spec


def specs() -> list[Spec]:
    return sorted(SETTING_SPECS.values(), key=lambda spec: (spec.order, spec.name))


def spec_for(name: str) -> Spec:
    try:
        return SETTING_SPECS[name]
    except KeyError:
        raise KeyError(name) from None


# The settings every app uses; the others are registered by the apps that own them.
register_setting(
    Spec(
        "TIME_ZONE",
        gettext_lazy("Time zone"),
        gettext_lazy("Times are stored in UTC and shown in this zone, e.g. America/New_York."),
        "time_zone",
        GENERAL,
        order=10,
    )
)
register_setting(
    Spec(
        "IDLE_TIMEOUT_MINUTES",
        gettext_lazy("Automatic sign-out after (minutes idle)"),
        gettext_lazy("HIPAA automatic logoff. 5 to 60 minutes."),
        "int",
        SECURITY,
        5,
        60,
        order=70,
    )
)


def _load_from_db() -> dict[str, Any]:
    # Through the app registry: this module is imported while settings load (by hrp.celery, for
    # the clinic's time zone), before models can be imported.
    setting_model = apps.get_model("core", "ClinicSetting")
    return dict(setting_model.objects.values_list("key", "value"))


class _Scope:
    """What one request or task has read: None until its first read."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[str, Any] | None = None


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "hrp_clinic_settings_scope", default=None
)


@contextlib.contextmanager
def settings_scope() -> Iterator[None]:
    """Read the saved settings at most once inside this block (a request, a task, a batch
    command): `with clinic.settings_scope(): ...`. Nested blocks start afresh."""
    token = enter_scope()
    try:
        yield
    finally:
        leave_scope(token)


def enter_scope() -> contextvars.Token[_Scope | None]:
    """Start a scope without a block (for paired signals such as Celery's task_prerun and
    task_postrun); end it with `leave_scope(token)`."""
    return _scope.set(_Scope())


def leave_scope(token: contextvars.Token[_Scope | None]) -> None:
    _scope.reset(token)


class ClinicSettingsMiddleware:
    """One cache read of the clinic settings per request, however many times pages, middleware
    and templates ask (see `settings_scope`). Comes before every middleware that reads one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with settings_scope():
            return self.get_response(request)


def saved_values() -> dict[str, Any]:
    """The values saved on the Clinic settings page (not the defaults): from the current
    scope when one is open and has read them, else from the cache (or the database)."""
    scope = _scope.get()
    if scope is None:
        return _read_saved()
    if scope.values is None:
        scope.values = _read_saved()
    return scope.values


def _read_saved() -> dict[str, Any]:
    try:
        values = cache.get(CACHE_KEY, MISSING)
    except Exception:  # an unreachable cache must not take pages down; the database answers
        return _load_from_db()
    if values is MISSING:
        values = _load_from_db()
        # add, not set: a save that committed and stored its values after our database read
        # must not be overwritten by what we read (the cache never expires, so it would stay).
        try:
            cache.add(CACHE_KEY, values, timeout=None)
        except Exception as error:  # readers fall back to the database
            logger.warning("clinic settings not cached: %s", type(error).__name__)
    return values


def _cache_set(values: dict[str, Any]) -> None:
    try:
        cache.set(CACHE_KEY, values, timeout=None)
    except Exception as error:  # readers fall back to the database
        logger.warning("clinic settings not cached: %s", type(error).__name__)


def default(name: str) -> Any:
    return getattr(settings, name, None)


def clinic_setting(name: str) -> Any:
    """The clinic's value for `name`: saved on the settings page, else the environment's."""
    saved = saved_values()
    base = default(name)
    if name not in saved:
        return base
    value = saved[name]
    if isinstance(base, dict) and isinstance(value, dict):
        return {**base, **value}
    # A copy: the scope's values are shared by every read of this request or task.
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def validate(name: str, raw: Any) -> Any:
    """The value to store for `name`, or ValidationError with a message for the page."""
    spec = spec_for(name)
    if spec.kind == "int":
        # ASCII digits only (hrp/bounds.py): int() would also take "٣", "+3" and "3_0".
        value = bounds.parse_int(raw, minimum=bounds.PG_INT_MIN)
        if value is None:
            raise ValidationError(_("Enter a whole number."))
        if not spec.minimum <= value <= spec.maximum:
            raise ValidationError(
                _("Use a number from %(min)d to %(max)d.")
                % {"min": spec.minimum, "max": spec.maximum}
            )
        return value
    if spec.kind == "choice":
        if raw not in dict(spec.choices):
            raise ValidationError(_("Choose one of the listed options."))
        return raw
    if spec.kind == "time_zone":
        # "localtime" is the server's own alias, not a zone: another host may not have it.
        if raw not in zoneinfo.available_timezones() or raw == "localtime":
            raise ValidationError(
                _("“%(tz)s” is not a time zone name such as America/New_York.") % {"tz": raw}
            )
        return raw
    if spec.kind == "text":
        # One line of plain text (e.g. the crisis lines printed on a safety plan).
        value = " ".join(str(raw or "").split())
        if not value:
            raise ValidationError(_("Enter the text; it cannot be empty."))
        if len(value) > spec.maximum:
            raise ValidationError(
                _("Please keep this under %(max)d characters.") % {"max": spec.maximum}
            )
        return value
    if spec.kind == "https_pattern":
        # An https address with {code} where a random code goes (a video provider's room
        # link), or empty for none.
        value = str(raw or "").strip()
        if not value:
            return ""
        parts = urlsplit(value.replace("{code}", "x"))
        if (
            len(value) > spec.maximum
            or value.count("{code}") != 1
            or parts.scheme != "https"
            or not parts.hostname
            or parts.username
            or any(c.isspace() for c in value)
        ):
            raise ValidationError(
                _(
                    "Enter an https address with {code} in it, such as "
                    "https://meet.example.org/hrp-{code}, or leave it empty."
                )
            )
        return value
    if spec.kind == "int_map":
        values = {}
        for key, label, low, high in spec.keys:
            value = bounds.parse_int(
                raw.get(key) if isinstance(raw, dict) else None, minimum=bounds.PG_INT_MIN
            )
            if value is None:
                raise ValidationError(_("Enter a whole number for each."))
            if not low <= value <= high:
                # The label, not the key: "send_hour" means nothing to a clinic admin.
                raise ValidationError(
                    _("%(label)s: use a number from %(min)d to %(max)d.")
                    % {"label": label, "min": low, "max": high}
                )
            values[key] = value
        return values
    raise ValidationError(_("Unknown setting."))


def clear_cache() -> None:
    scope = _scope.get()
    if scope is not None:
        scope.values = None
    try:
        cache.delete(CACHE_KEY)
    except Exception as error:
        logger.warning("clinic settings cache not cleared: %s", type(error).__name__)


def store(values: dict[str, Any]) -> None:
    """Write-through after the database commit: every process reads the new values (this
    request or task at once, the others from their next start)."""
    scope = _scope.get()
    if scope is not None:
        scope.values = dict(values)
    _cache_set(values)
