"""POST /api/v1/verify: the verification portal as JSON.

Send the PDF as multipart field ``document``, or the code as multipart/form field ``code``
or as JSON ``{"code": "..."}``."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from jamana.core.references import format_reference
from jamana.documents.verification import VerificationResult, verify_code, verify_pdf

router = Router(tags=["documents"])


class CheckOut(Schema):
    label: str
    passed: bool


class VerifyOut(Schema):
    verdict: str
    valid: bool
    message: str
    number: str | None
    title: str
    issuer: str
    issuer_country: str
    holder_name: str
    issued_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revocation_reason: str
    seal_level: str | None
    signer_name: str
    signer_nina: str
    holder_birth_date: str
    original_sha256: str
    checks: list[CheckOut]


class ErrorOut(Schema):
    code: str
    message: str


def result_out(result: VerificationResult) -> dict:
    return {
        "verdict": result.verdict.value,
        "valid": result.is_valid,
        "message": result.message,
        "number": format_reference(result.document.number) if result.document else None,
        "title": result.title,
        "issuer": result.issuer_name,
        "issuer_country": result.issuer_country,
        "holder_name": result.holder_name,
        "issued_at": result.issued_at,
        "expires_at": result.expires_at,
        "revoked_at": result.revoked_at,
        "revocation_reason": result.revocation_reason,
        "seal_level": result.seal.level if result.seal and result.seal.level else None,
        "signer_name": result.signer_name,
        "signer_nina": result.signer_id,
        "holder_birth_date": result.holder_birth_date,
        "original_sha256": result.pdf_sha256,
        "checks": [{"label": label, "passed": ok} for label, ok in result.checks],
    }


@router.post("/verify", response={200: VerifyOut, 400: ErrorOut, 413: ErrorOut}, auth=None)
def verify(request: HttpRequest):
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MAX_UPLOAD_BYTES:
        return Status(413, {"code": "too_large", "message": _("The file is too large.")})
    code = None
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return Status(400, {"code": "bad_json", "message": _("The request is not valid JSON.")})
        code = payload.get("code") if isinstance(payload, dict) else None
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.FILES.get("document")
        if upload is not None:
            return result_out(verify_pdf(upload.read()))
        code = request.POST.get("code")
    if not isinstance(code, str) or not code.strip():
        return Status(
            400,
            {
                "code": "nothing_to_verify",
                "message": _("Type the document code or choose its PDF file."),
            },
        )
    return result_out(verify_code(code))
