"""The clinic admin's Clinic settings page: every clinic setting, validated and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hrp import access, clinic
from hrp.core import services


def _rows(submitted: dict[str, Any] | None, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for spec in clinic.specs():
        current = clinic.clinic_setting(spec.name)
        value = submitted.get(spec.name, current) if submitted is not None else current
        row: dict[str, Any] = {
            "spec": spec,
            "value": value,
            "default": clinic.default(spec.name),
            "errors": errors.get(spec.name, []),
        }
        if spec.kind == "int_map":
            row["items"] = [
                (key, label, low, high, (value or {}).get(key, ""))
                for key, label, low, high in spec.keys
            ]
        rows.append(row)
    return rows


def _submitted(request: HttpRequest) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for spec in clinic.specs():
        if spec.kind == "int_map":
            raw[spec.name] = {
                key: request.POST.get(f"{spec.name}__{key}", "").strip()
                for key, *_rest in spec.keys
            }
        else:
            raw[spec.name] = request.POST.get(spec.name, "").strip()
    return raw


def clinic_settings(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "accounts.manage_staff")
    errors: dict[str, list[str]] = {}
    submitted = None
    if request.method == "POST":
        submitted = _submitted(request)
        try:
            changes = services.clinic_settings_save(actor=request.user, raw=submitted)
        except ValidationError as error:
            errors = error.message_dict
            messages.error(request, _("Nothing was saved: please correct the marked settings."))
        else:
            messages.success(
                request,
                ngettext("Saved %(n)d change.", "Saved %(n)d changes.", len(changes))
                % {"n": len(changes)}
                if changes
                else _("Nothing had changed."),
            )
            return redirect("core:clinic_settings")
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(submitted, errors):
        groups.setdefault(str(row["spec"].group), []).append(row)
    context = {"groups": groups, "nav": "clinic_settings"}
    return render(request, "core/clinic_settings.html", context, status=400 if errors else 200)
