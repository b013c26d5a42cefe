"""The demo's supervision records: meetings for every demo supervisor and one chart comment
each; running it again adds nothing."""

from __future__ import annotations

import datetime

from django.utils import timezone

from hrp.accounts.demo import seed_demo_staff
from supervision.demo import seed_demo_supervision
from supervision.models import ChartComment, SupervisionMeeting
from tests.clients.factories import ClientFactory


def test_seed_demo_supervision(db: None) -> None:
    rows = seed_demo_staff()
    for _spec, user, _secret in rows:
        if user.is_therapist and not user.is_supervisor:
            ClientFactory(therapist=user)
    supervisors = sorted(user.email for _s, user, _x in rows if user.is_supervisor)

    assert seed_demo_supervision() == 2
    assert seed_demo_supervision() == 0

    # Two supervisees each, two meetings with each; one comment each.
    per_supervisor = {
        email: SupervisionMeeting.objects.filter(supervisor__email=email).count()
        for email in supervisors
    }
    assert per_supervisor == {email: 4 for email in supervisors}
    assert sorted(ChartComment.objects.values_list("author__email", flat=True)) == supervisors
    assert all(m.clients.count() == 1 for m in SupervisionMeeting.objects.all())


def test_the_demo_reviews_fidelity_weekly_and_notes_countertransference(db: None) -> None:
    from supervision.demo import FIDELITY_WEEKS
    from supervision.models import FidelityReview
    from tests.supervision.helpers import attended, signed_note

    rows = seed_demo_staff()
    from hrp.accounts.models import Supervision

    supervised = set(Supervision.objects.current().values_list("supervisee_id", flat=True))
    trainees = [u for _s, u, _x in rows if u.pk in supervised]
    now = timezone.now()
    for trainee in trainees:
        client = ClientFactory(therapist=trainee)
        # Eight weeks of signed notes, two in the latest week: one review a week, six weeks.
        for days_ago in (1, 3, *range(8, 57, 7)):
            signed_note(attended(client, now - datetime.timedelta(days=days_ago)))

    seed_demo_supervision()

    for trainee in trainees:
        reviews = list(FidelityReview.objects.filter(therapist=trainee).order_by("session_on"))
        weeks = {r.session_on.isocalendar()[:2] for r in reviews}
        assert len(reviews) == len(weeks) == FIDELITY_WEEKS
        assert [r.ratings["ambivalence"] for r in reviews] == [0, 0, 1, 1, 2, 2]
    assert all(m.countertransference for m in SupervisionMeeting.objects.all())
