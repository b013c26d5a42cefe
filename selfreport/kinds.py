"""The kinds of link a therapist may send a client, declared once: for each, its label, what it
needs before it is sent, the client's page (template and form), how an answer lands in the
chart through the owning app's own service, what it produced (its key on ClientLink) and how
the links page names it. services.py (send, submit) and views.py (the client's page, the
links page) read `KINDS` and nothing else; a new kind is a class here, its line in
models._KIND_RULES and a migration.

Every kind shares what services.py does for a link: a hashed single-use token, expiry,
withdrawal, throttling, audited open and submit, the neutral message by the client's reminder
channel under their agreement, and "New from the client" on the caseload until seen.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments import services as assessment_services
from assessments.measures import MEASURES
from assessments.models import Administration
from clients.models import Client, SubstanceUse
from goals import limits as plan_limits
from goals.models import PlanVersion
from hrp import formats
from hrp.clinic import clinic_setting
from selfreport import report_services
from selfreport.forms import (
    SAFER_USE_STEPS,
    PracticeLogForm,
    SessionRatingForm,
    UseDiaryForm,
)
from selfreport.models import ClientLink, PracticeLog
from sessions import services as session_services
from sessions.models import Appointment
from sessions.vocab import RATING_ITEMS

# Measures with an official Spanish wording kept as data. None yet: we could not obtain the
# exact official Spanish text of any of them with certainty, and a validated instrument is
# never translated by us. A Spanish-language link shows the page in Spanish and the questions
# in English, and says so.
SPANISH_WORDING: dict[str, object] = {}


class Tampered(Exception):
    """The form holds fields or answers no page of ours offers (400, nothing stored)."""


@dataclass(frozen=True)
class Summary:
    """How the links page names what an answered link produced."""

    text: str
    url: str = ""


class LinkKind:
    key: ClassVar[str]
    label: ClassVar[Any]  # a lazy translation
    template: ClassVar[str]  # the client's page
    result_field: ClassVar[str]  # its key on ClientLink

    def prepare(
        self,
        *,
        client: Client,
        measure_code: str,
        appointment: Appointment | None,
        week: datetime.date | None,
    ) -> dict[str, Any]:
        """The link's own fields for this kind, or ValidationError (nothing sent)."""
        return {}

    def page_context(
        self, link: ClientLink, data: Mapping[str, str] | None, error: ValidationError | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def record(self, *, link: ClientLink, data: Mapping[str, Any]) -> Any:
        """Store the answer through the owning app's service in the name of the clinician who
        sent the link; ValidationError (nothing stored) or Tampered. Runs inside
        services.link_submit's transaction, the link row locked."""
        raise NotImplementedError

    def thanks_context(self, link: ClientLink, result: Any) -> dict[str, Any]:
        return {}

    def summary(self, link: ClientLink) -> Summary:
        raise NotImplementedError


def _errors(error: ValidationError | None) -> dict[str, list[str]]:
    return dict(error.message_dict) if error is not None and hasattr(error, "error_dict") else {}


def _crisis_lines() -> str:
    return str(clinic_setting("SAFETY_CRISIS_LINES"))


class MeasureKind(LinkKind):
    """A standard measure (assessments), scored, banded and flagged like one given in session;
    PHQ-9 question 9 above 0 opens the risk path (services.link_submit)."""

    key = "measure"
    label = ClientLink.Kind.MEASURE.label
    template = "selfreport/answer.html"
    result_field = "administration"

    def prepare(self, *, client: Client, measure_code: str, **_kw: Any) -> dict[str, Any]:
        if measure_code not in MEASURES:
            raise ValidationError({"measure_code": _("Choose one of the listed measures.")})
        return {"measure_code": measure_code}

    def page_context(
        self, link: ClientLink, data: Mapping[str, str] | None, error: ValidationError | None
    ) -> dict[str, Any]:
        measure = MEASURES[link.measure_code]
        answers = {key: (data or {}).get(key, "") for key in measure.item_keys}
        errors = {key: [_("Please answer this question.")] for key in _errors(error)}
        rows = [
            {
                "number": number,
                "item": item,
                "answer": answers.get(item.key, ""),
                "errors": errors.get(item.key, []),
            }
            for number, item in enumerate(measure.items, start=1)
        ]
        return {
            "measure": measure,
            "rows": rows,
            "errors": errors,
            "missing_count": len(errors),
            "english_only": link.language != "en" and link.measure_code not in SPANISH_WORDING,
        }

    def record(self, *, link: ClientLink, data: Mapping[str, Any]) -> Administration:
        measure = MEASURES[link.measure_code]
        if set(data) - {"csrfmiddlewaretoken"} - set(measure.item_keys):
            raise Tampered(_("This form holds questions it should not."))
        try:
            return assessment_services.administration_record(
                actor=link.created_by,
                client=link.client,
                measure_code=link.measure_code,
                answers={k: v for k in measure.item_keys if (v := data.get(k, ""))},
                source=Administration.Source.CLIENT,
            )
        except assessment_services.TamperedSubmission:
            raise Tampered(_("This form holds answers it should not.")) from None

    def thanks_context(self, link: ClientLink, result: Administration) -> dict[str, Any]:
        return {"crisis_lines": _crisis_lines() if result.suicide_risk else ""}

    def summary(self, link: ClientLink) -> Summary:
        return Summary(
            text=_("%(measure)s: score %(score)s")
            % {"measure": link.get_measure_code_display(), "score": link.administration.score},
            url=reverse(
                "assessments:administration", args=[link.client_id, link.administration_id]
            ),
        )


class SessionRatingKind(LinkKind):
    """The client rates an attended session on their phone, the same four items 0-10 as in
    session; stored as sessions.ClientSessionRating (the note may be signed), read by the
    ratings chart and the alert rule like an in-session rating."""

    key = "session_rating"
    label = ClientLink.Kind.SESSION_RATING.label
    template = "selfreport/session_rating.html"
    result_field = "session_rating"

    def prepare(
        self, *, client: Client, appointment: Appointment | None, **_kw: Any
    ) -> dict[str, Any]:
        if (
            appointment is None
            or appointment.client_id != client.pk
            or appointment.status != Appointment.Status.ATTENDED
        ):
            raise ValidationError(
                {"appointment": _("Choose one of this client's attended sessions.")}
            )
        return {"appointment": appointment}

    def _form(self, data: Mapping[str, str] | None) -> SessionRatingForm:
        return SessionRatingForm(data, items=RATING_ITEMS)

    def page_context(
        self, link: ClientLink, data: Mapping[str, str] | None, error: ValidationError | None
    ) -> dict[str, Any]:
        form = self._form(data)
        if data is not None:
            form.is_valid()
        return {
            "form": form,
            "session_date": formats.weekday_date(link.appointment.starts_at),
            "scale_values": [str(n) for n in range(11)],
        }

    def record(self, *, link: ClientLink, data: Mapping[str, Any]) -> Any:
        if link.appointment.status != Appointment.Status.ATTENDED:
            # The attendance was corrected since the link was sent: nothing left to rate, so
            # the link no longer works (services.link_submit: "withdrawn").
            raise PermissionDenied
        if set(data) - {"csrfmiddlewaretoken"} - {key for key, _label in RATING_ITEMS}:
            raise Tampered(_("This form holds questions it should not."))
        form = self._form(data)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return session_services.client_rating_record(
            actor=link.created_by, appointment=link.appointment, ratings=form.cleaned_data
        )

    def summary(self, link: ClientLink) -> Summary:
        return Summary(
            text=_("Session of %(date)s rated %(total)s of 40")
            % {
                "date": formats.date(link.appointment.starts_at),
                "total": link.session_rating.rating_total,
            },
            url=reverse("sessions:section", args=[link.client_id]),
        )


def last_week(today: datetime.date | None = None) -> datetime.date:
    """The Monday of the last whole week (Monday to Sunday) before `today`."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=today.weekday() + 7)


class UseDiaryKind(LinkKind):
    """A week of use per substance of the client's plan, against their own plan: the numbers go
    through goals' check-in service (source "client"), so "% of days within plan" and the
    charts count them the same way as a week told in session."""

    key = "use_diary"
    label = ClientLink.Kind.USE_DIARY.label
    template = "selfreport/use_diary.html"
    result_field = "use_diary"

    def prepare(self, *, client: Client, week: datetime.date | None, **_kw: Any) -> dict[str, Any]:
        if not client.substances.exists():
            raise ValidationError(
                _(
                    "The client has no substance or behaviour recorded yet, so there is no "
                    "week to ask about."
                )
            )
        monday = week - datetime.timedelta(days=week.weekday()) if week else last_week()
        if monday > timezone.localdate():
            raise ValidationError({"week": _("Choose a week that has begun.")})
        return {"week_start": monday}

    def _substances(self, link: ClientLink) -> list[SubstanceUse]:
        return list(
            SubstanceUse.objects.filter(client_id=link.client_id).order_by("recorded_at", "id")
        )

    def _form(self, link: ClientLink, data: Mapping[str, str] | None) -> UseDiaryForm:
        substances = self._substances(link)
        versions = list(
            PlanVersion.objects.filter(plan__client_id=link.client_id).only(
                "number", "sections", "created_at"
            )
        )
        units = {s.pk: plan_limits.unit_for(versions, s.name, link.week_start) for s in substances}
        return UseDiaryForm(data, substances=substances, units=units)

    def page_context(
        self, link: ClientLink, data: Mapping[str, str] | None, error: ValidationError | None
    ) -> dict[str, Any]:
        form = self._form(link, data)
        if data is not None:
            form.is_valid()
        blocks = [
            {
                "substance": substance,
                "days": form[f"{prefix}_days"],
                "amount": form[f"{prefix}_amount"],
                "unit": form[f"{prefix}_unit"],
                "setting": form[f"{prefix}_setting"],
                "steps": form[f"{prefix}_steps"],
                "steps_other": form[f"{prefix}_steps_other"],
            }
            for substance, prefix in form.prefixes
        ]
        end = link.week_start + datetime.timedelta(days=6)
        return {
            "form": form,
            "blocks": blocks,
            "week_from": formats.weekday_date(link.week_start),
            "week_to": formats.weekday_date(end),
            "day_choices": [str(n) for n in range(8)],
            "safer_steps": SAFER_USE_STEPS,
        }

    def record(self, *, link: ClientLink, data: Mapping[str, Any]) -> Any:
        form = self._form(link, data)
        allowed = {"csrfmiddlewaretoken", *form.fields}
        if set(data) - allowed:
            raise Tampered(_("This form holds questions it should not."))
        if not form.is_valid():
            raise ValidationError(form.errors)
        entries = []
        substances = {}
        for substance, prefix in form.prefixes:
            substances[substance.pk] = substance
            amount = form.cleaned_data[f"{prefix}_amount"]
            entries.append(
                {
                    "substance": substance.pk,
                    "name": str(substance.name),
                    "use_days": form.cleaned_data[f"{prefix}_days"],
                    "amount": str(amount) if amount is not None else "",
                    "unit": form.cleaned_data[f"{prefix}_unit"].strip(),
                    "setting": form.cleaned_data[f"{prefix}_setting"].strip(),
                    "steps": form.cleaned_data[f"{prefix}_steps"],
                    "steps_other": form.cleaned_data[f"{prefix}_steps_other"].strip(),
                }
            )
        return report_services.use_diary_record(
            actor=link.created_by,
            client=link.client,
            week_start=link.week_start,
            entries=entries,
            substances=substances,
        )

    def thanks_context(self, link: ClientLink, result: Any) -> dict[str, Any]:
        return {"crisis_lines": _crisis_lines(), "diary": True}

    def summary(self, link: ClientLink) -> Summary:
        return Summary(
            text=_("Use diary for the week of %(date)s")
            % {"date": formats.date(link.use_diary.week_start)},
            url=reverse("goals:section", args=[link.client_id]),
        )


# How far back a practice day may be ticked: the week before the page was opened and a few
# days' grace for a link answered late.
PRACTICE_DAYS_OFFERED = 8


class PracticeLogKind(LinkKind):
    """Relaxation practice between sessions: the days, minutes, what they practised and how
    they felt before and after; a row of the chart (selfreport.PracticeLog), listed on the
    chart's Overview as reported by the client."""

    key = "practice_log"
    label = ClientLink.Kind.PRACTICE_LOG.label
    template = "selfreport/practice_log.html"
    result_field = "practice_log"

    def _form(self, data: Mapping[str, str] | None) -> PracticeLogForm:
        today = timezone.localdate()
        days = [today - datetime.timedelta(days=n) for n in range(PRACTICE_DAYS_OFFERED)]
        return PracticeLogForm(
            data,
            offered_days=[(formats.iso_date(d), formats.weekday_date(d)) for d in days],
            practices=list(PracticeLog.Practice.choices),
        )

    def page_context(
        self, link: ClientLink, data: Mapping[str, str] | None, error: ValidationError | None
    ) -> dict[str, Any]:
        form = self._form(data)
        if data is not None:
            form.is_valid()
        return {"form": form, "scale_values": [str(n) for n in range(11)]}

    def record(self, *, link: ClientLink, data: Mapping[str, Any]) -> Any:
        form = self._form(data)
        if set(data) - {"csrfmiddlewaretoken", *form.fields}:
            raise Tampered(_("This form holds questions it should not."))
        if not form.is_valid():
            raise ValidationError(form.errors)
        cleaned = form.cleaned_data
        return report_services.practice_log_record(
            actor=link.created_by,
            client=link.client,
            days=[datetime.date.fromisoformat(d) for d in cleaned["days"]],
            minutes=cleaned["minutes"],
            practice=cleaned["practice"],
            practice_other=cleaned["practice_other"].strip()
            if cleaned["practice"] == "other"
            else "",
            feeling_before=cleaned["feeling_before"],
            feeling_after=cleaned["feeling_after"],
        )

    def summary(self, link: ClientLink) -> Summary:
        log = link.practice_log
        return Summary(
            text=ngettext(
                "Practice on %(n)s day, %(minutes)s each time",
                "Practice on %(n)s days, %(minutes)s each time",
                len(log.days),
            )
            % {"n": len(log.days), "minutes": formats.duration(log.minutes)}
        )


KINDS: dict[str, LinkKind] = {
    kind.key: kind
    for kind in (MeasureKind(), SessionRatingKind(), UseDiaryKind(), PracticeLogKind())
}


def kind_of(link: ClientLink) -> LinkKind:
    return KINDS[link.kind]


def result_of(link: ClientLink) -> Any:
    return getattr(link, kind_of(link).result_field)


def sessions_to_rate(client: Client, *, latest: int = 10) -> list[tuple[int, str]]:
    """The client's latest attended sessions, for the send form's choice (one query)."""
    rows = Appointment.objects.filter(client=client, status=Appointment.Status.ATTENDED).order_by(
        "-starts_at", "-id"
    )[:latest]
    return [(a.pk, formats.weekday_datetime(a.starts_at)) for a in rows]


def send_choices() -> list[tuple[str, Any]]:
    return [(key, kind.label) for key, kind in KINDS.items()]
