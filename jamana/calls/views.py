"""Citizen pages for calls for applications: the open calls, one call, and the applicant's own
application (fill in, documents, fee, sign and submit). Views stay thin: actions decide."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from jamana.calls import actions, queries
from jamana.calls.forms import ApplicationForm, SignForm, UploadForm
from jamana.calls.models import (
    STATE_HELD_DOCUMENTS,
    Application,
    ApplicationStatus,
    Channel,
    DocumentKind,
)
from jamana.calls.reasons import describe_checks
from jamana.calls.results import my_result
from jamana.core.errors import JamanaError, NotFound
from jamana.identity.http import AuthenticatedRequest
from jamana.payments.actions import callback_url_for, check_initiate, do_create_intent
from jamana.payments.views import PayForm


def call_list(request: HttpRequest) -> HttpResponse:
    mine = (
        queries.list_my_applications(request.user)
        if request.user.is_authenticated
        else Application.objects.none()
    )
    return render(
        request,
        "calls/list.html",
        {"open_calls": queries.list_open_calls(), "applications": mine},
    )


def call_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        call = queries.get_public_call(code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    mine = (
        Application.objects.filter(call=call, account=request.user).first()
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "calls/call.html",
        {
            "call": call,
            "posts": call.posts.all(),
            "centres": call.centres.all(),
            "documents": [DocumentKind(k).label for k in call.required_documents],
            "mine": mine,
        },
    )


@login_required
@require_POST
def apply(request: AuthenticatedRequest, code: str) -> HttpResponse:
    try:
        call = queries.get_public_call(code)
        application = actions.check_start_application(
            account=request.user,
            call=call,
            post_code=request.POST.get("post", ""),
            channel=Channel.WEB,
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except JamanaError as exc:
        messages.error(request, exc.message)
        return redirect("calls:call", code=code)
    return redirect("calls:application", reference=application.reference)


def _own(request: AuthenticatedRequest, reference: str) -> Application:
    application = queries.get_my_application(request.user, reference)
    if application is None:
        raise Http404()
    return application


@login_required
def application_page(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    application = _own(request, reference)
    form = ApplicationForm(request.POST or None, application=application)
    if request.method == "POST" and form.is_valid():
        try:
            actions.check_update_application(
                account=request.user,
                reference=reference,
                post_code=form.cleaned_data["post"],
                exam_centre_id=form.cleaned_data.get("exam_centre") or None,
                answers=form.answers(),
                diploma_level=form.cleaned_data["diploma_level"],
                declared_not_civil_servant=form.cleaned_data.get("declared_not_civil_servant"),
            )
        except JamanaError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("calls:application", reference=reference)
    call = application.call
    documents = {d.kind: d for d in application.documents.select_related("service_request")}
    required = list(call.required_documents)
    return render(
        request,
        "calls/application.html",
        {
            "application": application,
            "call": call,
            "form": form,
            "editable": application.status in actions.EDITABLE and _is_open(application),
            "state_documents": [
                (DocumentKind(k), documents.get(k)) for k in required if k in STATE_HELD_DOCUMENTS
            ],
            "uploads": [
                (DocumentKind(k), documents.get(k), UploadForm(initial={"kind": k}))
                for k in required
                if k not in STATE_HELD_DOCUMENTS
            ],
            "checks": describe_checks(application.eligibility),
            "problems": [p.message for p in actions.readiness_problems(application)],
            "submitted": application.status == ApplicationStatus.SUBMITTED,
            "result": my_result(application),
        },
    )


def _is_open(application: Application) -> bool:
    try:
        actions.require_open(application.call, timezone.now())
    except JamanaError:
        return False
    return True


@login_required
@require_POST
def fetch_documents(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    _own(request, reference)
    try:
        actions.check_consent_and_fetch(account=request.user, reference=reference)
    except JamanaError as exc:
        messages.error(request, exc.message)
    return redirect("calls:application", reference=reference)


@login_required
@require_POST
def request_nationality(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    _own(request, reference)
    try:
        actions.check_request_nationality_certificate(account=request.user, reference=reference)
    except JamanaError as exc:
        messages.error(request, exc.message)
    return redirect("calls:application", reference=reference)


@login_required
@require_POST
def upload(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    _own(request, reference)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("calls:application", reference=reference)
    upload = form.cleaned_data["file"]
    try:
        actions.check_upload_document(
            account=request.user,
            reference=reference,
            kind=form.cleaned_data["kind"],
            data=upload.read(),
            filename=upload.name or "",
        )
    except JamanaError as exc:
        messages.error(request, exc.message)
    return redirect("calls:application", reference=reference)


@login_required
def pay(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    application = _own(request, reference)
    if application.fee_paid_at is not None or not application.call.fee_xof:
        return redirect("calls:application", reference=reference)
    form = PayForm(
        request.POST or None,
        initial={"phone": request.user.phone, "attempt": secrets.token_hex(12)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.require_open(application.call, timezone.now())
            intent = do_create_intent(
                purpose_type="call_fee",
                purpose_ref=application.reference,
                beneficiary=application.call.organisation,
                amount_xof=application.call.fee_xof,
                provider=form.cleaned_data["provider"],
                idempotency_key=f"web:{request.user.pk}:{form.cleaned_data['attempt']}",
                payer=application.person,
                payer_msisdn=form.cleaned_data["phone"],
            )
            check_initiate(intent, callback_url=callback_url_for(intent.provider))
        except JamanaError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("payments:status", reference=intent.reference)
    return render(request, "calls/pay.html", {"application": application, "form": form})


@login_required
def sign(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Step 1 (POST without a code): send the SMS code bound to the application's hash.
    Step 2 (POST with the code): sign and submit."""
    application = _own(request, reference)
    form = SignForm(request.POST if "code" in request.POST else None)
    control = request.session.get(f"sign:{reference}", "")
    if request.method == "POST" and "code" not in request.POST:
        try:
            control = actions.check_start_signing(account=request.user, reference=reference)
        except JamanaError as exc:
            messages.error(request, exc.message)
            return redirect("calls:application", reference=reference)
        request.session[f"sign:{reference}"] = control
    elif request.method == "POST" and form.is_valid():
        try:
            actions.check_sign_and_submit(
                account=request.user,
                reference=reference,
                code=form.cleaned_data["code"],
                channel=Channel.WEB,
            )
        except JamanaError as exc:
            messages.error(request, exc.message)
        else:
            request.session.pop(f"sign:{reference}", None)
            return redirect("calls:application", reference=reference)
    return render(
        request,
        "calls/sign.html",
        {"application": application, "form": form, "control": control},
    )


@login_required
@require_POST
def withdraw(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    _own(request, reference)
    try:
        actions.check_withdraw_application(account=request.user, reference=reference)
    except JamanaError as exc:
        messages.error(request, exc.message)
    return redirect("calls:application", reference=reference)


@login_required
def signed_file(request: AuthenticatedRequest, reference: str, part: str) -> HttpResponse:
    """The signed application (JSON) and its detached signature (.p7s), for anyone to verify
    with standard tools (openssl cms -verify)."""
    application = _own(request, reference)
    if not application.signature:
        raise Http404()
    if part == "json":
        response = HttpResponse(bytes(application.signed_content), content_type="application/json")
        name = f"application-{reference}.json"
    else:
        response = HttpResponse(
            bytes(application.signature), content_type="application/pkcs7-signature"
        )
        name = f"application-{reference}.p7s"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
