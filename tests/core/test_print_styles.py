"""The print stylesheet: linked for print only on every page, from our own static files, with
the rules a printed chart page relies on. (tests/e2e/test_layout.py prints a chart page in
Chromium and checks what shows.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from lxml import html

from clients.models import Client
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist)


PRINT_CSS = Path(settings.BASE_DIR) / "static" / "hrp" / "print.css"


def rules() -> str:
    """print.css without its comments, whitespace collapsed."""
    text = re.sub(r"/\*.*?\*/", "", PRINT_CSS.read_text(), flags=re.S)
    return " ".join(text.split())


def test_every_page_links_the_print_stylesheet_for_print_only(
    client_for: Callable[[User | None], HttpClient], therapist: User, record: Client
) -> None:
    for url in (reverse("clients:chart", args=[record.pk]), reverse("accounts:login")):
        web = client_for(therapist) if url != reverse("accounts:login") else client_for(None)
        tree = html.fromstring(web.get(url).content)
        links = tree.xpath('//link[@rel="stylesheet"][contains(@href, "print.css")]')
        assert [(link.get("href"), link.get("media")) for link in links] == [
            ("/static/hrp/print.css", "print")
        ], url


def test_the_print_rules_hide_what_cannot_be_clicked_and_keep_rows_whole() -> None:
    css = rules()
    hidden = css.split("{ display: none !important; }")[0]
    for selector in ("body > header", "body > footer", ".chart-tabs", "nav", "form", ".btn"):
        assert f"{selector}," in hidden or hidden.endswith(selector), selector
    assert ".print-header { display: block !important;" in css
    assert "tr, li, .card, .alert, figure, .chart-header { break-inside: avoid;" in css
    assert "thead { display: table-header-group; }" in css
    assert "@page { margin: 15mm 12mm; }" in css


def test_a_chart_page_carries_its_print_header(
    client_for: Callable[[User | None], HttpClient], therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", args=[record.pk]))
    header = html.fromstring(response.content).xpath('//div[@class="print-header"]')[0]
    lines = [" ".join(p.text_content().split()) for p in header.xpath("./p")]
    assert lines[0] == f"{record.display_name} · {record.chart_number} · HRP Clinic"
    assert lines[1].startswith("Printed ")
    assert header.get("aria-hidden") == "true"
