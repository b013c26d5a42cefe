"""A summary already prepared (done, with its PDF and page, each with its hash), built
directly: for tests about what is stored, not about preparing it (test_services.py does that
with a real PDF)."""

from __future__ import annotations

import datetime
import hashlib

import factory

from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class DoneSummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SummaryRequest

    client = factory.SubFactory(ClientFactory)
    requested_by = factory.SelfAttribute("client.therapist")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 1, 31)
    status = SummaryRequest.Status.DONE
    progress = 100
    pdf = PDF
    html = factory.LazyAttribute(lambda s: f"<h1>Progress summary · {s.client.chart_number}</h1>")
    content_hash = factory.LazyAttribute(lambda s: hashlib.sha256(s.html.encode()).hexdigest())
    pdf_hash = factory.LazyAttribute(lambda s: hashlib.sha256(s.pdf).hexdigest())
