"""The demo clinic's risk flags come out of its measures, harm assessments and notes (through
the services), with older ones followed up and resolved: every state is there to look at."""

from __future__ import annotations

from django.db.models import Count

from risk.demo import seed_demo_risk
from risk.models import RiskFlag
from tests.conftest import DemoClinic


def test_the_demo_has_open_acute_followed_up_and_resolved_flags(demo_clinic: DemoClinic) -> None:
    flags = RiskFlag.objects.all()
    assert flags.filter(state="open", level="acute").exists()
    assert flags.filter(state="followed_up", source_key="assessments.phq9").count() == 1
    assert flags.filter(state="resolved").exists()
    assert set(flags.values_list("source_key", flat=True)) == {
        "assessments.phq9",
        "assessments.harm",
        "sessions.note",
        "safety.tolerance",  # Marcus: a period of lower tolerance open today
        "sessions.contact",  # Marcus's crisis call recorded overdose risk
    }
    # At most one unresolved flag of each kind per client: the older ones were resolved.
    per_client_and_kind = (
        flags.filter(state__in=RiskFlag.UNRESOLVED)
        .values("client_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert set(per_client_and_kind) == {1}
    # Every resolved flag went through a follow-up first.
    assert not flags.filter(state="resolved", follow_ups__isnull=True).exists()
    assert "Earlier risk flags followed up and resolved: " in demo_clinic.output


def test_seeding_again_changes_nothing(demo_clinic: DemoClinic) -> None:
    before = list(RiskFlag.objects.order_by("pk").values_list("pk", "state"))
    clients = list({flag.client for flag in RiskFlag.objects.select_related("client")})

    assert seed_demo_risk(clients=clients) == 0

    assert list(RiskFlag.objects.order_by("pk").values_list("pk", "state")) == before
