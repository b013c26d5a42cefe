"""Celery application. Tasks live in each app's tasks.py and are found by autodiscovery.

With REDIS_URL unset (the embedded default) settings make every task run eagerly in-process, so
`make run` needs no broker and no worker.
"""

import os

from celery import Celery, signals
from celery.schedules import crontab

# Imports no models, so it is safe before Django is set up.
from django.utils import timezone

from hrp import clinic
from hrp.audit import context as audit_context
from hrp.core.middleware import activate_clinic_time_zone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrp.settings")

app = Celery("hrp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


_settings_tokens: dict[str, object] = {}


# Connected first, so that every task_prerun handler below reads the settings inside it.
@signals.task_prerun.connect
def _clinic_settings_scope(task_id: str = "", **kwargs: object) -> None:
    # A task reads the clinic settings from the cache once, however many rows it handles.
    _settings_tokens[task_id] = clinic.enter_scope()


@signals.task_postrun.connect
def _clinic_settings_scope_end(task_id: str = "", **kwargs: object) -> None:
    token = _settings_tokens.pop(task_id, None)
    if token is not None:
        clinic.leave_scope(token)  # type: ignore[arg-type]


_zones_before: list[object] = []


@signals.task_prerun.connect
def _clinic_time_zone(**kwargs: object) -> None:
    # Tasks compute local dates (due reviews, late notes) in the clinic's zone, as pages do.
    _zones_before.append(timezone.get_current_timezone())
    activate_clinic_time_zone()


@signals.task_postrun.connect
def _previous_time_zone(**kwargs: object) -> None:
    # In-process (eager) tasks share the caller's thread: give it back its time zone.
    if _zones_before:
        timezone.activate(_zones_before.pop())


_audit_tokens: dict[str, object] = {}


@signals.task_prerun.connect
def _audit_origin(task_id: str = "", task: object = None, **kwargs: object) -> None:
    # The task runner's way into the audit context: events a task writes carry its name (never
    # its arguments, which may identify a client) and no address.
    _audit_tokens[task_id] = audit_context.enter(path=f"task:{getattr(task, 'name', '')}")


@signals.task_postrun.connect
def _audit_origin_end(task_id: str = "", **kwargs: object) -> None:
    token = _audit_tokens.pop(task_id, None)
    if token is not None:
        audit_context.leave(token)  # type: ignore[arg-type]


# hrp.core is a sub-app; autodiscovery finds hrp.core.tasks through INSTALLED_APPS.

# The beat schedule lives in code so that it is reviewed like code. Run exactly one beat.
app.conf.beat_schedule = {
    "worker-heartbeat": {
        "task": "hrp.core.tasks.heartbeat",
        "schedule": crontab(),  # every minute
        "options": {"expires": 55},
    },
    # Reminders: plan future rows from the clinical data, then send those that are due. Both
    # are idempotent (unique keys, row locks), so a second beat by mistake sends nothing twice.
    "reminders-plan": {
        "task": "notifications.tasks.plan_reminders",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    "reminders-send": {
        "task": "notifications.tasks.send_due_reminders",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    # Client links sent by a schedule (selfreport): rows with their next time, claimed with
    # SKIP LOCKED and moved on in the transaction that sends, so nothing is sent twice.
    "selfreport-scheduled-links": {
        "task": "selfreport.tasks.send_scheduled_links",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    # Summaries: re-enqueue requests that never reached a worker (Redis was down), and build
    # a monthly summary for every active client on the first of the month.
    "summaries-requeue": {
        "task": "summaries.tasks.requeue_stale",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    "summaries-monthly": {
        "task": "summaries.tasks.monthly_summaries",
        "schedule": crontab(day_of_month="1", hour="3", minute="0"),
    },
}
