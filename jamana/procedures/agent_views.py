"""Agent pages: the organisation's work queue, a case and its actions, person look-up."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound, PermissionDenied
from jamana.core.i18n import record_text
from jamana.core.references import format_reference
from jamana.identity.forms import PersonLookupForm
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import VIEW_PERSON, VIEW_REQUEST
from jamana.identity.queries import (
    agent_organisations,
    find_person_by_nina_for_agent,
    get_person_for_agent,
    list_agent_roles,
    list_identifiers,
)
from jamana.procedures import actions
from jamana.procedures.access import access_request_for_agent, parse_typed_reference
from jamana.procedures.forms import QueueFilterForm, ReasonForm, ReceiptForm
from jamana.procedures.queries import list_services, list_timeline, list_work_queue


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not list_agent_roles(request.user).exists():
            raise Http404(_("This page is for agents."))
        return view(request, *args, **kwargs)

    return wrapped


@agent_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    organisations = agent_organisations(request.user, VIEW_REQUEST)
    form = QueueFilterForm(request.GET or None)
    services = list_services().filter(organisation__in=organisations)
    choices = [("", _("All"))] + [(s.code, str(s.code)) for s in services]
    form.fields["service"].choices = choices  # type: ignore[attr-defined]
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data["reference"]:
            try:
                return redirect(
                    "agent:request_detail", reference=parse_typed_reference(data["reference"])
                )
            except NotFound as exc:
                form.add_error("reference", exc.message)
        filters = {
            "status": data["status"],
            "service_code": data["service"],
            "assigned_to": request.user if data["mine"] else None,
            "overdue_before": timezone.now() if data["overdue"] else None,
        }
    cases = list_work_queue(organisations=organisations, **filters)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "procedures/agent_queue.html",
        {"form": form, "page": page, "organisations": organisations, "now": timezone.now()},
    )


def _case_or_404(request: AuthenticatedRequest, reference: str):
    try:
        return access_request_for_agent(request.user, reference)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from None


@agent_required
def request_detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    return render(
        request,
        "procedures/agent_request_detail.html",
        {
            "req": case,
            "timeline": list_timeline(case),
            "reason_form": ReasonForm(),
            "receipt_form": ReceiptForm(),
        },
    )


ACTIONS: dict[str, Callable[[AuthenticatedRequest, str], None]] = {
    "pay": lambda r, ref: actions.check_record_counter_payment(
        agent=r.user, reference=ref, receipt=r.POST.get("receipt", "")
    ),
    "take": lambda r, ref: actions.check_take_request(agent=r.user, reference=ref),
    "issue": lambda r, ref: actions.check_decide_request(
        agent=r.user, reference=ref, grant=True, reason=r.POST.get("reason", "")
    ),
    "refuse": lambda r, ref: actions.check_decide_request(
        agent=r.user, reference=ref, grant=False, reason=r.POST.get("reason", "")
    ),
    "cancel": lambda r, ref: actions.check_cancel_by_agent(
        agent=r.user, reference=ref, reason=r.POST.get("reason", "")
    ),
}


@agent_required
@require_POST
def act_on_request(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404()
    # The action checks permissions itself and writes its own audit event; the page the agent
    # is sent back to records the access.
    try:
        reference = parse_typed_reference(reference)
        ACTIONS[action](request, reference)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("agent:request_detail", reference=reference)


@agent_required
def person_lookup(request: AuthenticatedRequest) -> HttpResponse:
    organisations = agent_organisations(request.user, VIEW_PERSON)
    form = PersonLookupForm(request.POST or None)
    person = None
    if request.method == "POST" and form.is_valid() and organisations:
        try:
            person = find_person_by_nina_for_agent(
                account=request.user,
                organisation=organisations[0],
                nina=form.cleaned_data["nina"],
                purpose=form.cleaned_data["purpose"],
            )
        except JamanaError as exc:
            form.add_error("nina", exc.message)
    return render(
        request,
        "procedures/agent_person.html",
        {"form": form, "person": person, "identifiers": list_identifiers(person) if person else []},
    )


@agent_required
def applicant_record(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """The applicant's record, opened from a case: the case is the recorded purpose."""
    case = _case_or_404(request, reference)
    person = get_person_for_agent(
        account=request.user,
        organisation=case.organisation,
        person_id=case.applicant_id,
        purpose=record_text(
            gettext_lazy("Processing request %(ref)s"), ref=format_reference(case.reference)
        ),
    )
    return render(
        request,
        "procedures/agent_person.html",
        {"form": None, "person": person, "identifiers": list_identifiers(person), "req": case},
    )
