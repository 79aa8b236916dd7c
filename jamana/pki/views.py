"""Public PKI endpoints: certificates, CRLs, OCSP (RFC 6960) and timestamps (RFC 3161).

They answer machines; bad input gets a protocol-level error or a plain 4xx, never a 500."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jamana.core.errors import NotFound
from jamana.pki.actions import do_refresh_crl
from jamana.pki.queries import (
    get_record,
    ocsp_responder,
    published_trust_list,
    time_stamp_authority,
)

MAX_PROTOCOL_REQUEST = 64 * 1024
_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


def _too_large(request: HttpRequest) -> bool:
    return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_PROTOCOL_REQUEST


@require_GET
def certificate(request: HttpRequest, name: str) -> HttpResponse:
    record = get_record(name) if _NAME.match(name) else None
    if record is None:
        raise Http404("No such certificate.")
    response = HttpResponse(bytes(record.der), content_type="application/pkix-cert")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def crl(request: HttpRequest, ca: str) -> HttpResponse:
    try:
        record = do_refresh_crl(ca) if _NAME.match(ca) else None
    except NotFound:
        record = None
    if record is None:
        raise Http404("No such certification authority.")
    response = HttpResponse(bytes(record.der), content_type="application/pkix-crl")
    # Relying parties may cache until the CRL says the next one is due.
    response["Expires"] = record.next_update.strftime("%a, %d %b %Y %H:%M:%S GMT")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ocsp(request: HttpRequest, encoded: str = "") -> HttpResponse:
    responder = ocsp_responder()
    if request.method == "POST":
        if request.content_type != "application/ocsp-request":
            return HttpResponse(
                "Content-Type must be application/ocsp-request",
                status=415,
                content_type="text/plain",
            )
        if _too_large(request):
            return HttpResponse("Request too large", status=413, content_type="text/plain")
        answer = responder.respond(request.body)
    else:
        if not encoded:
            return HttpResponse(
                "POST an OCSP request, or GET /pki/ocsp/<base64 request>",
                status=400,
                content_type="text/plain",
            )
        answer = responder.respond_to_get(encoded)
    return HttpResponse(answer, content_type="application/ocsp-response")


@csrf_exempt
@require_POST
def tsa(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/timestamp-query":
        return HttpResponse(
            "Content-Type must be application/timestamp-query",
            status=415,
            content_type="text/plain",
        )
    if _too_large(request):
        return HttpResponse("Request too large", status=413, content_type="text/plain")
    answer = time_stamp_authority().respond(request.body)
    return HttpResponse(answer, content_type="application/timestamp-reply")


@require_GET
def trust_list(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(published_trust_list())
    response["Cache-Control"] = "public, max-age=3600"
    return response
