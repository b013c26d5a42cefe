"""Requests at the same moment, each on its own thread and so its own database connection
(tests using these need `django_db(transaction=True)`: the threads see only committed rows)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test import Client as HttpClient

from hrp.accounts.models import User
from tests.conftest import sign_in


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together by a barrier; their results in
    order. Each thread closes its connections, so the test database can be flushed after."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def web_for(user: User) -> HttpClient:
    """A signed-in test client that answers a 500 with its status instead of raising, so a
    race test counts the 500s it would otherwise stop at."""
    return sign_in(HttpClient(raise_request_exception=False), user)
