"""The demo clinic's problem lists and coded sessions (billing/demo.py)."""

from __future__ import annotations

from billing.demo import PROBLEM_LISTS
from billing.models import Diagnosis, Encounter, Fee


def test_the_demo_has_problem_lists_fees_and_coded_sessions(demo_clinic) -> None:
    lists = {
        name: sorted(
            Diagnosis.objects.filter(client__legal_name=name).values_list("code", flat=True)
        )
        for name in PROBLEM_LISTS
    }
    assert lists == {name: sorted(codes) for name, codes in PROBLEM_LISTS.items()}
    encounters = Encounter.objects.filter(attendance__isnull=True).select_related(
        "appointment", "client"
    )
    assert encounters.exists()
    for encounter in encounters:
        assert encounter.client.legal_name in PROBLEM_LISTS
        assert encounter.appointment.status == "attended"
        assert encounter.diagnosis_codes == [PROBLEM_LISTS[encounter.client.legal_name][0]]
        assert (encounter.code, encounter.units) in {("90832", 1), ("90834", 1), ("90837", 1)}
    assert set(Fee.objects.values_list("code", flat=True)) >= {"90832", "90834", "90837"}


def test_the_demo_codes_the_group_meetings_members_attended(demo_clinic) -> None:
    group_encounters = list(
        Encounter.objects.filter(attendance__isnull=False).select_related(
            "attendance__meeting__group", "client"
        )
    )
    assert group_encounters
    for encounter in group_encounters:
        assert encounter.attendance.status == "attended"
        assert encounter.attendance.client_id == encounter.client_id
        assert (encounter.code, encounter.units, encounter.minutes) == ("90853", 1, 90)
        assert encounter.client.legal_name in PROBLEM_LISTS
        assert encounter.rendering.group_facilitations.filter(
            group=encounter.attendance.meeting.group
        ).exists()
    assert {"Drop-in harm reduction group", "Closed skills group (8 weeks)"} == {
        e.attendance.meeting.group.name for e in group_encounters
    }
