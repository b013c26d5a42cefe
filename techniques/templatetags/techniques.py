"""How a technique record is shown: its fields in the model's order with their labels."""

from __future__ import annotations

from typing import Any

from django import template

from techniques.kinds import KINDS, kind_of
from techniques.models import NoteTechnique

register = template.Library()


@register.filter
def technique_fields(record: NoteTechnique) -> list[tuple[str, Any]]:
    """(label, value) for each field, the text fields with the choice after the first (as the
    form asks them); a choice shows its label."""
    model = type(record)
    names = (*model.TEXT_FIELDS[:1], *model.CHOICE_FIELDS, *model.TEXT_FIELDS[1:])
    rows = []
    for name in names:
        field = model._meta.get_field(name)
        label = str(field.verbose_name)
        value = getattr(record, f"get_{name}_display")() if field.choices else getattr(record, name)
        rows.append((label[:1].upper() + label[1:], value))
    return rows


@register.filter
def technique_slug(record: NoteTechnique) -> str:
    return kind_of(type(record)).slug


@register.filter
def technique_kind(slug: str) -> Any:
    """The Kind of a slug (techniques.kinds.KINDS), for a template that holds only the key."""
    return KINDS.get(slug)
