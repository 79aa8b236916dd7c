"""The gateway's callback (a machine), the PIN page (people) and the development simulator."""

from __future__ import annotations

import contextlib
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.identity.http import AuthenticatedRequest
from jamana.notify.queries import list_recent_sms
from jamana.ussd.actions import MalformedCall, check_set_pin, check_ussd_call
from jamana.ussd.forms import PinForm, SimulatorForm
from jamana.ussd.gateway import gateway_allowed
from jamana.ussd.queries import get_pin_state

TEXT_PLAIN = "text/plain; charset=utf-8"
SIMULATOR_PHONE = "+22370000001"  # the demo citizen (seed_demo)


@csrf_exempt  # a gateway posts here, with no browser session: it proves itself instead
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    """Africa's Talking convention: form fields sessionId, serviceCode, phoneNumber, text;
    the reply is plain text starting with ``CON`` (wait for input) or ``END``."""
    if not gateway_allowed(request):
        return HttpResponse("forbidden", status=403, content_type=TEXT_PLAIN)
    try:
        reply = check_ussd_call(
            session_id=request.POST.get("sessionId", ""),
            phone=request.POST.get("phoneNumber", ""),
            text=request.POST.get("text", ""),
            service_code=request.POST.get("serviceCode", ""),
        )
    except MalformedCall:
        return HttpResponse("bad request", status=400, content_type=TEXT_PLAIN)
    return HttpResponse(reply, content_type=TEXT_PLAIN)


@login_required
def pin(request: AuthenticatedRequest) -> HttpResponse:
    """Set or change the USSD PIN, with the password typed again."""
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_set_pin(
                account=request.user,
                password=form.cleaned_data["password"],
                pin=form.cleaned_data["pin"],
                pin_again=form.cleaned_data["pin_again"],
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your USSD PIN is saved."))
            return redirect("ussd:pin")
    return render(
        request,
        "ussd/pin.html",
        {"form": form, "pin_state": get_pin_state(request.user, timezone.now())},
    )


def dev_simulator(request: HttpRequest) -> HttpResponse:
    """Development only: a phone screen that walks the USSD menus through the same handler as
    the gateway's callback, and the SMS sent to that number."""
    if not (settings.DEBUG or settings.SMS_DEV_INBOX):
        raise Http404()
    form = SimulatorForm(request.POST or None, initial={"phone": SIMULATOR_PHONE})
    screen, session_id, text, open_ = "", "", "", False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "dial" in request.POST or not data["session_id"]:
            session_id, text = f"sim-{secrets.token_hex(8)}", ""
        else:
            session_id = data["session_id"]
            text = data["value"] if data["text"] == "" else f"{data['text']}*{data['value']}"
        reply = check_ussd_call(session_id=session_id, phone=data["phone"], text=text)
        open_ = reply.startswith("CON ")
        screen = reply[4:]
        # The next call continues this one: the form carries the session and the text.
        form = SimulatorForm(
            initial={"phone": data["phone"], "session_id": session_id, "text": text}
        )
    phone = form["phone"].value() or SIMULATOR_PHONE
    with contextlib.suppress(InvalidPhoneNumber):  # shown as typed; the handler says why
        phone = normalize_phone(str(phone))
    sms = [m for m in list_recent_sms(limit=200) if m.recipient == phone][:10]
    return render(
        request,
        "ussd/simulator.html",
        {
            "form": form,
            "screen": screen,
            "open": open_,
            "sms": sms,
            "reply_length": len(screen) + 4 if screen else 0,
        },
    )
