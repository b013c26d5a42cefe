from django import template

from clients.models import Client
from sessions import selectors
from sessions.models import Appointment

register = template.Library()


@register.filter
def next_appointment(client: Client) -> Appointment | None:
    return selectors.next_appointment(client)


@register.filter
def last_contact(client: Client) -> selectors.LastContact | None:
    return selectors.last_contact(client)
