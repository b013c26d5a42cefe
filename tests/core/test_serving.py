"""The web server's settings (gunicorn.conf.py): threaded workers, and a statement timeout that
PostgreSQL enforces for the web processes only, shorter than gunicorn's own worker timeout."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CONFIG = Path(settings.BASE_DIR) / "gunicorn.conf.py"
SHOW = [
    sys.executable,
    "-c",
    "import django; django.setup(); from django.db import connection; "
    "c = connection.cursor(); c.execute('SHOW statement_timeout'); print(c.fetchone()[0])",
]


def test_gunicorn_config_cuts_slow_queries_before_it_kills_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("GUNICORN_WORKER_CLASS", "GUNICORN_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(CONFIG))
    assert config["worker_class"] == "gthread"
    assert config["threads"] > 1
    statement_ms = int(os.environ["DATABASE_STATEMENT_TIMEOUT"])
    assert 0 < statement_ms < config["timeout"] * 1000


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="the timeout is a PostgreSQL setting"
)
@pytest.mark.parametrize(("value", "shown"), [("1500", "1500ms"), (None, "0")])
def test_statement_timeout_reaches_postgresql(value: str | None, shown: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hrp.settings", "SECRET_KEY": "x" * 50}
    # Any database will do for SHOW: the server's own, which always exists.
    env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/postgres").geturl()
    env.pop("DATABASE_STATEMENT_TIMEOUT", None)
    if value is not None:
        env["DATABASE_STATEMENT_TIMEOUT"] = value
    result = subprocess.run(
        SHOW, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == shown
