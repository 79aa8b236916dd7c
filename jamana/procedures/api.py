"""Public JSON API v1 (django-ninja, OpenAPI 3 at /api/v1/openapi.json)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from jamana.core.errors import NotFound
from jamana.core.i18n import localized
from jamana.core.references import format_reference
from jamana.procedures.access import access_own_request
from jamana.procedures.queries import get_service, list_my_requests, list_services, list_timeline

router = Router(tags=["procedures"])


class ServiceOut(Schema):
    code: str
    title: str
    description: str
    requirements: str
    fee_xof: int
    target_delay_days: int
    organisation: str


class EventOut(Schema):
    at: dt.datetime
    from_status: str
    to_status: str
    reason: str


class RequestOut(Schema):
    reference: str
    service: str
    status: str
    fee_xof: int
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    due_at: dt.datetime | None


class RequestDetailOut(RequestOut):
    timeline: list[EventOut]


class ErrorOut(Schema):
    code: str
    message: str


def _service_out(service) -> ServiceOut:
    return ServiceOut(
        code=service.code,
        title=localized(service, "title"),
        description=localized(service, "description"),
        requirements=localized(service, "requirements"),
        fee_xof=service.fee_xof,
        target_delay_days=service.target_delay_days,
        organisation=service.organisation.name,
    )


def _request_out(req) -> dict:
    return {
        "reference": format_reference(req.reference),
        "service": req.service.code,
        "status": req.status,
        "fee_xof": req.fee_xof,
        "created_at": req.created_at,
        "submitted_at": req.submitted_at,
        "due_at": req.due_at,
    }


@router.get("/services", response=list[ServiceOut])
def services(request: HttpRequest) -> list[ServiceOut]:
    return [_service_out(s) for s in list_services()]


@router.get("/services/{code}", response={200: ServiceOut, 404: ErrorOut})
def service(request: HttpRequest, code: str):
    found = get_service(code)
    if found is None:
        message = _("This service does not exist or is closed.")
        return Status(404, {"code": "unknown_service", "message": message})
    return _service_out(found)


@router.get("/me/requests", response=list[RequestOut], auth=django_auth)
def my_requests(request: HttpRequest) -> list[dict]:
    account = request.auth  # type: ignore[attr-defined]  # set by ninja's django_auth
    return [_request_out(r) for r in list_my_requests(account)[:100]]


@router.get(
    "/me/requests/{reference}",
    response={200: RequestDetailOut, 404: ErrorOut},
    auth=django_auth,
)
def my_request(request: HttpRequest, reference: str):
    try:
        found = access_own_request(request.auth, reference)  # type: ignore[attr-defined]
    except NotFound as exc:
        return Status(404, {"code": exc.code, "message": exc.message})
    out = _request_out(found)
    out["timeline"] = [
        {"at": e.at, "from_status": e.from_status, "to_status": e.to_status, "reason": e.reason}
        for e in list_timeline(found)
    ]
    return out
