"""Calls for applications in the public JSON API v1: the open calls, and the signed-in
applicant's own applications — status, and signing and submitting from an app (the same
actions as the web pages: an SMS code bound to the content's hash, then submit)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from jamana.calls import actions, queries
from jamana.calls.models import RESULT_STATUSES, Application, ApplicationStatus, Channel
from jamana.core.errors import JamanaError, NotFound
from jamana.core.i18n import localized
from jamana.core.references import format_reference
from jamana.procedures.access import parse_typed_reference

router = Router(tags=["calls"])


class CallOut(Schema):
    code: str
    kind: str
    title: str
    organisation: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    fee_xof: int


class ApplicationOut(Schema):
    reference: str
    call: str
    post: str
    status: str
    eligible: bool | None
    submitted_at: dt.datetime | None
    rank: int | None
    outcome_reason: str


class SigningOut(Schema):
    control: str


class SubmitIn(Schema):
    code: str


class ErrorOut(Schema):
    code: str
    message: str


def _application_out(application: Application) -> dict:
    published = application.call.results_published_at is not None
    status = application.status
    if status in RESULT_STATUSES and not published:
        status = ApplicationStatus.SUBMITTED  # nobody learns their outcome before everyone
    return {
        "reference": format_reference(application.reference),
        "call": application.call.code,
        "post": application.post.code,
        "status": status,
        "eligible": application.eligible,
        "submitted_at": application.submitted_at,
        "rank": application.rank if published else None,
        "outcome_reason": application.outcome_reason if published else "",
    }


def _error(exc: JamanaError) -> dict:
    return {"code": exc.code, "message": exc.message}


@router.get("/calls", response=list[CallOut])
def open_calls(request: HttpRequest) -> list[dict]:
    return [
        {
            "code": call.code,
            "kind": call.kind,
            "title": localized(call, "title"),
            "organisation": call.organisation.name,
            "opens_at": call.opens_at,
            "closes_at": call.closes_at,
            "fee_xof": call.fee_xof,
        }
        for call in queries.list_open_calls()
    ]


@router.get("/me/applications", response=list[ApplicationOut], auth=django_auth)
def my_applications(request: HttpRequest) -> list[dict]:
    account = request.auth  # type: ignore[attr-defined]  # set by ninja's django_auth
    return [_application_out(a) for a in queries.list_my_applications(account)]


@router.get(
    "/me/applications/{reference}",
    response={200: ApplicationOut, 404: ErrorOut},
    auth=django_auth,
)
def my_application(request: HttpRequest, reference: str):
    try:
        found = queries.get_my_application(
            request.auth,  # type: ignore[attr-defined]
            parse_typed_reference(reference),
        )
        if found is None:
            raise NotFound("application_not_found", _("No application with this reference."))
    except NotFound as exc:
        return Status(404, _error(exc))
    return _application_out(found)


@router.post(
    "/me/applications/{reference}/signature",
    response={200: SigningOut, 400: ErrorOut, 404: ErrorOut},
    auth=django_auth,
)
def start_signing(request: HttpRequest, reference: str):
    """Send the SMS code bound to the application's content; returns the control code."""
    try:
        control = actions.check_start_signing(
            account=request.auth,  # type: ignore[attr-defined]
            reference=parse_typed_reference(reference),
        )
    except NotFound as exc:
        return Status(404, _error(exc))
    except JamanaError as exc:
        return Status(400, _error(exc))
    return {"control": control}


@router.post(
    "/me/applications/{reference}/submit",
    response={200: ApplicationOut, 400: ErrorOut, 404: ErrorOut},
    auth=django_auth,
)
def submit(request: HttpRequest, reference: str, payload: SubmitIn):
    """Sign with the SMS code and submit. Sending it again after a lost answer returns the
    same submitted application."""
    try:
        application = actions.check_sign_and_submit(
            account=request.auth,  # type: ignore[attr-defined]
            reference=parse_typed_reference(reference),
            code=payload.code,
            channel=Channel.API,
        )
    except NotFound as exc:
        return Status(404, _error(exc))
    except JamanaError as exc:
        return Status(400, _error(exc))
    return _application_out(application)
