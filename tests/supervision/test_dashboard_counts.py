"""The dashboard counts its numbers in SQL (supervision.selectors.dashboard) while each column
page lists the records behind one number (supervision.selectors.boards): the two must agree,
including on the cases a count in SQL gets wrong most easily: a correction of the latest
score, two scores at the same minute, a later harm assessment without overdose risk, a
client on hold, a discharged client, another supervisor's supervisee."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from supervision import selectors
from tests.assessments.factories import AdministrationFactory
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, TherapistFactory
from tests.rows import postgres_only, rows_fetched
from tests.supervision.helpers import seed_every_column


def _edge_cases(therapist: User) -> None:
    long_ago = timezone.now() - datetime.timedelta(days=400)
    old = long_ago + datetime.timedelta(days=1)
    # AUDIT 22 corrected to 10 at the same time: no flag, and the measure is overdue once.
    flagged = ClientFactory(therapist=therapist, preferred_name="Corrected", created_at=long_ago)
    wrong = AdministrationFactory(
        client=flagged, measure_code="AUDIT", raw_total=22, administered_at=old
    )
    AdministrationFactory(
        client=flagged,
        measure_code="AUDIT",
        raw_total=10,
        administered_at=old,
        corrects=wrong,
        correction_reason="Entered on the wrong line.",
    )
    # Two DAST-10 at the same minute: the later one (by id) is the latest, and it flags.
    tied = ClientFactory(therapist=therapist, preferred_name="Tied", created_at=long_ago)
    AdministrationFactory(client=tied, measure_code="DAST10", raw_total=2, administered_at=old)
    AdministrationFactory(client=tied, measure_code="DAST10", raw_total=7, administered_at=old)
    # Using alone, with no opioid or other depressant among the client's substances: no flag.
    safer = ClientFactory(therapist=therapist, preferred_name="Safer", created_at=long_ago)
    HarmAssessmentFactory(
        client=safer, uses_alone=True, assessed_on=timezone.localdate() - datetime.timedelta(9)
    )
    HarmAssessmentFactory(client=safer, assessed_on=timezone.localdate())
    # On hold with an old WHO-5 and a DAST-10 flag: risk counts, measures do not.
    paused = ClientFactory(therapist=therapist, status=Client.Status.ON_HOLD)
    AdministrationFactory(client=paused, measure_code="WHO5", raw_total=10, administered_at=old)
    AdministrationFactory(client=paused, measure_code="DAST10", raw_total=8, administered_at=old)
    # Recent measures: not overdue.
    AdministrationFactory(client=safer, measure_code="GAD7", raw_total=3)


def test_every_number_is_the_length_of_the_list_behind_it(
    supervisor: User, therapist: User, other_therapist: User
) -> None:
    second = TherapistFactory(full_name="Ravi Second")
    SupervisionFactory(supervisor=supervisor, supervisee=second)
    for person in (therapist, second, other_therapist):
        seed_every_column(person)
    _edge_cases(therapist)
    _edge_cases(other_therapist)  # another supervisor's supervisee: not counted here

    tallies = selectors.dashboard(supervisor=supervisor)

    listed = {
        board.therapist: board.counts()
        for board in selectors.boards(supervisor=supervisor, therapists=[therapist, second])
    }
    assert {tally.therapist: tally.counts() for tally in tallies} == listed
    # The edge cases changed numbers: two more with a screening result at threshold (Tied,
    # the paused client), none more at risk (a screening result is not risk), two more
    # overdue measures (Corrected's AUDIT, Tied's DAST-10).
    counted = {tally.therapist: tally.counts() for tally in tallies}
    assert counted[therapist]["screening"] == counted[second]["screening"] + 2
    assert counted[therapist]["risk"] == counted[second]["risk"]
    assert counted[therapist]["measures_overdue"] == counted[second]["measures_overdue"] + 2
    assert [tally.therapist for tally in tallies] == [therapist, second]


@postgres_only
def test_the_rows_read_do_not_grow_with_clients(supervisor: User, therapist: User) -> None:
    """One row per supervisee per query, however many clients they hold."""
    seed_every_column(therapist)
    with rows_fetched() as small:
        selectors.dashboard(supervisor=supervisor)
    for _ in range(8):
        _edge_cases(therapist)
    with rows_fetched() as large:
        tallies = selectors.dashboard(supervisor=supervisor)

    assert (large.queries, large.rows) == (small.queries, small.rows) == (2, 2)
    assert tallies[0].counts()["caseload"] == small_caseload(therapist)


def small_caseload(therapist: User) -> int:
    return Client.objects.filter(therapist=therapist, status=Client.Status.ACTIVE).count()
