"""How an audit action is shown: its label from AuditAction, never the stored code."""

from __future__ import annotations

from django import template

from hrp.audit.actions import action_label as _action_label

register = template.Library()


@register.filter
def action_label(value: str) -> str:
    return _action_label(value)
