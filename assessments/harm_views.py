"""Harm assessment pages: record a new one with the client, read one, compare two.

Every page gets the client through `access.client_for` (404 for anyone who may not read the
record, 403 when a reader asks to write) and records an access event. Assessments are looked up
through `client.harm_assessments`, so another client's assessment id is a 404 here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import selectors, services
from assessments.harm_forms import BALANCE_FIELDS, harm_forms
from assessments.models import (
    HARM_DOMAINS,
    OVERDOSE_FACTORS,
    OVERDOSE_RESOURCES,
    HarmAssessment,
    IdentifiedHarm,
    SubstancePattern,
    harm_rating_label,
)
from clients import medical
from clients import services as client_services
from clients.models import STRENGTH_FIELDS, Client
from hrp import access, bounds


def _full_assessments(client: Client) -> Any:
    """The client's assessments with everything a detail or compare page shows, in a fixed
    number of queries (one for the assessments with their author, one for all patterns, one
    for all named harms with their substance)."""
    return client.harm_assessments.select_related("assessed_by").prefetch_related(
        Prefetch("patterns", queryset=SubstancePattern.objects.order_by("id")),
        Prefetch(
            "identified_harms",
            queryset=IdentifiedHarm.objects.select_related("substance").order_by(
                *selectors.HARM_ORDER
            ),
        ),
    )


def _with_medical() -> Any:
    """The client with the latest medical evaluation (clients.medical), shown beside the
    physical-health rating: columns of the client's own query, no query more."""
    return medical.annotate_latest(Client.objects.all())


# --- New ---------------------------------------------------------------------------------------


def harm_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new harm assessment with the client, pre-filled from the last one."""
    client, can = access.client_for(request.user, pk, write=True, queryset=_with_medical())
    client_services.access_record(actor=request.user, client=client, what="harm_assessment")
    forms = harm_forms(client, request.POST if request.method == "POST" else None)
    form = forms.form
    if request.method == "POST":
        if forms.is_valid():
            try:
                assessment = services.harm_assessment_record(
                    actor=request.user,
                    client=client,
                    values=form.cleaned_data,
                    patterns=forms.patterns.pattern_values(),
                    harms=forms.harms.harm_values(),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Harm assessment saved."))
                return redirect(
                    "assessments:harm_detail", pk=client.pk, assessment_pk=assessment.pk
                )
        messages.error(request, _("Nothing was saved yet. Please look at the notes marked below."))
    context = {
        "client": client,
        "medical": medical.status_of(client),
        "form": form,
        "formset": forms.patterns,
        "harm_formset": forms.harms,
        "initial": forms.initial,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "assessments/harm_form.html", context)


# --- Detail ------------------------------------------------------------------------------------


def harm_detail(request: HttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    """One harm assessment, read-only (supervisors included)."""
    client, can = access.client_for(request.user, pk, queryset=_with_medical())
    assessment = get_object_or_404(_full_assessments(client), pk=assessment_pk)
    client_services.access_record(actor=request.user, client=client, what="harm_assessment")
    # The one before it, for a "compare with the previous one" link.
    previous = (
        client.harm_assessments.filter(assessed_on__lte=assessment.assessed_on)
        .exclude(pk=assessment.pk)
        .exclude(assessed_on=assessment.assessed_on, pk__gt=assessment.pk)
        .order_by("-assessed_on", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    context = {
        "client": client,
        "assessment": assessment,
        "harms": [
            (key, label, rating, harm_rating_label(rating), words)
            for key, label, rating, words in assessment.harms
        ],
        "harm_groups": selectors.harms_by_substance(assessment.identified_harms.all()),
        "medical": medical.status_of(client),
        "balance": _balance_lists(assessment),
        "strengths": [
            (key, label, getattr(assessment, key)) for key, label, _help in STRENGTH_FIELDS
        ],
        "overdose": _overdose_factors(assessment),
        "previous_pk": previous,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "assessments/harm_detail.html", context)


def _overdose_factors(assessment: HarmAssessment) -> dict[str, list[str]]:
    """The ticked factors split by the rule: those that raise the flag for this client's
    substances, and those recorded that do not (e.g. using alone, with alcohol only)."""
    counted = set(services.overdose_factors_that_count(assessment))
    ticked = [(key, str(label)) for key, label in OVERDOSE_FACTORS if getattr(assessment, key)]
    return {
        "counted": [label for key, label in ticked if key in counted],
        "not_counted": [label for key, label in ticked if key not in counted],
    }


BALANCE_LABELS = {
    "benefits_of_use": gettext_lazy("Good things about using"),
    "costs_of_use": gettext_lazy("Not-so-good things about using"),
    "benefits_of_change": gettext_lazy("Good things about changing"),
    "costs_of_change": gettext_lazy("Not-so-good things about changing"),
}


def _balance_lists(assessment: HarmAssessment) -> list[tuple[str, Any, list[str]]]:
    points = assessment.balance()
    return [(name, BALANCE_LABELS[name], points[name]) for name in BALANCE_FIELDS]


# --- Compare -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainChange:
    label: Any
    earlier_rating: int | None
    later_rating: int | None
    earlier_words: str
    later_words: str

    @property
    def change(self) -> int | None:
        """Later minus earlier; None when either was not asked (unknown, never counted as 0)."""
        if self.earlier_rating is None or self.later_rating is None:
            return None
        return self.later_rating - self.earlier_rating

    @property
    def signed_change(self) -> str:
        return f"{self.change:+d}" if self.change else "0"

    @property
    def earlier_label(self) -> Any:
        return harm_rating_label(self.earlier_rating)

    @property
    def later_label(self) -> Any:
        return harm_rating_label(self.later_rating)

    @property
    def direction(self) -> str:
        """ "less", "more" or "same" harm, or "unknown" when a side was not asked: the page
        says it in words and with an arrow."""
        if self.change is None:
            return "unknown"
        if self.change < 0:
            return "less"
        return "more" if self.change > 0 else "same"


@dataclass(frozen=True)
class ItemChange:
    label: Any
    earlier: bool
    later: bool

    @property
    def status(self) -> str:
        if self.earlier == self.later:
            return "still" if self.later else "neither"
        return "new" if self.later else "gone"


@dataclass(frozen=True)
class BalanceChange:
    name: str
    label: Any
    added: list[str]
    no_longer_mentioned: list[str]
    still_mentioned: list[str]


@dataclass(frozen=True)
class ReadinessChange:
    substance: str
    earlier: SubstancePattern | None
    later: SubstancePattern | None

    @property
    def scores(self) -> list[tuple[Any, Any]]:
        """(earlier, later) for importance, confidence and readiness; None when not asked."""
        return [
            (
                getattr(self.earlier, name, None) if self.earlier else None,
                getattr(self.later, name, None) if self.later else None,
            )
            for name in ("importance", "confidence", "readiness")
        ]


@dataclass(frozen=True)
class NamedHarmChange:
    """A concrete harm across the two assessments, matched by its thread (the same harm carried
    over), not by its words: the client may say it differently the second time."""

    earlier: IdentifiedHarm | None
    later: IdentifiedHarm | None

    @property
    def harm(self) -> IdentifiedHarm:
        return self.later or self.earlier  # type: ignore[return-value]

    @property
    def status(self) -> str:
        """ "new", "no_longer_named" or "still"."""
        if self.earlier is None:
            return "new"
        return "no_longer_named" if self.later is None else "still"


@dataclass(frozen=True)
class Comparison:
    earlier: HarmAssessment
    later: HarmAssessment
    domains: list[DomainChange]
    factors: list[ItemChange]
    resources: list[ItemChange]
    balance: list[BalanceChange]
    readiness: list[ReadinessChange]
    named_harms: list[NamedHarmChange]


def _named_harm_changes(earlier: HarmAssessment, later: HarmAssessment) -> list[NamedHarmChange]:
    # A thread links records of one harm; a later record may continue one older than `earlier`.
    earlier_by_thread = {h.thread_id: h for h in earlier.identified_harms.all()}
    later_harms = list(later.identified_harms.all())
    seen = {h.thread_id for h in later_harms}
    return [NamedHarmChange(earlier_by_thread.get(h.thread_id), h) for h in later_harms] + [
        NamedHarmChange(h, None) for thread, h in earlier_by_thread.items() if thread not in seen
    ]


def _point_key(point: str) -> str:
    # "Saving money" and "saving  money " are the same point said twice.
    return " ".join(point.split()).casefold()


def _balance_change(name: str, earlier: list[str], later: list[str]) -> BalanceChange:
    earlier_keys = {_point_key(p) for p in earlier}
    later_keys = {_point_key(p) for p in later}
    return BalanceChange(
        name=name,
        label=BALANCE_LABELS[name],
        added=[p for p in later if _point_key(p) not in earlier_keys],
        no_longer_mentioned=[p for p in earlier if _point_key(p) not in later_keys],
        still_mentioned=[p for p in later if _point_key(p) in earlier_keys],
    )


def harm_comparison(earlier: HarmAssessment, later: HarmAssessment) -> Comparison:
    """What changed from `earlier` to `later`: harm per domain, overdose factors and resources,
    each decisional-balance list (points added, no longer mentioned) and readiness per
    substance. Works on loaded objects only (patterns prefetched)."""
    earlier_balance, later_balance = earlier.balance(), later.balance()
    earlier_patterns = {_point_key(p.substance_name): p for p in earlier.patterns.all()}
    later_patterns = {_point_key(p.substance_name): p for p in later.patterns.all()}
    readiness = [
        ReadinessChange(p.substance_name, earlier_patterns.get(key), p)
        for key, p in later_patterns.items()
    ] + [
        ReadinessChange(p.substance_name, p, None)
        for key, p in earlier_patterns.items()
        if key not in later_patterns
    ]
    return Comparison(
        earlier=earlier,
        later=later,
        domains=[
            DomainChange(
                label,
                getattr(earlier, f"{key}_rating"),
                getattr(later, f"{key}_rating"),
                getattr(earlier, f"{key}_words"),
                getattr(later, f"{key}_words"),
            )
            for key, label in HARM_DOMAINS
        ],
        factors=[
            ItemChange(label, getattr(earlier, key), getattr(later, key))
            for key, label in OVERDOSE_FACTORS
        ],
        resources=[
            ItemChange(label, getattr(earlier, key), getattr(later, key))
            for key, label in OVERDOSE_RESOURCES
        ],
        balance=[
            _balance_change(name, earlier_balance[name], later_balance[name])
            for name in BALANCE_FIELDS
        ],
        readiness=readiness,
        named_harms=_named_harm_changes(earlier, later),
    )


def _id_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    # ASCII digits only: ids, never anything else, travel in the query string.
    pk = bounds.parse_pk(raw)
    if pk is None:
        raise Http404
    return pk


def harm_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two assessments side by side (?a=<id>&b=<id>, ids only), by default the latest two.
    Whatever order they are given in, the earlier one is on the left."""
    client, can = access.client_for(request.user, pk)
    choices = list(
        client.harm_assessments.order_by("-assessed_on", "-id").values_list("pk", "assessed_on")
    )
    known = [choice_pk for choice_pk, _date in choices]
    a, b = _id_param(request, "a"), _id_param(request, "b")
    if a is None and b is None:
        a, b = (known[1], known[0]) if len(known) > 1 else (None, None)
    elif a is None or b is None:
        raise Http404
    if a is not None and (a not in known or b not in known):
        raise Http404
    client_services.access_record(actor=request.user, client=client, what="harm_compare")
    comparison = None
    same = a is not None and a == b
    if a is not None and not same:
        pair = sorted(
            _full_assessments(client).filter(pk__in=[a, b]),
            key=lambda assessment: (assessment.assessed_on, assessment.pk),
        )
        comparison = harm_comparison(pair[0], pair[1])
    context = {
        "client": client,
        "choices": choices,
        "selected_a": a,
        "selected_b": b,
        "same": same,
        "comparison": comparison,
        "can": can,
        "nav": "caseload",
    }
    return render(request, "assessments/harm_compare.html", context)
