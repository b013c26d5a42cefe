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
    encounters = Encounter.objects.select_related("appointment", "client")
    assert encounters.exists()
    for encounter in encounters:
        assert encounter.client.legal_name in PROBLEM_LISTS
        assert encounter.appointment.status == "attended"
        assert encounter.diagnosis_codes == [PROBLEM_LISTS[encounter.client.legal_name][0]]
        assert (encounter.code, encounter.units) in {("90832", 1), ("90834", 1), ("90837", 1)}
    assert set(Fee.objects.values_list("code", flat=True)) >= {"90832", "90834", "90837"}
