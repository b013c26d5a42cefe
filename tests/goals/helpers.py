"""Reading goal pages as a person (or a browser) sees them: what each form field holds, the
cells of each table, and the chart's data."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from tests.htmltext import form_values, parse, table

__all__ = ["chart_data", "form_values", "table"]


def chart_data(response: HttpResponse) -> Any:
    """The progress chart's data, from its `json_script`; None when the page has no chart."""
    found = parse(response).xpath('//script[@id="progress-data"]')
    return json.loads(found[0].text) if found else None
