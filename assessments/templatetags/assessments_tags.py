from django import template

from assessments import selectors
from assessments.models import Administration
from clients.models import Client

register = template.Library()


@register.filter
def latest_measures(client: Client) -> list[Administration]:
    """Latest score per caseload measure, from the records prefetched for the page."""
    return selectors.latest_for_caseload(client)
