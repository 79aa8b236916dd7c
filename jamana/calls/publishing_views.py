"""The recruitment officer's pages: the organisation's calls, preparing a call (posts, exam
centres, jury) and publishing or cancelling it. Thin: ``publishing`` decides. An agent
without MANAGE_CALLS in the call's organisation gets 404, as for a code that does not exist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.calls import publishing
from jamana.calls.forms_publishing import (
    CallForm,
    CancelForm,
    CentreForm,
    ClosingForm,
    JuryForm,
    PostForm,
)
from jamana.calls.models import Call, CallStatus, DocumentKind
from jamana.calls.publishing import CallError
from jamana.core.errors import JamanaError, NotFound
from jamana.identity.actions import find_account
from jamana.identity.http import AuthenticatedRequest

FORM_PREFIXES = {
    "closing_form": "closing",
    "post_form": "post",
    "centre_form": "centre",
    "jury_form": "jury",
    "cancel_form": "cancel",
}


def _call_or_404(request: AuthenticatedRequest, code: str) -> Call:
    try:
        return publishing.access_call_for_agent(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _refuse(form: forms.Form, exc: JamanaError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a refusal beside the field at fault when the form has it, else above the form."""
    field = getattr(exc, "field", None)
    field = (aliases or {}).get(field or "", field)
    form.add_error(field if field in form.fields else None, exc.message)


def _localised(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lang = (translation.get_language() or "fr")[:2]
    return [{**item, "text": item["label"].get(lang) or item["label"]["fr"]} for item in items]


def _detail(request: AuthenticatedRequest, call: Call, **bound: forms.Form) -> HttpResponse:
    """The call page; a form that was just refused comes in ``bound`` with its errors."""
    phase = publishing.call_phase(call)
    context: dict[str, Any] = {
        "call": call,
        "phase": phase,
        "posts": list(call.posts.all()),
        "centres": list(call.centres.select_related("area")),
        "jury": list(publishing.list_jury(call)),
        "documents": [DocumentKind(kind).label for kind in call.required_documents],
        "questions": _localised(call.questions),
        "criteria": _localised(call.criteria),
        "exam_subjects": _localised(call.exam_subjects),
        "can_edit": phase in ("draft", "announced"),
        "can_change_posts": phase in ("draft", "announced"),
        "can_remove_posts": phase == "draft",
        "can_add_centres": phase in ("draft", "announced", "open"),
        "can_change_closing": phase == "open",
        "can_change_jury": call.status
        not in (CallStatus.RANKED, CallStatus.RESULTS_PUBLISHED, CallStatus.CANCELLED),
        "can_publish": phase == "draft",
        "can_cancel": call.status not in (CallStatus.RESULTS_PUBLISHED, CallStatus.CANCELLED),
    }
    form_classes: dict[str, type[forms.Form]] = {
        "closing_form": ClosingForm,
        "post_form": PostForm,
        "centre_form": CentreForm,
        "jury_form": JuryForm,
        "cancel_form": CancelForm,
    }
    for name, form_class in form_classes.items():
        context[name] = bound.get(name) or form_class(prefix=FORM_PREFIXES[name])
    return render(request, "calls/agent/call_detail.html", context)


@login_required
def agent_calls(request: AuthenticatedRequest) -> HttpResponse:
    organisations = publishing.calls_organisations(request.user)
    if not organisations:
        raise Http404()
    return render(
        request,
        "calls/agent/call_list.html",
        {
            "calls": list(publishing.list_calls_for_agent(request.user)[:200]),
            "several_bodies": len(organisations) > 1,
        },
    )


@login_required
def agent_call_new(request: AuthenticatedRequest) -> HttpResponse:
    organisations = publishing.calls_organisations(request.user)
    if not organisations:
        raise Http404()
    form = CallForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            call = publishing.check_create_call(
                agent=request.user,
                organisation=form.cleaned_data["organisation"],
                **form.call_fields(),
            )
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                _("Call %(code)s prepared. Add its posts and exam centres, then publish it.")
                % {"code": call.code},
            )
            return redirect("calls:agent_call", code=call.code)
    return render(request, "calls/agent/call_form.html", {"form": form, "call": None})


@login_required
def agent_call(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _detail(request, _call_or_404(request, code))


@login_required
def agent_call_edit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = CallForm.for_call(call, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = publishing.check_update_call(agent=request.user, call=call, **form.call_fields())
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Call %(code)s updated.") % {"code": call.code})
            return redirect("calls:agent_call", code=call.code)
    return render(request, "calls/agent/call_form.html", {"form": form, "call": call})


@login_required
@require_POST
def agent_call_closing(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = ClosingForm(request.POST, prefix=FORM_PREFIXES["closing_form"])
    if form.is_valid():
        try:
            publishing.check_update_call(
                agent=request.user, call=call, closes_at=form.cleaned_data["closes_at"]
            )
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Closing time changed."))
            return redirect("calls:agent_call", code=call.code)
    return _detail(request, call, closing_form=form)


@login_required
@require_POST
def agent_call_post_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = PostForm(request.POST, prefix=FORM_PREFIXES["post_form"])
    if form.is_valid():
        try:
            post = publishing.check_add_post(agent=request.user, call=call, **form.cleaned_data)
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Post %(code)s added.") % {"code": post.code})
            return redirect("calls:agent_call", code=call.code)
    return _detail(request, call, post_form=form)


@login_required
@require_POST
def agent_call_post_remove(request: AuthenticatedRequest, code: str, post_id: str) -> HttpResponse:
    call = _call_or_404(request, code)
    post = call.posts.filter(pk=int(post_id)).first()
    if post is None:
        raise Http404()
    try:
        publishing.check_remove_post(agent=request.user, post=post)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Post %(code)s removed.") % {"code": post.code})
    return redirect("calls:agent_call", code=call.code)


@login_required
@require_POST
def agent_call_centre_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = CentreForm(request.POST, prefix=FORM_PREFIXES["centre_form"])
    if form.is_valid():
        try:
            centre = publishing.check_add_centre(
                agent=request.user,
                call=call,
                area=form.cleaned_data["area"],
                name=form.cleaned_data["name"],
            )
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Exam centre %(name)s added.") % {"name": centre.name})
            return redirect("calls:agent_call", code=call.code)
    return _detail(request, call, centre_form=form)


@login_required
@require_POST
def agent_call_jury_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = JuryForm(request.POST, prefix=FORM_PREFIXES["jury_form"])
    if form.is_valid():
        account = find_account(form.cleaned_data["phone"])
        try:
            if account is None:
                # Said exactly as for an account without the jury role: this form must not
                # tell who has an account.
                raise CallError(
                    "not_a_jury_member",
                    publishing.NOT_A_JURY_MEMBER,
                    field="account",
                )
            member = publishing.check_add_jury_member(
                agent=request.user, call=call, account=account, role=form.cleaned_data["role"]
            )
        except JamanaError as exc:
            _refuse(form, exc, aliases={"account": "phone"})
        else:
            messages.success(
                request,
                _("%(member)s now sits on the jury (%(role)s).")
                % {"member": member.account, "role": member.get_role_display()},
            )
            return redirect("calls:agent_call", code=call.code)
    return _detail(request, call, jury_form=form)


@login_required
@require_POST
def agent_call_jury_remove(
    request: AuthenticatedRequest, code: str, member_id: str
) -> HttpResponse:
    call = _call_or_404(request, code)
    member = call.jury.select_related("account").filter(pk=int(member_id)).first()
    if member is None:
        raise Http404()
    try:
        publishing.check_remove_jury_member(agent=request.user, member=member)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(member)s no longer sits on the jury.") % {"member": member.account}
        )
    return redirect("calls:agent_call", code=call.code)


@login_required
@require_POST
def agent_call_publish(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    try:
        publishing.check_publish_call(agent=request.user, call=call)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Call %(code)s published.") % {"code": call.code})
    return redirect("calls:agent_call", code=call.code)


@login_required
@require_POST
def agent_call_cancel(request: AuthenticatedRequest, code: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = CancelForm(request.POST, prefix=FORM_PREFIXES["cancel_form"])
    if form.is_valid():
        try:
            publishing.check_cancel_call(
                agent=request.user, call=call, reason=form.cleaned_data["reason"]
            )
        except JamanaError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Call %(code)s cancelled.") % {"code": call.code})
            return redirect("calls:agent_call", code=call.code)
    return _detail(request, call, cancel_form=form)
