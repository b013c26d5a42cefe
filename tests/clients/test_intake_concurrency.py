"""Intake under concurrency: a double click of "Complete intake" completes it once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.concurrency import run_at_once, web_for


@pytest.mark.django_db(transaction=True)
def test_completing_an_intake_four_times_at_once(therapist: User) -> None:
    client = ClientFactory(therapist=therapist, status="intake", intake__completed_at=None)
    review = reverse("clients:intake_step", kwargs={"pk": client.pk, "step": "review"})
    webs = [web_for(therapist) for _ in range(4)]

    statuses = run_at_once([(lambda w=w: w.post(review).status_code) for w in webs])

    assert statuses == [302, 302, 302, 302]
    assert Client.objects.get(pk=client.pk).status == Client.Status.ACTIVE
    assert AuditEvent.objects.filter(action="intake.complete").count() == 1
