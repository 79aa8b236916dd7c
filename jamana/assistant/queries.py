"""Readers: the assistant's answer to a question, and the agents' question queue.

An answer is written from the knowledge entry retrieval found and from the catalogue: the fee,
delay, documents and organisation always come from the ``Service`` row (what a request would
really cost today), never from the knowledge files or a language model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, ngettext

from jamana.assistant import generation
from jamana.assistant.knowledge import PLACEHOLDER, Entry, default_knowledge
from jamana.assistant.models import HandedOverQuestion, QuestionStatus
from jamana.assistant.retrieval import Retrieval, default_index
from jamana.audit.actions import record_access
from jamana.core.errors import NotFound
from jamana.core.i18n import localized, record_text
from jamana.core.money import format_xof
from jamana.core.references import InvalidReference, format_reference, parse_reference
from jamana.identity.models import Account
from jamana.identity.permissions import ANSWER_QUESTIONS
from jamana.identity.queries import agent_organisations, require_permission
from jamana.notify.actions import find_reference
from jamana.procedures.access import access_own_request
from jamana.procedures.catalogue import START_PAGES
from jamana.procedures.models import Service
from jamana.procedures.queries import list_my_requests, list_services

TRACKING_GUIDE = "procedures.track"
ANSWERING_PURPOSE = gettext_lazy("Answer the question you asked the assistant")
MAX_QUESTION = 1000
SUGGESTIONS = 3


@dataclass(frozen=True)
class ProcedureFacts:
    """One cited procedure, as the answer shows it."""

    code: str
    kind: str  # procedure | guide
    title: str
    url: str  # its page
    start_url: str  # where to start it online
    what: str = ""
    who: str = ""
    documents: str = ""
    fee: str = ""
    delay: str = ""
    where: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class RequestLine:
    reference: str
    service: str
    status: str
    url: str


@dataclass
class Answer:
    question: str
    language: str
    confident: bool
    text: str  # the whole answer as plain text (API, SMS)
    lead: str = ""  # the first paragraph on the web page
    procedures: list[ProcedureFacts] = field(default_factory=list)
    requests: list[RequestLine] = field(default_factory=list)
    requests_note: str = ""
    generated: bool = False
    empty: bool = False  # nothing to search in the question ("bonjour", "merci")
    kind: str = ""  # what a confident answer comes from: procedure, guide, faq or status

    @property
    def codes(self) -> list[str]:
        return [procedure.code for procedure in self.procedures]


def _fee_text(amount: int) -> str:
    return format_xof(amount) if amount else gettext("free")


def _delay_text(days: int) -> str:
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


class _Catalogue:
    """The live catalogue rows, read once per answer."""

    def __init__(self) -> None:
        self.services: dict[str, Service] = {s.code: s for s in list_services()}

    def fill(self, text: str, language: str) -> str:
        """``{fee:CODE}`` and the other placeholders replaced by the catalogue's values."""

        def value(match: re.Match[str]) -> str:
            kind, code = match.groups()
            service = self.services.get(code)
            if service is None:
                return "—"
            if kind == "fee":
                return _fee_text(service.fee_xof)
            if kind == "delay":
                return _delay_text(service.target_delay_days)
            if kind == "documents":
                return localized(service, "requirements", language).rstrip(".")
            return service.organisation.name

        return PLACEHOLDER.sub(value, text)

    def facts(self, entry: Entry, language: str) -> ProcedureFacts | None:
        text = entry.text(language)
        if entry.kind == "guide":
            url = reverse(entry.url)
            return ProcedureFacts(
                code=entry.id, kind="guide", title=text.title, url=url, start_url=url
            )
        service = self.services.get(entry.service)
        if service is None:  # a service closed in this instance
            return None
        start = START_PAGES.get(service.code)
        return ProcedureFacts(
            code=service.code,
            kind="procedure",
            title=localized(service, "title", language),
            url=reverse("service_detail", args=[service.code]),
            start_url=reverse(start)
            if start
            else reverse("procedures:new_request", args=[service.code]),
            what=localized(service, "description", language),
            who=self.fill(text.who, language),
            documents=localized(service, "requirements", language),
            fee=_fee_text(service.fee_xof),
            delay=_delay_text(service.target_delay_days),
            where=self.fill(text.where, language),
            organisation=service.organisation.name,
        )


def describe(codes: list[str], language: str) -> list[ProcedureFacts]:
    """The procedures ``codes`` name, as an answer in ``language`` would show them (for the
    agent who answers a handed-over question)."""
    citable = default_knowledge().citable
    catalogue = _Catalogue()
    with translation.override(language):
        found = (catalogue.facts(citable[code], language) for code in codes if code in citable)
        return [facts for facts in found if facts is not None]


def draft_reply(facts: ProcedureFacts, language: str) -> str:
    """A starting point for the agent's SMS: the catalogue's essentials, in the asker's
    language. The agent edits it before sending."""
    url = settings.JAMANA_PUBLIC_URL.rstrip("/") + facts.start_url
    with translation.override(language):
        if facts.kind == "guide":
            return f"{facts.title}: {url}"
        return gettext("%(title)s. Fee: %(fee)s. Delay: %(delay)s. %(url)s") % {
            "title": facts.title,
            "fee": facts.fee,
            "delay": facts.delay,
            "url": url,
        }


def _cited(retrieval: Retrieval, catalogue: _Catalogue, language: str) -> list[ProcedureFacts]:
    citable = default_knowledge().citable
    cited = []
    for code in retrieval.codes(limit=SUGGESTIONS + 2):
        entry = citable.get(code)
        facts = catalogue.facts(entry, language) if entry is not None else None
        if facts is not None:
            cited.append(facts)
    return cited[:SUGGESTIONS]


ASPECT_ORDER = ("fee", "delay", "documents", "where")


def _fact_lines(facts: ProcedureFacts) -> dict[str, str]:
    return {
        "documents": gettext("What to bring: %(documents)s") % {"documents": facts.documents},
        "fee": gettext("Fee: %(fee)s") % {"fee": facts.fee},
        "delay": gettext("Delay: %(delay)s") % {"delay": facts.delay},
        "where": gettext("Where: %(where)s (%(organisation)s)")
        % {"where": facts.where or gettext("online on Jamana"), "organisation": facts.organisation},
    }


def _procedure_text(facts: ProcedureFacts) -> list[str]:
    if facts.kind == "guide":
        return [f"{facts.title}: {facts.start_url}"]
    lines = [facts.title, facts.what]
    if facts.who:
        lines.append(gettext("Who can ask: %(who)s") % {"who": facts.who})
    lines += [*_fact_lines(facts).values()]
    lines.append(gettext("Start online: %(url)s") % {"url": facts.start_url})
    return lines


def _asked_first(facts: ProcedureFacts, aspects: frozenset[str]) -> str:
    """What the question asked about ("combien coûte…" → the fee), said before the rest."""
    lines = _fact_lines(facts)
    return " ".join(f"{lines[aspect]}." for aspect in ASPECT_ORDER if aspect in aspects)


def _own_requests(account: Account | None, reference: str | None, answer: Answer) -> None:
    """The status of the asker's own requests (of the one ``reference`` names, if any). A
    reference that is not theirs gets exactly the answer of a reference that does not exist;
    nobody else's request is ever read."""
    if account is None or not account.is_authenticated:
        answer.requests_note = gettext("Sign in to see the status of your requests.")
        return
    if reference is not None:
        try:
            found = [access_own_request(account, reference)]
        except NotFound as exc:
            answer.requests_note = exc.message
            return
    else:
        found = list(list_my_requests(account).exclude(status="draft")[:5])
        if not found:
            answer.requests_note = gettext("You have no request yet.")
            return
    answer.requests = [
        RequestLine(
            reference=format_reference(request.reference),
            service=localized(request.service, "title", answer.language),
            status=str(request.get_status_display()),
            url=reverse("procedures:request_detail", args=[request.reference]),
        )
        for request in found
    ]


def _asks_for_status(retrieval: Retrieval, reference: str | None) -> bool:
    if reference is not None:
        return True
    return any(hit.entry.id == TRACKING_GUIDE for hit in retrieval.hits[:2]) and (
        retrieval.confident
    )


_REFERENCE_SHAPED = re.compile(r"\b[0-9a-z]{3}[-. ]?[0-9a-z]{3}[-. ]?[0-9a-z]{3}\b", re.IGNORECASE)


def _without_references(question: str) -> str:
    """The question with request references taken out: a reference says which request, not
    which procedure, and whose request it is must not change the answer."""

    def blank(match: re.Match[str]) -> str:
        try:
            parse_reference(match.group(0))
        except InvalidReference:
            return match.group(0)
        return " "

    return _REFERENCE_SHAPED.sub(blank, question)


def ask(question: str, *, account: Account | None = None, hint: str = "") -> Answer:
    """The assistant's answer to ``question``, in the question's language."""
    question = " ".join(question.split())[:MAX_QUESTION]
    hint = hint or translation.get_language() or settings.LANGUAGE_CODE
    retrieval = default_index().search(_without_references(question), hint=hint[:2])
    language = retrieval.language
    with translation.override(language):
        catalogue = _Catalogue()
        cited = _cited(retrieval, catalogue, language)
        answer = Answer(question=question, language=language, confident=False, text="")
        reference, _typo = find_reference(question)
        status_asked = _asks_for_status(retrieval, reference)
        if retrieval.confident and cited:
            top = retrieval.hits[0].entry
            answer.confident = True
            answer.procedures = cited
            answer.kind = top.kind
            if top.kind == "procedure":
                # The page shows the procedure's facts; the lead answers what was asked.
                answer.lead = _asked_first(cited[0], retrieval.aspects)
                lines = _procedure_text(cited[0])
                if answer.lead:
                    lines.insert(1, answer.lead)
            else:
                answer.lead = catalogue.fill(top.text(language).answer, language)
                lines = [answer.lead]
                for facts in cited[:2]:
                    lines += ["", *_procedure_text(facts)]
            generated = generation.reword(
                topic=top.text(language).questions[0], language=language, facts="\n".join(lines)
            )
            if generated:
                answer.generated = True
                lines = [generated]
            answer.text = "\n".join(lines)
        elif retrieval.terms == 0 and not status_asked:
            answer.empty = True
            answer.text = answer.lead = gettext(
                "Ask me about a procedure, for example: how to get a birth certificate, a "
                "criminal record extract or a tax clearance certificate."
            )
        elif status_asked:
            # "7K3-Q9P-X2M", "où en est ma demande": the status is the answer (set below).
            answer.confident = True
            answer.kind = "status"
            answer.procedures = cited
        else:
            answer.procedures = cited
            if cited:
                answer.lead = gettext(
                    "I am not sure I understood. The closest procedures are below. You can also "
                    "ask an agent, who will answer you by SMS."
                )
                answer.text = "\n".join([answer.lead, *(f"- {p.title}: {p.url}" for p in cited)])
            else:
                answer.text = answer.lead = gettext(
                    "I found nothing about this in the catalogue of procedures. You can ask an "
                    "agent, who will answer you by SMS."
                )
        if status_asked:
            _own_requests(account, reference, answer)
            lines = [f"{r.reference} — {r.service}: {r.status}" for r in answer.requests]
            if answer.kind == "status":
                answer.lead = (
                    gettext("The status of your requests:")
                    if answer.requests
                    else answer.requests_note
                )
                answer.text = "\n".join([answer.lead, *lines])
            else:
                answer.text = "\n".join([answer.text, *(lines or [answer.requests_note])])
    return answer


def list_questions_for_agent(
    account: Account, *, status: str = QuestionStatus.OPEN
) -> QuerySet[HandedOverQuestion]:
    """The questions waiting at the desks of the agent's organisations, oldest first. The list
    shows the question, never the phone number."""
    organisations = agent_organisations(account, ANSWER_QUESTIONS)
    questions = HandedOverQuestion.objects.filter(organisation__in=organisations)
    if status:
        questions = questions.filter(status=status)
    return questions.select_related("organisation").order_by("created_at", "pk")


def get_question_for_agent(account: Account, reference: str) -> HandedOverQuestion:
    """Opening a question to answer it: the asker, when signed in, sees the read."""
    question = (
        HandedOverQuestion.objects.select_related("organisation", "account__person")
        .filter(reference=reference)
        .first()
    )
    if question is None:
        raise NotFound("question_not_found", gettext("No question with this reference."))
    require_permission(account, ANSWER_QUESTIONS, question.organisation)
    person = question.account.person if question.account is not None else None
    if person is not None:
        record_access(
            person=person,
            object_type="assistant_question",
            object_ref=question.reference,
            purpose=record_text(ANSWERING_PURPOSE),
            actor=account,
            organisation=question.organisation,
        )
    return question
