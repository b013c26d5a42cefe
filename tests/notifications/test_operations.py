"""Operations: compose runs workers and exactly one beat, beat schedules both reminder tasks
every minute, and the README tells how reminders run with and without Redis."""

from __future__ import annotations

import re
from pathlib import Path

from celery.schedules import crontab
from django.conf import settings

from hrp.celery import app as celery_app

PROJECT_DIR = Path(settings.BASE_DIR)


def _service(compose: str, name: str) -> str:
    """The text of one top-level service in docker-compose.yml (two-space indented keys)."""
    match = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", compose, re.MULTILINE)
    assert match, f"no service {name}"
    return match.group(1)


def test_compose_runs_a_worker_and_exactly_one_beat() -> None:
    compose = (PROJECT_DIR / "docker-compose.yml").read_text()

    worker = _service(compose, "worker")
    beat = _service(compose, "beat")

    assert 'command: ["celery", "-A", "hrp", "worker"' in worker
    assert 'command: ["celery", "-A", "hrp", "beat"' in beat
    assert "replicas: 1" in beat
    assert len(re.findall(r'"celery", "-A", "hrp", "beat"', compose)) == 1


def test_beat_plans_and_sends_every_minute() -> None:
    schedule = celery_app.conf.beat_schedule

    for name in ("reminders-plan", "reminders-send"):
        assert schedule[name]["schedule"] == crontab()
        # A beat tick a worker could not take within the minute is dropped, not piled up.
        assert schedule[name]["options"] == {"expires": 55}


def test_readme_explains_embedded_mode_and_scaling_out() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()

    assert "python manage.py run_reminders" in readme
    assert "--scale worker=" in readme
    assert "exactly **one** `beat`" in readme
