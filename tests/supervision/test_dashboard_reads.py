"""The supervisor's dashboard and a therapist's pages read the same rows however much history
lies behind what they show (docs/PERFORMANCE.md). Query counts are pinned elsewhere; these pin
the rows: with years of measures, harm assessments, signed notes and booked sessions added
behind the same clients, every page returns exactly as many rows as before, and shows the
same thing."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client as HttpClient
from django.urls import reverse

from assessments.chart import SPARK_POINTS
from clients.models import Client
from hrp.accounts.models import User
from sessions.models import SessionNote
from tests.htmltext import page_text
from tests.rows import add_history, postgres_only, rows_fetched
from tests.supervision.helpers import seed_every_column

ClientFor = Callable[[User | None], HttpClient]


def _rows_and_pages(
    http: HttpClient, urls: dict[str, str]
) -> tuple[dict[str, int], dict[str, bytes]]:
    rows, pages = {}, {}
    for name, url in urls.items():
        with rows_fetched() as read:
            response = http.get(url)
        assert response.status_code == 200, name
        rows[name] = read.rows
        pages[name] = response.content
    return rows, pages


@postgres_only
def test_the_rows_each_page_reads_do_not_grow_with_history(
    client_for: ClientFor, supervisor: User, therapist: User
) -> None:
    seeded = seed_every_column(therapist)
    clients = list(Client.objects.filter(therapist=therapist).order_by("pk"))
    # Enough history that every bounded read is full before more is added: the chart's
    # Overview draws the last SPARK_POINTS scores of each measure.
    for client in clients:
        add_history(client, years_back=1, count=SPARK_POINTS)
    signed = SessionNote.objects.filter(client=seeded.a, status=SessionNote.Status.SIGNED).first()
    assert signed is not None
    chart = seeded.a.pk
    therapist_urls = {
        "caseload": reverse("clients:caseload"),
        "chart overview": reverse("clients:chart", args=[chart]),
        "plan section": reverse("goals:section", args=[chart]),
        "notes list": reverse("sessions:my_notes"),
        "signed note": reverse("sessions:note", args=[chart, signed.pk]),
        "calendar": reverse("scheduling:week", args=[therapist.pk]),
    }
    supervisor_urls = {
        "dashboard": reverse("home:home"),
        "supervisee caseload": reverse("clients:supervisee_caseload", args=[therapist.pk]),
        "late notes": reverse("supervision:column", args=[therapist.pk, "late-notes"]),
    }
    as_therapist, as_supervisor = client_for(therapist), client_for(supervisor)
    as_therapist.get(therapist_urls["caseload"])  # settles each session's last-seen stamp
    as_supervisor.get(supervisor_urls["dashboard"])
    before = (
        _rows_and_pages(as_therapist, therapist_urls),
        _rows_and_pages(as_supervisor, supervisor_urls),
    )

    for client in clients:
        add_history(client, years_back=2, count=3)
    after = (
        _rows_and_pages(as_therapist, therapist_urls),
        _rows_and_pages(as_supervisor, supervisor_urls),
    )

    assert [rows for rows, _pages in after] == [rows for rows, _pages in before]
    # What the pages show did not change either (the CSRF token differs: compare the words).
    assert [_visible(pages) for _rows, pages in after] == [
        _visible(pages) for _rows, pages in before
    ]


def _visible(pages: dict[str, bytes]) -> dict[str, str]:
    return {name: page_text(page) for name, page in pages.items()}
