from __future__ import annotations

import pytest

from tests.robustness.test_every_route import CASES_PER_ROUTE, TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figure the robustness suite stands for: routes x roles x cases, and what it sent."""
    if not TALLY.items:
        return
    terminalreporter.write_line(
        f"robustness: {len(TALLY.routes)} routes x {len(TALLY.roles)} roles x "
        f"{CASES_PER_ROUTE} cases x GET+POST = {TALLY.requests} generated requests in "
        f"{TALLY.seconds:.1f}s (+{TALLY.crawl_requests} crawl requests in "
        f"{TALLY.crawl_seconds:.1f}s); {TALLY.refused_posts} refused submissions checked for "
        f"stored rows, {TALLY.forms_checked} typed values checked on re-rendered forms, "
        f"{TALLY.second_submissions} accepted submissions sent twice; "
        f"{TALLY.cpu_seconds:.1f} CPU seconds (test process + database backend)"
    )
