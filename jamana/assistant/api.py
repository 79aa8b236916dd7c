"""The assistant in the public API: ask a question; hand it over to a person."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Schema, Status

from jamana.assistant import actions, queries
from jamana.core.errors import JamanaError
from jamana.core.i18n import LANGUAGE_CODES
from jamana.core.references import format_reference

router = Router(tags=["assistant"])


class QuestionIn(Schema):
    question: str
    language: str = ""  # the reader's interface language, used when the question has no clue


class ProcedureOut(Schema):
    code: str
    title: str
    url: str


class RequestStatusOut(Schema):
    reference: str
    service: str
    status: str


class AnswerOut(Schema):
    language: str
    answer: str
    confident: bool
    procedures: list[ProcedureOut]
    requests: list[RequestStatusOut]


class HandOverIn(Schema):
    question: str
    phone: str = ""  # where the answer goes when not signed in
    procedure: str = ""  # the procedure code it is about, if known
    language: str = ""


class HandOverOut(Schema):
    reference: str
    organisation: str


class ErrorOut(Schema):
    code: str
    message: str


def _account(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


def _language(request: HttpRequest, given: str) -> str:
    return given if given in LANGUAGE_CODES else (request.LANGUAGE_CODE or "fr")[:2]


@router.post("/assistant", response=AnswerOut)
def ask(request: HttpRequest, payload: QuestionIn) -> dict:
    """Answer a question from the procedure catalogue, in the question's language. Signed in
    (session), a question about one's requests also gets their status."""
    answer = queries.ask(
        payload.question, account=_account(request), hint=_language(request, payload.language)
    )
    return {
        "language": answer.language,
        "answer": answer.text,
        "confident": answer.confident,
        "procedures": [{"code": p.code, "title": p.title, "url": p.url} for p in answer.procedures],
        "requests": [
            {"reference": r.reference, "service": r.service, "status": r.status}
            for r in answer.requests
        ],
    }


@router.post("/assistant/questions", response={201: HandOverOut, 400: ErrorOut})
def hand_over(request: HttpRequest, payload: HandOverIn):
    """Send the question to an agent of the organisation concerned; the answer comes by SMS."""
    language = _language(request, payload.language)
    with translation.override(language):
        try:
            question = actions.hand_over_question(
                text=payload.question,
                language=language,
                phone=payload.phone,
                account=_account(request),  # type: ignore[arg-type]
                procedure_code=payload.procedure,
            )
        except JamanaError as exc:
            return Status(400, {"code": exc.code, "message": exc.message})
    return Status(
        201,
        {
            "reference": format_reference(question.reference),
            "organisation": question.organisation.name,
        },
    )
