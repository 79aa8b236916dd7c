"""The HTTP gateway's callback (machines), the agents' messages page and the dev page that
plays a person texting us (people)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import VIEW_MESSAGES
from jamana.identity.queries import agent_organisations
from jamana.notify.actions import (
    check_settle_unknown,
    do_apply_delivery_report,
    do_handle_inbound_sms,
)
from jamana.notify.gateways import DeliveryReport, InboundSms
from jamana.notify.gateways.http import ForgedCallback, MalformedCallback, parse_callback
from jamana.notify.models import MessageStatus
from jamana.notify.queries import count_by_status, list_messages_for_agents

MAX_CALLBACK_BYTES = 16 * 1024


@csrf_exempt
@require_POST
def http_callback(request: HttpRequest) -> HttpResponse:
    """Delivery reports and inbound SMS from the HTTP gateway, signed (HMAC-SHA256)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_CALLBACK_BYTES:
        return JsonResponse({"status": "too_large"}, status=413)
    try:
        event = parse_callback(
            secret=str(settings.SMS_HTTP["callback_secret"]),
            headers=dict(request.headers.items()),
            body=request.body,
            now=timezone.now(),
        )
    except ForgedCallback:
        return JsonResponse({"status": "refused"}, status=401)
    except MalformedCallback:
        return JsonResponse({"status": "malformed"}, status=400)
    if isinstance(event, DeliveryReport):
        do_apply_delivery_report(event)
    else:
        do_handle_inbound_sms(event)
    # A duplicate is acknowledged like the first: the gateway must stop resending it.
    return JsonResponse({"status": "ok"})


@login_required
def agent_messages(request: AuthenticatedRequest) -> HttpResponse:
    """Recent SMS and e-mails with their status and segments (numbers masked, no text);
    messages whose outcome is unknown can be sent again or closed as failed."""
    if not agent_organisations(request.user, VIEW_MESSAGES):
        raise Http404()
    if request.method == "POST":
        try:
            message = check_settle_unknown(
                agent=request.user,
                message_id=int(request.POST.get("message", "0") or 0),
                resend=request.POST.get("decision") == "resend",
            )
        except (JamanaError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", _("This message cannot be changed.")))
        else:
            if message.status == MessageStatus.QUEUED:
                messages.success(request, _("The message will be sent again."))
            else:
                messages.success(request, _("The message is closed as failed."))
        return redirect("notify:agent_messages")
    status = request.GET.get("status", "")
    if status not in MessageStatus.values:
        status = ""
    return render(
        request,
        "notify/agent_messages.html",
        {
            "rows": list_messages_for_agents(status=status),
            "counts": count_by_status(),
            "status": status,
        },
    )


class InboundForm(forms.Form):
    phone = forms.CharField(label=_("From (phone number)"), max_length=20)
    text = forms.CharField(label=_("Text"), max_length=160)


def dev_inbound(request: HttpRequest) -> HttpResponse:
    """Development only: play a person texting a request reference to our number."""
    if not settings.SMS_DEV_INBOX:
        raise Http404()
    form = InboundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_handle_inbound_sms(
            InboundSms(
                gateway="dev",
                sender=form.cleaned_data["phone"],
                recipient=settings.SMS_SENDER_ID,
                text=form.cleaned_data["text"],
            )
        )
        return redirect("dev_sms")
    return render(request, "notify/dev_inbound.html", {"form": form})
