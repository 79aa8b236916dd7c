"""The jury's pages (blind review under pseudonyms) and the officer's review pages (eligibility
decisions, reviews short of reviewers, written-exam marks by candidate number). Thin:
``review`` decides. Anyone not on the jury, not yet declared, or without MANAGE_CALLS in the
call's organisation gets 404, as for what does not exist."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from jamana.calls import publishing, review
from jamana.calls.anonymise import CannotAnonymise, without_metadata
from jamana.calls.forms_review import (
    ConflictForm,
    DeclarationForm,
    EligibilityForm,
    ExamMarksForm,
    MarksForm,
)
from jamana.calls.models import Call, CallStatus, DocumentKind, DocumentSource
from jamana.calls.reasons import describe_checks
from jamana.core.errors import JamanaError, NotFound
from jamana.identity.http import AuthenticatedRequest

logger = logging.getLogger(__name__)


def _refuse(form: forms.Form, exc: JamanaError) -> None:
    """Show a refusal beside the field at fault when the form has it, else above the form."""
    field = getattr(exc, "field", None)
    if field and f"c_{field}" in form.fields:
        field = f"c_{field}"
    problems = getattr(exc, "problems", None)
    if problems:
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
        return
    form.add_error(field if field in form.fields else None, exc.message)


def _stream(file: review.ReviewFile) -> FileResponse:
    try:
        handle = default_storage.open(file.path, "rb")
    except FileNotFoundError:
        raise Http404() from None
    response = FileResponse(handle, as_attachment=True, filename=file.filename)
    response["Content-Type"] = file.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------ jury


def _declaration_prefix(code: str) -> str:
    return f"declaration-{code}"


def _home(
    request: AuthenticatedRequest, refused: DeclarationForm | None = None, refused_code: str = ""
) -> HttpResponse:
    calls = review.list_jury_calls(request.user)
    if not calls:
        raise Http404()
    rows = [
        (
            call,
            None
            if call.declared
            else (
                refused
                if refused is not None and call.code == refused_code
                else DeclarationForm(prefix=_declaration_prefix(call.code))
            ),
        )
        for call in calls
    ]
    return render(request, "calls/jury/home.html", {"rows": rows}, status=400 if refused else 200)


@login_required
def jury_home(request: AuthenticatedRequest) -> HttpResponse:
    return _home(request)


@login_required
@require_POST
def jury_declare(request: AuthenticatedRequest, code: str) -> HttpResponse:
    try:
        call = review.access_jury_call(request.user, code)
    except NotFound:
        raise Http404() from None
    form = DeclarationForm(request.POST, prefix=_declaration_prefix(call.code))
    if form.is_valid():
        try:
            review.check_declare_no_conflict(
                account=request.user, call=call, declaration=form.cleaned_data["declaration"]
            )
        except NotFound:
            raise Http404() from None
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Your declaration is recorded."))
            return redirect("calls:jury_call", code=call.code)
    return _home(request, form, call.code)


@login_required
def jury_call(request: AuthenticatedRequest, code: str) -> HttpResponse:
    try:
        member = review.access_jury_member(request.user, code)
        reviews = review.list_my_reviews(request.user, member.call)
    except NotFound:
        raise Http404() from None
    call = member.call
    return render(
        request,
        "calls/jury/call.html",
        {
            "call": call,
            "member": member,
            "reviews": reviews,
            "to_review": sum(1 for r in reviews if not r.submitted),
        },
    )


def _review_page(
    request: AuthenticatedRequest,
    blind: review.BlindReview,
    *,
    marks_form: MarksForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "calls/jury/review.html",
        {
            "review": blind,
            "marks_form": marks_form or MarksForm(criteria=blind.criteria, prefix="marks"),
            "conflict_form": conflict_form or ConflictForm(prefix="conflict"),
        },
        status=status,
    )


def _access_review(request: AuthenticatedRequest, review_id: int) -> review.BlindReview:
    try:
        return review.access_review(request.user, review_id)
    except NotFound:
        raise Http404() from None


@login_required
def jury_review(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    blind = _access_review(request, review_id)
    if request.method != "POST" or blind.submitted:
        return _review_page(request, blind)
    form = MarksForm(request.POST, criteria=blind.criteria, prefix="marks")
    if form.is_valid():
        try:
            review.check_submit_review(
                account=request.user,
                review_id=review_id,
                marks=form.marks(),
                comment=form.cleaned_data["comment"],
            )
        except NotFound:
            raise Http404() from None
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Your marks are submitted."))
            return redirect("calls:jury_call", code=blind.call_code)
    return _review_page(request, blind, marks_form=form, status=400)


@login_required
@require_POST
def jury_review_conflict(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    blind = _access_review(request, review_id)
    form = ConflictForm(request.POST, prefix="conflict")
    if form.is_valid():
        try:
            review.check_declare_conflict(
                account=request.user, review_id=review_id, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise Http404() from None
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                _("You no longer review %(pseudonym)s; it goes to another reviewer.")
                % {"pseudonym": blind.pseudonym},
            )
            return redirect("calls:jury_call", code=blind.call_code)
    return _review_page(request, blind, conflict_form=form, status=400)


@login_required
def jury_review_document(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    """The project file as reviewers get it: renamed, and rewritten without the metadata
    (PDF author, photo EXIF) that could name the applicant."""
    try:
        file = review.access_review_document(request.user, review_id)
        with default_storage.open(file.path, "rb") as handle:
            data = without_metadata(handle.read(), file.content_type)
    except (NotFound, FileNotFoundError):
        raise Http404() from None
    except CannotAnonymise:
        logger.warning("project file of review %s not anonymised: withheld", review_id)
        raise Http404() from None
    response = HttpResponse(data, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------ officer


def _call_or_404(request: AuthenticatedRequest, code: str) -> Call:
    try:
        return publishing.access_call_for_agent(request.user, code)
    except NotFound:
        raise Http404() from None


def _officer_page(request: AuthenticatedRequest, call: Call) -> HttpResponse:
    undecided = [
        (
            application,
            [text for ok, text in describe_checks(application.eligibility) if ok is not True],
        )
        for application in review.list_undecided(call)
    ]
    jury = list(publishing.list_jury(call))
    marks = dict(
        call.exam_marks.order_by()
        .values("subject")
        .annotate(n=Count("pk"))
        .values_list("subject", "n")
    )
    return render(
        request,
        "calls/jury/officer_review.html",
        {
            "call": call,
            "in_review": call.status == CallStatus.IN_REVIEW,
            "undecided": undecided,
            "unassigned": review.list_unassigned(call)
            if call.status == CallStatus.IN_REVIEW
            else [],
            "jury": jury,
            "declared_reviewers": sum(
                1 for m in jury if m.role == "reviewer" and m.declared_at is not None
            ),
            "subjects": [
                {
                    **s,
                    "text": str(review.Texts.of(s.get("label"), s["code"])),
                    "marks": marks.get(s["code"], 0),
                }
                for s in call.exam_subjects
            ],
        },
    )


@login_required
def agent_review(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _officer_page(request, _call_or_404(request, code))


@login_required
@require_POST
def agent_review_assign(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    try:
        created = review.check_assign_reviews(agent=request.user, call=call)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(count)s review assigned.", "%(count)s reviews assigned.", created)
            % {"count": created},
        )
    return redirect("calls:agent_call_review", code=call.code)


def _eligibility_page(
    request: AuthenticatedRequest, call: Call, reference: str, form: EligibilityForm | None
) -> HttpResponse:
    try:
        application = review.access_application_for_eligibility(
            agent=request.user, call=call, reference=reference
        )
    except NotFound:
        raise Http404() from None
    documents = [
        (
            DocumentKind(d.kind).label if d.kind in DocumentKind.values else d.kind,
            d,
            d.source == DocumentSource.UPLOADED and d.scan_status == "clean" and d.stored_file,
        )
        for d in application.documents.order_by("kind")
    ]
    context: dict[str, Any] = {
        "call": call,
        "application": application,
        "person": application.person,
        "checks": describe_checks(application.eligibility),
        "documents": documents,
        "form": form or EligibilityForm(prefix="decision"),
    }
    return render(
        request,
        "calls/jury/officer_eligibility.html",
        context,
        status=400 if form is not None else 200,
    )


@login_required
def agent_eligibility(request: AuthenticatedRequest, code: str, reference: str) -> HttpResponse:
    call = _call_or_404(request, code)
    if request.method != "POST":
        return _eligibility_page(request, call, reference, None)
    form = EligibilityForm(request.POST, prefix="decision")
    if form.is_valid():
        try:
            review.access_application_for_eligibility(
                agent=request.user, call=call, reference=reference
            )
            review.check_decide_eligibility(
                agent=request.user,
                application_reference=reference,
                eligible=form.cleaned_data["decision"] == "eligible",
                reason=form.cleaned_data["reason"],
            )
        except NotFound:
            raise Http404() from None
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("calls:agent_call_review", code=call.code)
    return _eligibility_page(request, call, reference, form)


@login_required
def agent_eligibility_document(
    request: AuthenticatedRequest, code: str, reference: str, kind: str
) -> FileResponse:
    call = _call_or_404(request, code)
    try:
        file = review.access_document_for_eligibility(
            agent=request.user, call=call, reference=reference, kind=kind
        )
    except NotFound:
        raise Http404() from None
    return _stream(file)


@login_required
def agent_marks(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    subjects = [
        (s["code"], f"{review.Texts.of(s.get('label'), s['code'])} (/{s['max']})")
        for s in call.exam_subjects
    ]
    if not subjects:
        raise Http404()
    form = ExamMarksForm(request.POST or None, subjects=subjects, prefix="marks")
    if request.method == "POST" and form.is_valid():
        try:
            count = review.check_enter_exam_marks(
                agent=request.user,
                call=call,
                subject=form.cleaned_data["subject"],
                lines=form.cleaned_data["lines"],
            )
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                ngettext("%(count)s mark saved.", "%(count)s marks saved.", count)
                % {"count": count},
            )
            return redirect("calls:agent_call_marks", code=call.code)
    return render(
        request,
        "calls/jury/officer_marks.html",
        {
            "call": call,
            "form": form,
            "in_review": call.status == CallStatus.IN_REVIEW,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
