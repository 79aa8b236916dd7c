"""Citizen pages: the catalogue, "Mes démarches", submitting and following a request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.identity.http import AuthenticatedRequest
from jamana.procedures import actions
from jamana.procedures.access import access_own_request
from jamana.procedures.catalogue import START_PAGES
from jamana.procedures.forms import ReasonForm, SubmitRequestForm
from jamana.procedures.lifecycle import CITIZEN_CANCELLABLE
from jamana.procedures.queries import get_service, list_my_requests, list_services, list_timeline


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "procedures/home.html", {"services": list_services()})


def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    service = get_service(code)
    if service is None:
        raise Http404(_("This service does not exist or is closed."))
    # Services with their own journey (a certificate chosen from one's acts) start there.
    start = START_PAGES.get(service.code)
    return render(
        request,
        "procedures/service_detail.html",
        {"service": service, "start_url": reverse(start) if start else ""},
    )


@login_required
def my_requests(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "procedures/my_requests.html", {"requests": list_my_requests(request.user)[:100]}
    )


@login_required
def new_request(request: AuthenticatedRequest, code: str) -> HttpResponse:
    service = get_service(code)
    if service is None:
        raise Http404(_("This service does not exist or is closed."))
    if code in START_PAGES:
        return redirect(START_PAGES[code])
    form = SubmitRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        details = {"purpose": form.cleaned_data["purpose"]} if form.cleaned_data["purpose"] else {}
        try:
            created = actions.check_submit_request(
                account=request.user, service_code=code, details=details
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your request has been submitted."))
            return redirect("procedures:request_detail", reference=created.reference)
    return render(request, "procedures/new_request.html", {"service": service, "form": form})


def _own_or_404(request: AuthenticatedRequest, reference: str):
    try:
        return access_own_request(request.user, reference)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
def request_detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    service_request = _own_or_404(request, reference)
    return render(
        request,
        "procedures/request_detail.html",
        {
            "req": service_request,
            "timeline": list_timeline(service_request),
            "can_cancel": service_request.status in CITIZEN_CANCELLABLE,
            "cancel_form": ReasonForm(),
        },
    )


@login_required
def find_request(request: AuthenticatedRequest) -> HttpResponse:
    """Open a request from a reference typed or read over the phone."""
    typed = request.GET.get("reference", "")
    try:
        found = access_own_request(request.user, typed)
    except NotFound as exc:
        messages.error(request, exc.message)
        return redirect("procedures:my_requests")
    return redirect("procedures:request_detail", reference=found.reference)


@login_required
@require_POST
def cancel_request(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    service_request = _own_or_404(request, reference)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        actions.check_cancel_by_citizen(
            account=request.user,
            reference=service_request.reference,
            reason=form.cleaned_data.get("reason", ""),
        )
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request has been withdrawn."))
    return redirect("procedures:request_detail", reference=service_request.reference)
