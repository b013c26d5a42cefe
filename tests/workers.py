"""Starting real Celery worker processes for tests that need one (and the summaries benchmark):
the command line, and the test database's URL for the worker's environment."""

from __future__ import annotations

import sys
from pathlib import Path

from django.db import connection

# The celery script of the environment running the tests (not a .venv assumed inside the
# checkout, which a git worktree or a CI image may not have).
CELERY = Path(sys.executable).parent / "celery"


def worker_command(queue: str, *, name: str = "", pool: str = "solo") -> list[str]:
    """A worker consuming only `queue` (each test has its own, so no other worker on the same
    Redis takes its tasks), without the cluster chatter a single test worker does not need."""
    command = [str(CELERY), "-A", "hrp", "worker", "-Q", queue]
    if name:
        command += ["-n", name]
    return [
        *command,
        f"--pool={pool}",
        "-c",
        "1",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
    ]


def database_url() -> str:
    """The database this process uses (in tests, test_<name>), for a worker's DATABASE_URL."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
