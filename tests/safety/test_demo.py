"""The demo clinic's safety records, coherent with the demo clients' words: Marcus (released from
jail three months ago, "my tolerance is gone") has a period of lower tolerance open today after
a hospital stay and an overdose prevention plan; Leah (whose PHQ-9 had a suicide-risk answer
followed up with a safety plan) has a safety plan."""

from __future__ import annotations

from django.utils import timezone

from clients.models import Client
from safety import selectors
from safety.models import OverdosePlanVersion, SafetyPlanVersion, ToleranceWindow
from tests.conftest import DemoClinic


def test_marcus_has_a_period_of_lower_tolerance_open_today(demo_clinic: DemoClinic) -> None:
    marcus = Client.objects.get(legal_name="Marcus Bell")
    today = timezone.localdate()

    windows = list(ToleranceWindow.objects.filter(client=marcus).order_by("start_date"))
    open_now = selectors.open_window_for(marcus)

    assert [w.reason for w in windows] == ["release", "hospital"]
    assert [w.is_open(today) for w in windows] == [False, True]
    assert open_now == windows[1]
    assert (today - open_now.start_date).days == 10
    assert list(
        OverdosePlanVersion.objects.filter(plan__client=marcus).values_list("number", flat=True)
    ) == [2, 1]
    assert "Demo clients given safety records: 2" in demo_clinic.output


def test_leah_has_a_safety_plan_in_two_versions(demo_clinic: DemoClinic) -> None:
    leah = Client.objects.get(legal_name="Aaliyah Johnson")

    versions = list(SafetyPlanVersion.objects.filter(plan__client=leah).order_by("number"))

    assert [v.number for v in versions] == [1, 2]
    assert versions[1].people_to_ask == "My cousin Tasha. My friend Ray from work (he knows)."
    assert versions[1].crisis_lines == "988 Suicide & Crisis Lifeline: call or text 988, any time"
