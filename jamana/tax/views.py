"""The citizen's "My taxes" (what they owe, paying it, tax clearance) and the tax officer's
roll imports. Thin: the work is in actions and queries."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.identity.http import AuthenticatedRequest
from jamana.tax.access import access_own_assessment, access_roll_for_agent, tax_officer_offices
from jamana.tax.actions import check_issue_tax_clearance, check_pay_assessment, check_upload_roll
from jamana.tax.forms import PayAssessmentForm, RollUploadForm
from jamana.tax.models import AssessmentStatus, RollStatus
from jamana.tax.queries import is_overdue, list_my_taxes, list_rolls


@login_required
def my_taxes(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "tax/my_taxes.html",
        {
            "summaries": list_my_taxes(request.user, today=timezone.localdate()),
            "is_tax_officer": bool(tax_officer_offices(request.user)),
        },
    )


@login_required
def pay_assessment(request: AuthenticatedRequest, number: str) -> HttpResponse:
    try:
        assessment = access_own_assessment(request.user, number)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if assessment.status != AssessmentStatus.OPEN or assessment.remaining_xof <= 0:
        messages.info(request, _("Nothing remains to be paid on this assessment."))
        return redirect("tax:my_taxes")
    form = PayAssessmentForm(
        request.POST or None,
        remaining_xof=assessment.remaining_xof,
        initial={"phone": request.user.phone, "attempt": secrets.token_hex(12)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            phone = normalize_phone(form.cleaned_data["phone"])
        except InvalidPhoneNumber:
            form.add_error("phone", _("This phone number is not valid."))
        else:
            try:
                intent = check_pay_assessment(
                    account=request.user,
                    number=assessment.number,
                    amount_xof=form.cleaned_data["amount_xof"],
                    provider=form.cleaned_data["provider"],
                    phone=phone,
                    attempt=form.cleaned_data["attempt"],
                )
            except JamanaError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("payments:status", reference=intent.reference)
    return render(
        request,
        "tax/pay.html",
        {
            "assessment": assessment,
            "overdue": is_overdue(assessment, timezone.localdate()),
            "form": form,
        },
    )


@login_required
@require_POST
def clearance(request: AuthenticatedRequest, nif: str) -> HttpResponse:
    try:
        document = check_issue_tax_clearance(request.user, nif)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except JamanaError as exc:
        messages.error(request, exc.message)
        return redirect("tax:my_taxes")
    messages.success(
        request,
        _("Your tax clearance certificate %(number)s is in My documents.")
        % {"number": document.number},
    )
    return redirect("documents:my_documents")


@login_required
def agent_rolls(request: AuthenticatedRequest) -> HttpResponse:
    offices = tax_officer_offices(request.user)
    if not offices:
        raise Http404()
    form = RollUploadForm(request.POST or None, request.FILES or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            roll = check_upload_roll(
                agent=request.user,
                tax_office=form.cleaned_data["tax_office"],
                file_name=upload.name,
                data=upload.read(),
            )
        except JamanaError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("tax:agent_roll", roll_id=roll.pk)
    return render(
        request, "tax/agent_rolls.html", {"form": form, "rolls": list_rolls(offices)[:50]}
    )


@login_required
def agent_roll(request: AuthenticatedRequest, roll_id: int) -> HttpResponse:
    try:
        roll = access_roll_for_agent(request.user, roll_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(
        request,
        "tax/agent_roll.html",
        {"roll": roll, "running": roll.status in (RollStatus.PENDING, RollStatus.RUNNING)},
    )
