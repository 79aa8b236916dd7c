from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from jamana.identity.actions import do_set_language
from jamana.notify.queries import list_recent_sms


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (a cookie; works without JavaScript), remembered on the
    account too so that SMS reach the person in the language they chose."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and translation.check_for_language(language):
        do_set_language(request.user, language)
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def dev_sms_inbox(request: HttpRequest) -> HttpResponse:
    """Development only: the SMS the console gateway 'sent', so a demo needs no phone."""
    if not settings.SMS_DEV_INBOX:
        raise Http404()
    return render(request, "core/dev_sms.html", {"messages_sent": list_recent_sms()})
