"""The demo's supervision records: meetings for every demo supervisor and one chart comment
each; running it again adds nothing."""

from __future__ import annotations

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
