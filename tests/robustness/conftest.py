from __future__ import annotations

import pytest

from tests.conftest import SUMMARY_LINES_KEY
from tests.robustness.test_every_route import CASES_PER_ROUTE, TALLY


def _summary() -> str | None:
    """The figure the robustness suite stands for: routes x roles x cases, and what it sent."""
    if not TALLY.items:
        return None
    return (
        f"robustness: {len(TALLY.routes)} routes x {len(TALLY.roles)} roles x "
        f"{CASES_PER_ROUTE} cases x GET+POST = {TALLY.requests} generated requests in "
        f"{TALLY.seconds:.1f}s (+{TALLY.crawl_requests} crawl requests in "
        f"{TALLY.crawl_seconds:.1f}s); {TALLY.refused_posts} refused submissions checked for "
        f"stored rows, {TALLY.forms_checked} typed values checked on re-rendered forms, "
        f"{TALLY.second_submissions} accepted submissions sent twice; "
        f"{TALLY.cpu_seconds:.1f} CPU seconds (test process + database backend)"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if line := _summary():
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist a test process prints nothing: the line goes to the controlling
    # process, which prints it (tests/conftest.py).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and (line := _summary()):
        workeroutput.setdefault(SUMMARY_LINES_KEY, []).append(line)
