"""The embedded default (SQLite, no DATABASE_URL) under requests at the same moment: intake
autosaves racing "Save and continue", and note autosaves, never fail with "database is locked".
The app runs in a subprocess on a temporary SQLite file (tests.core.sqlite_race)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_parallel_saves_on_sqlite_never_fail(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.core.sqlite_settings",
        SQLITE_PATH=str(tmp_path / "clinic.sqlite3"),
        SECRET_KEY="embedded-test",
        ALLOWED_HOSTS="testserver",
    )
    finished = subprocess.run(
        [sys.executable, "-m", "tests.core.sqlite_race"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    print(result)

    assert result["journal_mode"] == "wal"
    assert result["errors"] == []
    counts = result["counts"]
    # Seven tries of two autosaves and two submits of the intake step, two note autosaves.
    assert counts.get("intake autosave 200", 0) == 14
    assert counts.get("intake submit 302", 0) == 14
    # Both note autosaves of a try start from version 1: the first of all lands, the rest
    # are conflicts shown on the page, not errors.
    assert counts.get("note autosave 200", 0) + counts.get("note autosave 409", 0) == 14
