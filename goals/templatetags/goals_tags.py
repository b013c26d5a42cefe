from django import template

from clients.models import Client
from goals import selectors
from goals.models import Goal

register = template.Library()


@register.filter
def open_goals(client: Client) -> list[Goal]:
    """The client's active goals, from the records prefetched for the page."""
    return selectors.open_goals(client)


@register.filter
def reviews_due(client: Client) -> list[Goal]:
    return selectors.reviews_due(client)
