from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from clients import extensions, identity, medical, selectors, services
from clients.forms import (
    ClientDetailsForm,
    ClientEditForm,
    ClientSearchForm,
    ConcernsForm,
    ConsentForm,
    ConsentRevokeForm,
    ExplainedForm,
    MedicalEvaluationForm,
    MedicalForm,
    QueueAssignForm,
    ReasonForm,
    ReassignForm,
    ReferralForm,
    StatusForm,
    SubstanceFormSet,
)
from clients.models import Client, Consent, Intake, MedicalEvaluation, SubstanceUse
from hrp import access, bounds

PAGE_SIZE = 25


# --- Caseload ----------------------------------------------------------------------------------


def _caseload_page(request: HttpRequest, *, therapist: Any, template: str) -> HttpResponse:
    form = ClientSearchForm(request.POST or None)
    filters = {"q": "", "status": "active", "sort": "name", "page": 1}
    if request.method == "POST" and form.is_valid():
        filters.update({k: v for k, v in form.cleaned_data.items() if v})
    clients = selectors.caseload(
        user=request.user,
        therapist=therapist,
        status=filters["status"],
        query=filters["q"],
        sort=filters["sort"],
    )
    page = Paginator(clients, PAGE_SIZE).get_page(filters["page"])
    rows = [(client, *selectors.split_flags(selectors.chart_flags(client))) for client in page]
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "therapist": therapist,
        "own": therapist == request.user,
        "drafts": selectors.intake_drafts(user=request.user) if therapist == request.user else [],
        "notices": extensions.home_notices(request.user) if therapist == request.user else [],
        "deferred_notices": (
            extensions.deferred_home_notices() if therapist == request.user else []
        ),
        "columns": extensions.caseload_columns(),
        "nav": "caseload",
    }
    return render(request, template, context)


def caseload(request: HttpRequest) -> HttpResponse:
    """The therapist's home: their clients."""
    access.require(request.user, "clients.create")
    return _caseload_page(request, therapist=request.user, template="clients/caseload.html")


def supervisee_caseload(request: HttpRequest, therapist_pk: int) -> HttpResponse:
    """A supervisor reviews a supervisee's caseload, read-only."""
    therapist = access.caseload_owner_for(request.user, therapist_pk)
    return _caseload_page(request, therapist=therapist, template="clients/caseload.html")


# --- Intake ------------------------------------------------------------------------------------

STEPS: list[tuple[str, Any]] = [
    (Intake.Step.REASON, gettext_lazy("In their words")),
    (Intake.Step.DETAILS, gettext_lazy("Contact details")),
    (Intake.Step.SUBSTANCES, gettext_lazy("Substances")),
    (Intake.Step.CONCERNS, gettext_lazy("Concerns and strengths")),
    (Intake.Step.MEDICAL, gettext_lazy("Medical evaluation")),
    (Intake.Step.REFERRAL, gettext_lazy("Referral")),
    (Intake.Step.REVIEW, gettext_lazy("Review and finish")),
]
STEP_KEYS = [key for key, _label in STEPS]


def _next_step(step: str) -> str:
    index = STEP_KEYS.index(step)
    return STEP_KEYS[min(index + 1, len(STEP_KEYS) - 1)]


def _step_context(client: Client | None, step: str) -> dict[str, Any]:
    reached = STEP_KEYS.index(client.intake.current_step) if client else 0
    return {
        "steps": [
            {"key": key, "label": label, "number": i + 1, "reachable": i <= reached}
            for i, (key, label) in enumerate(STEPS)
        ],
        "step": step,
        "step_number": STEP_KEYS.index(step) + 1,
        "step_label": dict(STEPS)[step],
        "client": client,
        "nav": "caseload",
    }


def intake_start(request: HttpRequest) -> HttpResponse:
    """Step 1 for a new client: their reason for coming and goals, in their own words."""
    access.require(request.user, "clients.create")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.intake_start(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_save(request, client, Intake.Step.REASON)
    context = {**_step_context(None, Intake.Step.REASON), "forms": [form]}
    return render(request, "clients/intake_step.html", context)


def _after_save(request: HttpRequest, client: Client, step: str) -> HttpResponse:
    if "save_exit" in request.POST:
        messages.success(
            request,
            _("Draft saved. Resume it from your caseload under “Intakes in progress”."),
        )
        return redirect("clients:caseload")
    return redirect("clients:intake_step", pk=client.pk, step=_next_step(step))


def intake_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Every intake step after the first; each POST saves the draft."""
    if step not in STEP_KEYS:
        raise Http404
    client, _can = access.client_for(request.user, pk, write=True)
    intake = client.intake
    data = request.POST or None
    reason_initial = {
        "preferred_name": client.preferred_name,
        "legal_name": client.legal_name,
        "identity_description": client.identity_description,
        "pronouns": client.pronouns,
        "reason_for_coming": intake.reason_for_coming,
        "client_goals": intake.client_goals,
    }
    forms_by_step: dict[str, list[Any]] = {
        Intake.Step.REASON: [ReasonForm(data, initial=reason_initial)],
        Intake.Step.DETAILS: [ClientDetailsForm(data, instance=client)],
        Intake.Step.SUBSTANCES: [
            SubstanceFormSet(
                data,
                queryset=SubstanceUse.objects.filter(client=client),
                prefix="substances",
            )
        ],
        Intake.Step.CONCERNS: [ConcernsForm(data, instance=intake)],
        Intake.Step.MEDICAL: [MedicalForm(data, instance=intake)],
        Intake.Step.REFERRAL: [
            ReferralForm(data, instance=client.referral),
            ExplainedForm(data, instance=intake),
        ],
        Intake.Step.REVIEW: [],
    }
    step_forms = forms_by_step[step]
    autosave = request.method == "POST" and request.POST.get("autosave") == "1"
    if request.method == "POST":
        if step == Intake.Step.REVIEW:
            if autosave:  # the review step has no fields, so there is nothing to save
                return HttpResponse(status=204)
            return _intake_finish(request, client)
        if all(f.is_valid() for f in step_forms):
            try:
                _save_step(
                    request,
                    client,
                    step,
                    step_forms[0],
                    advance=not autosave,
                    explained_form=step_forms[1] if len(step_forms) > 1 else None,
                )
            except ValidationError as error:
                _attach_error(step_forms[0], error)
            else:
                if autosave:
                    context = {
                        "saved": True,
                        "saved_at": timezone.now(),
                        "new_substance_pending": step == Intake.Step.SUBSTANCES
                        and any(f.has_changed() and not f.instance.pk for f in step_forms[0]),
                    }
                    return render(request, "clients/_autosave_status.html", context)
                return _after_save(request, client, step)
        if autosave:
            # Nothing is stored until the step is valid; the page keeps what was typed and
            # says so, and the next valid keystroke saves it.
            return render(request, "clients/_autosave_status.html", {"saved": False})
    context = {**_step_context(client, step), "forms": step_forms}
    if step == Intake.Step.REVIEW:
        context["substances"] = client.substances.all()
        context["referral"] = client.referral
        # Said, not required: the review names what is still to explain, and the intake can
        # be completed regardless (care is not held up).
        context["not_explained"] = intake.explanations_missing(mandated=client.referral.is_mandated)
    if step in (Intake.Step.MEDICAL, Intake.Step.REVIEW):
        context["medical_status"] = medical.status(
            intake.medical_evaluation,
            selectors.latest_medical_evaluation_on(client=client),
        )
    return render(request, "clients/intake_step.html", context)


def _attach_error(form: Any, error: ValidationError) -> None:
    if hasattr(form, "add_error"):
        form.add_error(None, error)
    else:  # a formset
        form._non_form_errors = form.error_class(error.messages)


def _save_step(
    request: HttpRequest,
    client: Client,
    step: str,
    form: Any,
    *,
    advance: bool = True,
    explained_form: Any = None,
) -> None:
    """Save one step's form (and, on the referral step, what was explained at the start).
    `advance` moves the draft's resume point to the next step; autosaves while typing don't."""
    actor = request.user
    next_step = _next_step(step) if advance else None
    if step == Intake.Step.REASON:
        data = form.cleaned_data
        services.client_update(
            actor=actor,
            client=client,
            values={
                k: data[k]
                for k in ("preferred_name", "legal_name", "identity_description", "pronouns")
            },
        )
        services.intake_update(
            actor=actor,
            client=client,
            values={k: data[k] for k in ("reason_for_coming", "client_goals")},
            next_step=next_step,
        )
    elif step == Intake.Step.DETAILS:
        services.client_update(actor=actor, client=client, values=form.cleaned_data)
        services.intake_update(actor=actor, client=client, values={}, next_step=next_step)
    elif step == Intake.Step.SUBSTANCES:
        # An autosave updates stored rows only. The page keeps no id for a row an autosave
        # would create, so every later autosave, and the "Save and continue" whose click
        # fires one alongside it, would store the same substance again.
        rows = [
            (f.instance if f.instance.pk else None, _substance_values(f.cleaned_data))
            for f in form.forms
            if f.has_changed() and f.cleaned_data and (advance or f.instance.pk)
        ]
        services.substances_save(actor=actor, client=client, rows=rows)
        services.intake_update(actor=actor, client=client, values={}, next_step=next_step)
    elif step in (Intake.Step.CONCERNS, Intake.Step.MEDICAL):
        services.intake_update(
            actor=actor,
            client=client,
            values=form.cleaned_data,
            next_step=next_step,
        )
    elif step == Intake.Step.REFERRAL:
        services.referral_update(actor=actor, client=client, values=form.cleaned_data)
        explained = dict(explained_form.cleaned_data) if explained_form is not None else {}
        if not client.referral.is_mandated:
            # Only a mandated referral has an agency to explain.
            explained["explained_attendance_only"] = False
        services.intake_update(actor=actor, client=client, values=explained, next_step=next_step)


def _substance_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("id", "client")}


def _intake_finish(request: HttpRequest, client: Client) -> HttpResponse:
    try:
        services.intake_complete(actor=request.user, client=client)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("clients:intake_step", pk=client.pk, step=Intake.Step.REVIEW)
    messages.success(
        request,
        _("Intake complete. %(name)s is now active on your caseload.")
        % {"name": client.display_name},
    )
    return redirect("clients:chart", pk=client.pk)


# --- Chart -------------------------------------------------------------------------------------


def section_url(pk: int, section: extensions.ChartSection) -> str:
    return reverse(section.url_name, kwargs={"pk": pk})


def render_chart_section(
    request: HttpRequest,
    pk: int,
    section: str,
    *,
    record_access: bool = True,
    client: Client | None = None,
    can: access.ClientAccess | None = None,
    **extra: Any,
) -> HttpResponse:
    """Render the chart section registered as `section` (clients.extensions.ChartSection) in
    the chart shell, with a tab for every registered section this reader may open. Apps that
    own a section load the client and the user's access to it themselves (with
    selectors.chart_client) and pass both in, so neither is loaded twice."""
    this = extensions.chart_section(section)
    if client is None or can is None:
        client, can = selectors.chart_client(user=request.user, pk=pk)
    if this.access == extensions.ChartSection.TREATING and not can.write:
        # e.g. the accounting of disclosures is for the client's own therapist.
        raise Http404
    if record_access:
        services.access_record(actor=request.user, client=client, what=section)
    flags, screening = selectors.split_flags(selectors.chart_flags(client))
    readable = [
        s
        for s in extensions.chart_sections()
        if s.access == extensions.ChartSection.READ or can.write
    ]
    # The tab row shows the primary tabs; the rest go in "More", which takes the name of the
    # section being read when it is one of them (so the current tab is always in sight).
    tabs = [(s.key, s.label, section_url(client.pk, s)) for s in readable]
    more_tabs = [tab for s, tab in zip(readable, tabs, strict=True) if not s.primary]
    context = {
        "client": client,
        "flags": flags,
        "screening": screening,
        "sections": tabs,
        "row_tabs": [tab for s, tab in zip(readable, tabs, strict=True) if s.primary],
        "more_tabs": more_tabs,
        "current_in_more": next((label for key, label, _url in more_tabs if key == section), ""),
        "section": section,
        "can": can,
        "chart_notices": extensions.chart_notices(client, request.user),
        "nav": "caseload",
        **extra,
    }
    return render(request, this.template, context)


def chart(request: HttpRequest, pk: int) -> HttpResponse:
    """The Overview: every panel registered in clients.extensions that this reader may see."""
    client, can = selectors.overview_client(user=request.user, pk=pk)
    panels = selectors.overview(client=client, can=can)
    return render_chart_section(request, pk, "overview", client=client, can=can, panels=panels)


def chart_intake(request: HttpRequest, pk: int) -> HttpResponse:
    return render_chart_section(request, pk, "intake")


# --- Medical evaluation ------------------------------------------------------------------------


def _medical_section(
    request: HttpRequest,
    client: Client,
    can: access.ClientAccess,
    *,
    form: MedicalEvaluationForm | None = None,
    correcting: MedicalEvaluation | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None and can.write:
        form = MedicalEvaluationForm()
    response = render_chart_section(
        request,
        client.pk,
        "medical",
        client=client,
        can=can,
        medical_status=medical.status_of(client),
        evaluations=selectors.medical_evaluations_for(client=client),
        form=form,
        correcting=correcting,
    )
    response.status_code = status
    return response


def _medical_client(request: HttpRequest, pk: int) -> tuple[Client, access.ClientAccess]:
    return selectors.chart_client(
        user=request.user, pk=pk, queryset=medical.annotate(Client.objects.all())
    )


@require_GET
def chart_medical(request: HttpRequest, pk: int) -> HttpResponse:
    """The intake's decision, the status it leads to, and every evaluation recorded; the
    treating clinician records a new (repeat) one here."""
    client, can = _medical_client(request, pk)
    return _medical_section(request, client, can)


def _record_evaluation(
    request: HttpRequest, client: Client, form: MedicalEvaluationForm, corrects: Any = None
) -> bool:
    data = form.cleaned_data
    try:
        services.medical_evaluation_record(
            actor=request.user,
            client=client,
            evaluated_on=data["evaluated_on"],
            evaluated_by=data["evaluated_by"],
            findings=data["findings"],
            corrects=corrects,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_http_methods(["POST"])
def medical_record(request: HttpRequest, pk: int) -> HttpResponse:
    client, can = _medical_client(request, pk)
    if not can.write:
        raise PermissionDenied
    form = MedicalEvaluationForm(request.POST)
    if form.is_valid() and _record_evaluation(request, client, form):
        messages.success(request, _("Medical evaluation recorded."))
        return redirect("clients:medical", pk=client.pk)
    # Nothing stored; the page keeps what was typed.
    return _medical_section(request, client, can, form=form, status=400)


@require_http_methods(["GET", "POST"])
def medical_correct(request: HttpRequest, pk: int, evaluation_pk: int) -> HttpResponse:
    """Record the right version of an evaluation recorded in error. The old row stays, marked
    as corrected, and no longer counts."""
    client, can = _medical_client(request, pk)
    if not can.write:
        raise PermissionDenied
    old = selectors.medical_evaluation_for(
        client=client, pk=bounds.parse_pk(str(evaluation_pk)) or 0
    )
    if old is None:
        raise Http404
    if hasattr(old, "corrected_by"):
        messages.info(request, _("This evaluation was already corrected."))
        return redirect("clients:medical", pk=client.pk)
    initial = {f: getattr(old, f) for f in ("evaluated_on", "evaluated_by", "findings")}
    form = MedicalEvaluationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid() and _record_evaluation(request, client, form, corrects=old):
            messages.success(request, _("Correction recorded. The earlier entry stays, marked."))
            return redirect("clients:medical", pk=client.pk)
        return _medical_section(request, client, can, form=form, correcting=old, status=400)
    return _medical_section(request, client, can, form=form, correcting=old)


def chart_consents(request: HttpRequest, pk: int) -> HttpResponse:
    # One access check per page (an emergency grant audits each check).
    client, can = selectors.chart_client(user=request.user, pk=pk)
    consents = selectors.consents_for(client=client)
    return render_chart_section(request, pk, "consents", client=client, can=can, consents=consents)


def chart_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Every clinical event in one list, newest first, filterable by kind, a page at a time."""
    client, can = selectors.chart_client(user=request.user, pk=pk)
    sources = selectors.timeline_sources_for(can)
    kinds = {source.key for source in sources}
    kind = request.GET.get("kind", "")
    kind_error = ""
    if kind and kind not in kinds:
        # A kind this reader may not see, or none that exists: say so and show every kind.
        kind_error = _("There is no kind of event called that; showing every kind.")
        kind = ""
    number = bounds.parse_int(request.GET.get("page"), minimum=1, maximum=10_000, default=1)
    page = selectors.timeline(client=client, can=can, kind=kind, page=number)
    return render_chart_section(
        request,
        pk,
        "timeline",
        client=client,
        can=can,
        page=page,
        kinds=[(source.key, source.label) for source in sources],
        kind_error=kind_error,
    )


def chart_access(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    # Record this view before the log is counted: counted after, the page's slice would be one
    # row short and drop the oldest event (or show nothing at all on the first view).
    services.access_record(actor=request.user, client=client, what="access")
    page = Paginator(selectors.access_log(client=client), 50).get_page(request.GET.get("page"))
    return render_chart_section(request, pk, "access", record_access=False, page=page)


def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    form = ClientEditForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(actor=request.user, client=client, values=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Details saved."))
            if selectors.possible_duplicates(client=client).exists():
                # A possible duplicate is shown to the clinician for a decision (issue 21).
                return redirect("clients:identity", pk=client.pk)
            return redirect("clients:chart", pk=client.pk)
    client.refresh_from_db()
    return render(
        request, "clients/client_edit.html", {"client": client, "form": form, "nav": "caseload"}
    )


def client_status(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    form = StatusForm(
        request.POST or None,
        initial={
            "status": client.status,
            "discharged_on": client.discharged_on,
            "discharge_reason": client.discharge_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.client_set_status(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Status saved."))
            return redirect("clients:chart", pk=client.pk)
        client.refresh_from_db()
    return render(
        request, "clients/client_status.html", {"client": client, "form": form, "nav": "caseload"}
    )


def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    # The instance carries the client so that the form's validation applies the model's rules
    # that depend on it (Consent.scope_refusal: a mandated referral's agency, attendance only).
    form = ConsentForm(request.POST or None, instance=Consent(client=client))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_create(actor=request.user, client=client, values=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("clients:consents", pk=client.pk)
    return render(
        request, "clients/consent_form.html", {"client": client, "form": form, "nav": "caseload"}
    )


def consent_revoke(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    client, _can = access.client_for(request.user, pk, write=True)
    consent = get_object_or_404(client.consents, pk=consent_pk)
    form = ConsentRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_revoke(
                actor=request.user,
                client=client,
                consent=consent,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Revocation recorded. The consent stays on the chart."))
            return redirect("clients:consents", pk=client.pk)
    context = {"client": client, "consent": consent, "form": form, "nav": "caseload"}
    return render(request, "clients/consent_revoke.html", context)


# --- Clinic admin: reassign and discharge ------------------------------------------------------


def manage_list(request: HttpRequest) -> HttpResponse:
    """Clients as a clinic admin sees them: name, chart number, status, therapist. Nothing
    clinical is loaded (hrp.access.ADMIN_CLIENT_FIELDS)."""
    access.require(request.user, "accounts.manage_staff")
    form = ClientSearchForm(request.POST or None)
    filters = {"q": "", "status": "", "page": 1}
    if request.method == "POST" and form.is_valid():
        filters.update({k: v for k, v in form.cleaned_data.items() if v})
    clients = selectors.clients_for_admin(status=filters["status"], query=filters["q"])
    page = Paginator(clients, PAGE_SIZE).get_page(filters["page"])
    context = {"form": form, "filters": filters, "page": page, "nav": "clients_admin"}
    return render(request, "clients/manage_list.html", context)


def manage_client(request: HttpRequest, pk: int) -> HttpResponse:
    client = access.client_for_admin(request.user, pk)
    therapists = selectors.therapists_for_assignment()
    reassign_form = ReassignForm(
        request.POST if "reassign" in request.POST else None, therapists=therapists
    )
    status_form = StatusForm(
        request.POST if "set_status" in request.POST else None,
        initial={"status": client.status, "discharged_on": client.discharged_on},
    )
    if request.method == "POST":
        form = reassign_form if "reassign" in request.POST else status_form
        if form.is_valid():
            # The services validate and audit whole records; the page itself only ever
            # shows the admin fields loaded above.
            record = Client.objects.get(pk=client.pk)
            try:
                if form is reassign_form:
                    services.client_reassign(actor=request.user, client=record, **form.cleaned_data)
                    done = _("Client reassigned. The previous therapist no longer has access.")
                else:
                    services.client_set_status(
                        actor=request.user, client=record, **form.cleaned_data
                    )
                    done = _("Status saved.")
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, done)
                return redirect("clients:manage_client", pk=client.pk)
        client = access.client_for_admin(request.user, pk)
    context = {
        "client": client,
        "reassign_form": reassign_form,
        "status_form": status_form,
        "nav": "clients_admin",
    }
    return render(request, "clients/manage_client.html", context)


# --- Clinic admins and supervisors: the unassigned queue ---------------------------------------


def unassigned(request: HttpRequest) -> HttpResponse:
    """Clients who are not discharged and have no active therapist (handed over to the queue
    when a therapist's account was deactivated), with a way to assign each one. Clinic admins
    and supervisors work it; only admin-safe fields are shown (hrp.access.ADMIN_CLIENT_FIELDS)."""
    access.require(request.user, "clients.unassigned_queue")
    clients = selectors.unassigned_queue()
    therapists = selectors.therapists_for_assignment()
    if request.method == "POST":
        form = QueueAssignForm(request.POST, clients=clients, therapists=therapists)
        if form.is_valid():
            # The service reads and audits the whole record; the page shows admin fields only.
            record = Client.objects.get(pk=form.cleaned_data["client"].pk)
            therapist = form.cleaned_data["therapist"]
            try:
                services.client_reassign(
                    actor=request.user,
                    client=record,
                    therapist=therapist,
                    reason=_("Assigned from the unassigned queue."),
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("%(client)s is now with %(therapist)s.")
                    % {"client": record.display_name, "therapist": therapist.full_name},
                )
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return redirect("clients:unassigned")
    context = {"clients": clients, "therapists": list(therapists), "nav": "unassigned"}
    return render(request, "clients/unassigned.html", context)


# --- Identity: becoming known, possible duplicates, merges (issue 21) ---------------------------


def client_identity(request: HttpRequest, pk: int) -> HttpResponse:
    """What of the client's legal identity is recorded, the records that may be the same person
    (same legal name and date of birth), and the decisions taken about them. Everyone who may
    open the chart reads it; the treating clinician decides (POST "merge" or "keep_apart" with
    the other record's id), which needs write access to this record (and, to merge, to the
    other one too: the service asks)."""
    client, can = access.client_for(request.user, pk)
    duplicates = list(selectors.possible_duplicates(client=client))
    error = ""
    if request.method == "POST":
        if not can.write:
            raise PermissionDenied
        by_pk = {str(other.pk): other for other in duplicates}
        other = by_pk.get(request.POST.get("other", ""))
        decision = request.POST.get("decision", "")
        if other is None or decision not in ("merge", "keep_apart"):
            error = _(
                "Choose one of the records listed below and what to do with it. Nothing was "
                "changed."
            )
        else:
            service = services.client_merge if decision == "merge" else services.client_keep_apart
            try:
                service(actor=request.user, client=client, other=other)
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            except PermissionDenied:
                error = _(
                    "Only the clinician treating both records can merge them: ask the other "
                    "record's therapist or a supervisor to reassign it first. Nothing was changed."
                )
            else:
                messages.success(
                    request,
                    _("Records merged.") if decision == "merge" else _("Kept apart."),
                )
                return redirect("clients:identity", pk=client.pk)
    services.access_record(actor=request.user, client=client, what="identity")
    context = {
        "client": client,
        "can": can,
        "missing": identity.identity_missing(client),
        "duplicates": duplicates,
        "decisions": list(selectors.identity_decisions(client=client)),
        "merged_into": client.merged_into if client.merged_into_id else None,
        "error": error,
        "nav": "caseload",
    }
    return render(request, "clients/identity.html", context, status=409 if error else 200)


def merges_review(request: HttpRequest) -> HttpResponse:
    """For a supervisor: the decisions about duplicate records (merges and records kept apart)
    taken on their supervisees' clients, newest first."""
    access.require(request.user, "clients.supervise")
    decisions = list(selectors.merges_to_review(supervisor=request.user)[:200])
    return render(
        request,
        "clients/merges_review.html",
        {"decisions": decisions, "nav": "supervision"},
    )
