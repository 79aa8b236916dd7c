"""Writers: handing a question over to a person, and the agent's answer by SMS."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.assistant.knowledge import default_knowledge
from jamana.assistant.models import HandedOverQuestion, QuestionStatus
from jamana.assistant.queries import Answer, ask, draft_reply
from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.core.i18n import LANGUAGE_CODES
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.core.references import format_reference, new_reference, parse_reference
from jamana.identity.models import Account, Organisation
from jamana.identity.permissions import ANSWER_QUESTIONS
from jamana.identity.queries import require_permission
from jamana.notify.actions import queue_sms
from jamana.procedures.queries import get_service

MIN_QUESTION = 5
MAX_QUESTION = 1000
# Three SMS segments: an answer is a short text and, when needed, where to read more.
MAX_ANSWER = 450


def organisation_for(procedure_code: str) -> Organisation:
    """Who answers a question about ``procedure_code``: the service's organisation, the
    guide's, a faq's first procedure's; otherwise the general information desk."""
    knowledge = default_knowledge()
    code = procedure_code
    entry = knowledge.citable.get(code) or knowledge.get(code)
    if entry is not None and entry.kind == "faq" and entry.procedures:
        code = entry.procedures[0]
        entry = knowledge.citable.get(code)
    organisation_code = settings.JAMANA_ASSISTANT_GENERAL_ORGANISATION
    if entry is not None and entry.kind == "procedure":
        service = get_service(entry.service)
        if service is not None:
            return service.organisation
    elif entry is not None and entry.organisation:
        organisation_code = entry.organisation
    found = Organisation.objects.filter(code=organisation_code).first()
    if found is None:
        raise JamanaError(
            "no_information_desk", _("No information desk is set up to answer questions.")
        )
    return found


def hand_over_question(
    *,
    text: str,
    language: str,
    phone: str = "",
    account: Account | None = None,
    procedure_code: str = "",
    suggested: list[str] | None = None,
) -> HandedOverQuestion:
    """Put a question in the agent queue of the organisation it is about. A signed-in person
    is answered on their account's phone; anyone else gives the number to answer."""
    text = " ".join(text.split())
    if len(text) < MIN_QUESTION:
        raise JamanaError("question_too_short", _("Write your question in a few words."))
    if len(text) > MAX_QUESTION:
        raise JamanaError(
            "question_too_long",
            _("Your question is too long (at most %(max)d characters)."),
            max=MAX_QUESTION,
        )
    if account is not None and account.is_authenticated:
        to = account.phone
    else:
        account = None
        try:
            to = normalize_phone(phone)
        except InvalidPhoneNumber:
            raise JamanaError(
                "invalid_phone", _("Give the phone number where the answer should be sent.")
            ) from None
    known = default_knowledge().citable
    if procedure_code and procedure_code not in known:
        raise JamanaError("unknown_procedure", _("This procedure does not exist."))
    organisation = organisation_for(procedure_code)
    with transaction.atomic():
        # One phone cannot fill an information desk's queue: a few questions at a time.
        waiting = list(
            HandedOverQuestion.objects.select_for_update()
            .select_related("organisation")
            .filter(phone=to, status=QuestionStatus.OPEN)
        )
        # The same question sent again (a resent form, a repeated API call) is the same one.
        repeated = next((q for q in waiting if q.text == text), None)
        if repeated is not None:
            return repeated
        if len(waiting) >= settings.JAMANA_ASSISTANT_OPEN_QUESTIONS_PER_PHONE:
            raise JamanaError(
                "too_many_questions",
                _("You already have questions waiting for an answer. You will get an SMS."),
            )
        question = HandedOverQuestion.objects.create(
            reference=new_reference(),
            text=text,
            language=language if language in LANGUAGE_CODES else "fr",
            phone=to,
            account=account,
            organisation=organisation,
            procedure_code=procedure_code,
            suggested=[code for code in (suggested or []) if code in known][:5],
            created_at=timezone.now(),
        )
        record_event(
            action="assistant.question_handed_over",
            object_type="assistant_question",
            object_ref=question.reference,
            actor=account,
            organisation=organisation,
            detail={"procedure": procedure_code, "language": question.language},
        )
    return question


def _open_for_agent(agent: Account, typed_reference: str) -> HandedOverQuestion:
    """The question, locked, if the agent's organisation may answer it and nobody has."""
    try:
        reference = parse_reference(typed_reference)
    except ValueError:
        reference = ""
    question = (
        HandedOverQuestion.objects.select_for_update()
        .select_related("organisation")
        .filter(reference=reference)
        .first()
    )
    if question is None:
        raise NotFound("question_not_found", _("No question with this reference."))
    require_permission(agent, ANSWER_QUESTIONS, question.organisation)
    if question.status != QuestionStatus.OPEN:
        raise JamanaError("already_answered", _("This question has already been answered."))
    return question


def answer_question(*, agent: Account, reference: str, answer: str) -> HandedOverQuestion:
    """The agent's answer, sent by SMS in the language of the question. Once only: a second
    answer (two agents at once, a resent form) is refused and sends nothing."""
    answer = " ".join(answer.split())
    if not answer:
        raise JamanaError("answer_empty", _("Write the answer."))
    if len(answer) > MAX_ANSWER:
        raise JamanaError(
            "answer_too_long",
            _("The answer is sent by SMS: at most %(max)d characters."),
            max=MAX_ANSWER,
        )
    with transaction.atomic():
        question = _open_for_agent(agent, reference)
        question.status = QuestionStatus.ANSWERED
        question.answer = answer
        question.answered_by = agent
        question.answered_at = timezone.now()
        question.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        with translation.override(question.language):
            body = gettext("Jamana, your question %(ref)s: %(answer)s") % {
                "ref": format_reference(question.reference),
                "answer": answer,
            }
        queue_sms(to=question.phone, body=body, language=question.language)
        record_event(
            action="assistant.question_answered",
            object_type="assistant_question",
            object_ref=question.reference,
            actor=agent,
            organisation=question.organisation,
        )
    return question


def transfer_question(
    *, agent: Account, reference: str, organisation_code: str
) -> HandedOverQuestion:
    """A question that reached the wrong desk goes to the organisation that can answer it."""
    with transaction.atomic():
        question = _open_for_agent(agent, reference)
        target = Organisation.objects.filter(code=organisation_code).first()
        if target is None:
            raise JamanaError("unknown_organisation", _("This organisation does not exist."))
        if target.pk == question.organisation_id:
            return question
        previous = question.organisation
        question.organisation = target
        question.save(update_fields=["organisation"])
        record_event(
            action="assistant.question_transferred",
            object_type="assistant_question",
            object_ref=question.reference,
            actor=agent,
            organisation=previous,
            detail={"to": target.code},
        )
    return question


SMS_LEAD = 280


def _sms_text(answer: Answer) -> str:
    first = answer.procedures[0]
    if answer.kind == "procedure":
        return "Jamana: " + draft_reply(first, answer.language)
    url = settings.JAMANA_PUBLIC_URL.rstrip("/") + first.start_url
    lead = answer.lead if len(answer.lead) <= SMS_LEAD else answer.lead[: SMS_LEAD - 1] + "…"
    return f"Jamana: {lead} {url}"


def answer_sms(
    *, text: str, phone: str, account: Account | None, language: str
) -> tuple[str, str, str] | None:
    """The assistant's reply to an SMS that is not a request reference: (outcome, reply,
    language). A confident answer is sent back; otherwise the question goes to an agent, who
    answers by SMS. None for a text with nothing to search (a greeting): the caller's help."""
    answer = ask(text, account=account, hint=language)
    if answer.empty:
        return None
    with translation.override(answer.language):
        if answer.confident and answer.procedures:
            return "answered", _sms_text(answer), answer.language
        try:
            question = hand_over_question(
                text=text,
                language=answer.language,
                phone=phone,
                account=account,
                suggested=answer.codes,
            )
        except JamanaError as exc:
            return "help", f"Jamana: {exc.message}", answer.language
        reply = gettext(
            "Jamana: we are not sure we understood. Your question %(ref)s has been sent to "
            "%(organisation)s; the answer will come by SMS."
        ) % {"ref": format_reference(question.reference), "organisation": question.organisation}
    return "handed_over", reply, answer.language
