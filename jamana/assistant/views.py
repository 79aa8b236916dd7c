"""The assistant's pages: ask (on every page and at /assistant/), hand a question over to a
person, and the agents' desk where those questions are answered by SMS."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.assistant import actions, queries
from jamana.assistant.forms import AnswerForm, HandOverForm, TransferForm
from jamana.assistant.knowledge import default_knowledge
from jamana.assistant.models import QuestionStatus
from jamana.core.errors import JamanaError, NotFound
from jamana.core.i18n import localized
from jamana.core.phones import mask_phone
from jamana.core.references import format_reference
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.models import Organisation
from jamana.procedures.agent_views import agent_required
from jamana.procedures.queries import list_services


def _topics(language: str) -> list[tuple[str, str]]:
    """What a handed-over question can be about: every service and guide, and "I don't know"."""
    titles = [(s.code, localized(s, "title", language)) for s in list_services()]
    titles += [
        (entry.id, entry.text(language).title)
        for entry in default_knowledge().entries
        if entry.kind == "guide"
    ]
    return [("", _("I don't know")), *sorted(titles, key=lambda item: item[1])]


def _hand_over_form(request: HttpRequest, data=None, initial=None) -> HandOverForm:
    form = HandOverForm(data, initial=initial)
    form.fields["procedure"].choices = _topics(request.LANGUAGE_CODE)  # type: ignore[attr-defined]
    if request.user.is_authenticated:
        del form.fields["phone"]
    return form


def ask(request: HttpRequest) -> HttpResponse:
    question = request.GET.get("q", "").strip()
    answer = None
    form = None
    if question:
        account = request.user if request.user.is_authenticated else None
        answer = queries.ask(question, account=account, hint=request.LANGUAGE_CODE)
        codes = answer.codes
        form = _hand_over_form(
            request,
            initial={"question": question, "procedure": codes[0] if codes else ""},
        )
    return render(
        request,
        "assistant/ask.html",
        {"question": question, "answer": answer, "hand_over_form": form},
    )


@require_POST
def hand_over(request: HttpRequest) -> HttpResponse:
    form = _hand_over_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        account = request.user if request.user.is_authenticated else None
        try:
            question = actions.hand_over_question(
                text=data["question"],
                language=request.LANGUAGE_CODE,
                phone=data.get("phone", ""),
                account=account,  # type: ignore[arg-type]
                procedure_code=data["procedure"],
                suggested=request.POST.getlist("suggested"),
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Your question %(ref)s has been sent to %(organisation)s. The answer will "
                    "come by SMS."
                )
                % {
                    "ref": format_reference(question.reference),
                    "organisation": question.organisation.name,
                },
            )
            return redirect("assistant:ask")
    return render(
        request,
        "assistant/ask.html",
        {"question": request.POST.get("question", ""), "answer": None, "hand_over_form": form},
        status=400,
    )


@agent_required
def desk(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", QuestionStatus.OPEN)
    if status not in QuestionStatus.values:
        status = QuestionStatus.OPEN
    questions = queries.list_questions_for_agent(request.user, status=status)[:200]
    return render(
        request,
        "assistant/desk.html",
        {"questions": questions, "status": status, "statuses": QuestionStatus.choices},
    )


def _open(request: AuthenticatedRequest, reference: str):
    try:
        return queries.get_question_for_agent(request.user, reference)
    except JamanaError as exc:
        raise Http404(exc.message) from None


def _transfer_form(data=None) -> TransferForm:
    form = TransferForm(data)
    form.fields["organisation"].choices = [  # type: ignore[attr-defined]
        (o.code, o.name) for o in Organisation.objects.order_by("name")
    ]
    return form


@agent_required
def question_detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    question = _open(request, reference)
    if request.method == "POST":
        answer_form = AnswerForm(request.POST)
    else:
        # The answer box starts from the catalogue entry, in the asker's language.
        in_their_language = queries.describe([question.procedure_code], question.language)
        draft = (
            queries.draft_reply(in_their_language[0], question.language)
            if in_their_language
            else ""
        )
        answer_form = AnswerForm(initial={"answer": draft})
    if request.method == "POST" and answer_form.is_valid():
        try:
            actions.answer_question(
                agent=request.user,
                reference=question.reference,
                answer=answer_form.cleaned_data["answer"],
            )
        except JamanaError as exc:
            answer_form.add_error(None, exc.message)
        else:
            messages.success(request, _("The answer has been sent by SMS."))
            return redirect("assistant_desk:desk")
    return render(
        request,
        "assistant/question.html",
        {
            "question": question,
            "phone": mask_phone(question.phone),
            "answer_form": answer_form,
            "transfer_form": _transfer_form(),
            "topic": queries.describe([question.procedure_code], request.LANGUAGE_CODE),
            "suggested": queries.describe(question.suggested, request.LANGUAGE_CODE),
        },
    )


@agent_required
@require_POST
def transfer(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    form = _transfer_form(request.POST)
    if form.is_valid():
        try:
            question = actions.transfer_question(
                agent=request.user,
                reference=reference,
                organisation_code=form.cleaned_data["organisation"],
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except JamanaError as exc:
            messages.error(request, exc.message)
            return redirect("assistant_desk:question", reference=reference)
        messages.success(
            request,
            _("Question sent to %(organisation)s.") % {"organisation": question.organisation},
        )
    return redirect("assistant_desk:desk")
