"""The citizen's "My taxes" (what they owe, paying it, tax clearance) and the tax officer's
desk (finding and opening taxpayer accounts, assessing, cancelling, cash at the counter) and
roll imports. Thin: the work is in actions and queries."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.core.i18n import record_text
from jamana.core.money import format_xof
from jamana.core.references import format_reference
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.models import Organisation
from jamana.identity.queries import find_person_by_nina_for_agent
from jamana.tax.access import access_own_assessment, access_roll_for_agent, tax_officer_offices
from jamana.tax.actions import (
    check_assess,
    check_issue_tax_clearance,
    check_pay_assessment,
    check_record_counter_payment,
    check_upload_roll,
    do_cancel_assessment,
    do_open_taxpayer,
)
from jamana.tax.forms import (
    ActionForm,
    AssessForm,
    CancelAssessmentForm,
    CounterPaymentForm,
    FindPersonForm,
    FindTaxpayerForm,
    OpenTaxpayerForm,
    PayAssessmentForm,
    RollUploadForm,
)
from jamana.tax.models import AssessmentStatus, RollStatus, TaxpayerAccount, TaxpayerKind
from jamana.tax.queries import (
    find_personal_taxpayer,
    get_taxpayer_for_agent,
    is_overdue,
    list_communes_for_offices,
    list_my_taxes,
    list_rolls,
    list_taxpayer_assessments,
)

# What the person sees in "Who accessed my data" when an officer looks them up by NINA.
OPENING_PURPOSE = _("Opening a tax account")


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
            intent = check_pay_assessment(
                account=request.user,
                number=assessment.number,
                amount_xof=form.cleaned_data["amount_xof"],
                provider=form.cleaned_data["provider"],
                phone=form.cleaned_data["phone"],
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


def _offices_or_404(request: AuthenticatedRequest) -> list[Organisation]:
    offices = tax_officer_offices(request.user)
    if not offices:
        raise Http404()
    return offices


def _open_form(offices: list[Organisation], *args: Any, **kwargs: Any) -> OpenTaxpayerForm:
    communes = list_communes_for_offices(offices, today=timezone.localdate())
    return OpenTaxpayerForm(*args, offices=offices, communes=communes, **kwargs)


@login_required
def agent_home(request: AuthenticatedRequest) -> HttpResponse:
    """Find a taxpayer by NIF, or a person by NINA to open their account."""
    offices = _offices_or_404(request)
    nif_form = FindTaxpayerForm(request.GET or None)
    nina_form = FindPersonForm(request.POST or None)
    person = open_form = None
    if nif_form.is_valid():
        try:
            taxpayer = get_taxpayer_for_agent(request.user, nif_form.cleaned_data["nif"])
        except NotFound as exc:
            nif_form.add_error("nif", exc.message)
        else:
            return redirect("tax:agent_taxpayer", nif=taxpayer.nif)
    if request.method == "POST" and nina_form.is_valid():
        try:
            person = find_person_by_nina_for_agent(
                account=request.user,
                organisation=offices[0],
                nina=nina_form.cleaned_data["nina"],
                purpose=record_text(OPENING_PURPOSE),
            )
        except JamanaError as exc:
            nina_form.add_action_error(exc)
        else:
            existing = find_personal_taxpayer(person)
            if existing is not None and existing.tax_office in offices:
                messages.info(request, _("This person already has a tax account."))
                return redirect("tax:agent_taxpayer", nif=existing.nif)
            if existing is not None:
                nina_form.add_error(
                    "nina",
                    _("This person's tax account is kept by %(office)s.")
                    % {"office": existing.tax_office.name},
                )
                person = None
            else:
                open_form = _open_form(
                    offices,
                    initial={"kind": TaxpayerKind.PERSON, "nina": nina_form.cleaned_data["nina"]},
                )
    return render(
        request,
        "tax/agent_home.html",
        {
            "offices": offices,
            "nif_form": nif_form,
            "nina_form": nina_form,
            "person": person,
            "open_form": open_form,
        },
    )


@login_required
def agent_taxpayer_new(request: AuthenticatedRequest) -> HttpResponse:
    offices = _offices_or_404(request)
    form = _open_form(offices, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = None
            if data["nina"]:
                person = find_person_by_nina_for_agent(
                    account=request.user,
                    organisation=data["tax_office"],
                    nina=data["nina"],
                    purpose=record_text(OPENING_PURPOSE),
                )
            taxpayer = do_open_taxpayer(
                agent=request.user,
                kind=data["kind"],
                tax_office=data["tax_office"],
                commune=data["commune"],
                person=person,
                business_name=data["business_name"],
                phone=data["phone"],
            )
        except JamanaError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Tax account opened: NIF %(nif)s.") % {"nif": format_reference(taxpayer.nif)},
            )
            return redirect("tax:agent_taxpayer", nif=taxpayer.nif)
    return render(request, "tax/agent_taxpayer_new.html", {"form": form})


def _assess(request: AuthenticatedRequest, taxpayer: TaxpayerAccount, form: AssessForm) -> str:
    data = form.cleaned_data
    assessment = check_assess(
        taxpayer,
        data["tax"],
        data["year"],
        agent=request.user,
        due_date=data["due_date"],
        subject=data["subject"],
        **form.params(),
    )
    if not assessment.amount_xof:
        return _("Assessment %(number)s recorded: exempt, nothing to pay.") % {
            "number": format_reference(assessment.number)
        }
    return _("Assessment %(number)s recorded: %(amount)s to pay.") % {
        "number": format_reference(assessment.number),
        "amount": format_xof(assessment.amount_xof),
    }


def _cancel(request: AuthenticatedRequest, form: CancelAssessmentForm) -> str:
    data = form.cleaned_data
    assessment = do_cancel_assessment(
        agent=request.user, number=data["number"], reason=data["reason"]
    )
    return _("Assessment %(number)s cancelled.") % {"number": format_reference(assessment.number)}


def _record_cash(request: AuthenticatedRequest, form: CounterPaymentForm) -> str:
    data = form.cleaned_data
    check_record_counter_payment(
        agent=request.user,
        number=data["number"],
        amount_xof=data["amount_xof"],
        receipt=data["receipt"],
    )
    return _("Payment of %(amount)s recorded against receipt %(receipt)s.") % {
        "amount": format_xof(data["amount_xof"]),
        "receipt": data["receipt"],
    }


@login_required
def agent_taxpayer(request: AuthenticatedRequest, nif: str) -> HttpResponse:
    """The taxpayer's account for the officer, with its three forms; ``action`` (a hidden
    field) says which one was posted."""
    try:
        taxpayer = get_taxpayer_for_agent(request.user, nif)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if nif != taxpayer.nif:  # typed with dashes or lookalike letters: one address per account
        return redirect("tax:agent_taxpayer", nif=taxpayer.nif)
    assessments = list_taxpayer_assessments(taxpayer, today=timezone.localdate())
    action = request.POST.get("action") if request.method == "POST" else None

    def bound(name: str) -> Any:
        return request.POST if action == name else None

    assess_form = AssessForm(bound("assess"), prefix="assess", today=timezone.localdate())
    cancel_form = CancelAssessmentForm(bound("cancel"), prefix="cancel", assessments=assessments)
    pay_form = CounterPaymentForm(bound("pay"), prefix="pay", assessments=assessments)
    handlers: dict[str, tuple[ActionForm, Callable[[], str]]] = {
        "assess": (assess_form, lambda: _assess(request, taxpayer, assess_form)),
        "cancel": (cancel_form, lambda: _cancel(request, cancel_form)),
        "pay": (pay_form, lambda: _record_cash(request, pay_form)),
    }
    if action in handlers:
        form, handle = handlers[action]
        if form.is_valid():
            try:
                done = handle()
            except JamanaError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, done)
                return redirect("tax:agent_taxpayer", nif=taxpayer.nif)
    return render(
        request,
        "tax/agent_taxpayer.html",
        {
            "taxpayer": taxpayer,
            "assessments": assessments,
            "assess_form": assess_form,
            "cancel_form": cancel_form,
            "pay_form": pay_form,
        },
    )


@login_required
def agent_rolls(request: AuthenticatedRequest) -> HttpResponse:
    offices = _offices_or_404(request)
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
