"""Celery application. Tasks live in each app's tasks.py and are found by autodiscovery.

With REDIS_URL unset (the embedded default) settings make every task run eagerly in-process, so
`make run` needs no broker and no worker.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrp.settings")

app = Celery("hrp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# hrp.core is a sub-app; autodiscovery finds hrp.core.tasks through INSTALLED_APPS.

# The beat schedule lives in code so that it is reviewed like code. Run exactly one beat.
app.conf.beat_schedule = {
    "worker-heartbeat": {
        "task": "hrp.core.tasks.heartbeat",
        "schedule": crontab(),  # every minute
        "options": {"expires": 55},
    },
}
