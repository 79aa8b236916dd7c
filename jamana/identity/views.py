"""Sign-in (password, then SMS code), sign-up, password reset, sign-out, and the citizen's
own data pages. Thin: the work is in actions and queries."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.audit.queries import list_accesses_to_person
from jamana.core.errors import JamanaError
from jamana.core.phones import mask_phone
from jamana.identity import actions
from jamana.identity.forms import CodeForm, ResetForm, ResetRequestForm, SignInForm, SignUpForm
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.models import Account, CodePurpose
from jamana.identity.queries import get_own_person, is_agent, list_identifiers

PENDING = "jamana.pending_account"
PENDING_AT = "jamana.pending_at"
RESET = "jamana.reset_account"
PENDING_TTL = 10 * 60  # the password step is valid this long for the SMS code to follow


def _pending_account(request: HttpRequest, key: str) -> Account | None:
    account_id = request.session.get(key)
    started = request.session.get(PENDING_AT, 0)
    if not account_id or time.time() - started > PENDING_TTL:
        return None
    return Account.objects.filter(pk=account_id, is_active=True).first()


def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = actions.check_password_step(
                form.cleaned_data["identifier"], form.cleaned_data["password"]
            )
            actions.do_send_code(account, CodePurpose.LOGIN)
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.cycle_key()
            request.session[PENDING] = account.pk
            request.session[PENDING_AT] = time.time()
            return redirect("identity:sign_in_code")
    return render(request, "identity/sign_in.html", {"form": form})


def sign_in_code(request: HttpRequest) -> HttpResponse:
    account = _pending_account(request, PENDING)
    if account is None:
        messages.error(request, _("Your sign-in has expired. Start again."))
        return redirect("identity:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.check_code(account, CodePurpose.LOGIN, form.cleaned_data["code"])
        except JamanaError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(PENDING, None)
            login(request, account, backend="jamana.identity.backends.AccountBackend")
            response = redirect("agent:queue" if is_agent(account) else "procedures:my_requests")
            response.set_cookie("jamana_language", account.language, samesite="Lax")
            return response
    return render(
        request,
        "identity/sign_in_code.html",
        {
            "form": form,
            "phone": mask_phone(account.phone),
            "code_minutes": max(1, settings.OTP_TTL_SECONDS // 60),
        },
    )


@require_POST
def resend_code(request: HttpRequest) -> HttpResponse:
    account = _pending_account(request, PENDING)
    if account is None:
        return redirect("identity:sign_in")
    actions.do_send_code(account, CodePurpose.LOGIN)
    messages.info(request, _("A new code has been sent."))
    return redirect("identity:sign_in_code")


def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = actions.check_sign_up(
                phone=data["phone"],
                password=data["password"],
                nina=data["nina"],
                given_names=data["given_names"],
                family_name=data["family_name"],
                sex=data["sex"],
                birth_date=data["birth_date"],
                language=getattr(request, "LANGUAGE_CODE", "fr"),
            )
            actions.do_send_code(account, CodePurpose.LOGIN)
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.cycle_key()
            request.session[PENDING] = account.pk
            request.session[PENDING_AT] = time.time()
            return redirect("identity:sign_in_code")
    return render(request, "identity/sign_up.html", {"form": form})


def reset_request(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = actions.do_request_password_reset(form.cleaned_data["identifier"])
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[RESET] = account.pk if account else None
            request.session[PENDING_AT] = time.time()
            messages.info(
                request, _("If an account uses this number or NINA, a code has been sent to it.")
            )
            return redirect("identity:reset_confirm")
    return render(request, "identity/reset_request.html", {"form": form})


def reset_confirm(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = _pending_account(request, RESET)
        try:
            if account is None:
                # Same answer as a wrong code: nobody learns whether the account exists.
                raise JamanaError("wrong_code", _("Wrong code. Check the SMS and try again."))
            actions.check_password_reset(
                account, form.cleaned_data["code"], form.cleaned_data["new_password"]
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(RESET, None)
            messages.success(request, _("Your password has been changed. You can sign in."))
            return redirect("identity:sign_in")
    return render(request, "identity/reset_confirm.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


@login_required
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    person = get_own_person(request.user)
    identifiers = list_identifiers(person) if person else []
    return render(request, "identity/my_data.html", {"person": person, "identifiers": identifiers})


@login_required
def who_accessed(request: AuthenticatedRequest) -> HttpResponse:
    person_id = request.user.person_id
    events = list_accesses_to_person(person_id)[:200] if person_id else []
    return render(request, "identity/who_accessed.html", {"events": events})
