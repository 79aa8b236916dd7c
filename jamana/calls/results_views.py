"""Results pages: the public results of a call, the jury president's and officers' ranking page
(finalise, reveal, publish, correct an outcome after a granted appeal) and the applicant's
appeal. Thin: ``results`` decides. Anyone else than the president or an officer of the call's
organisation gets 404 on the ranking page, as for a code that does not exist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from jamana.calls import queries, results
from jamana.calls.models import Call, CallStatus
from jamana.core.errors import JamanaError, NotFound
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import MANAGE_CALLS
from jamana.identity.queries import has_permission


class AmendForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Corrected outcome"),
        choices=[(s.value, s.label) for s in results.RESULT_STATUSES],
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea)


def _report_url(call: Call) -> str:
    # The equal-treatment report is built by another part of the app; link it once it exists.
    try:
        return reverse("calls:report", args=[call.code])
    except NoReverseMatch:
        return ""


def results_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        call = queries.get_public_call(code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    published = call.status == CallStatus.RESULTS_PUBLISHED
    return render(
        request,
        "calls/results.html",
        {
            "call": call,
            "published": published,
            "lists": results.published_lists(call),
            "draw_seed": results.published_draw_seed(call) if published else "",
            "tie_break_rules": results.TIE_BREAK_TEXTS,
            "seed_text": results.SEED_TEXT,
            "age_rule_text": results.AGE_RULE_TEXT,
            "appeal_deadline": results.appeal_deadline(call),
            "report_url": _report_url(call),
        },
    )


def _call_or_404(request: AuthenticatedRequest, code: str) -> Call:
    try:
        return results.access_call_for_results(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _ranking(request: AuthenticatedRequest, call: Call, **bound: forms.Form) -> HttpResponse:
    president = results.is_president(request.user, call)
    officer = has_permission(request.user, MANAGE_CALLS, call.organisation)
    ranked = call.status in (CallStatus.RANKED, CallStatus.RESULTS_PUBLISHED)
    appeals: list[Any] = []
    if officer:
        for appeal in results.list_call_appeals(call):
            form = bound.get(appeal.reference) or AmendForm(prefix=appeal.reference)
            appeals.append((appeal, form))
    context: dict[str, Any] = {
        "call": call,
        "president": president,
        "officer": officer,
        "ranked": ranked,
        "revealed": call.revealed_at is not None,
        "readiness": results.readiness(call) if call.status == CallStatus.IN_REVIEW else None,
        "can_finalise": president and call.status == CallStatus.IN_REVIEW,
        "can_reveal": president and call.status == CallStatus.RANKED and not call.revealed_at,
        "can_publish": call.status == CallStatus.RANKED and call.revealed_at is not None,
        "posts": results.ranking_table(call),
        "draw_seed": results.published_draw_seed(call) if ranked else "",
        "tie_break_rules": results.TIE_BREAK_TEXTS,
        "seed_text": results.SEED_TEXT,
        "appeals": appeals,
    }
    return render(request, "calls/results_ranking.html", context)


@login_required
def ranking_page(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _ranking(request, _call_or_404(request, code))


def _act(request: AuthenticatedRequest, code: str, action: str) -> HttpResponse:
    call = _call_or_404(request, code)
    try:
        if action == "finalise":
            counts = results.check_finalise_ranking(account=request.user, call=call)
            messages.success(
                request,
                gettext(
                    "The ranking is final: %(admitted)s admitted, %(waiting)s on the waiting "
                    "list, %(not_admitted)s not admitted."
                )
                % {
                    "admitted": counts["admitted"],
                    "waiting": counts["waiting"],
                    "not_admitted": counts["not_admitted"],
                },
            )
        elif action == "reveal":
            results.check_reveal_identities(account=request.user, call=call)
            messages.success(request, gettext("Identities are revealed."))
        else:
            sent = results.check_publish_results(account=request.user, call=call)
            messages.success(
                request,
                gettext("Results published: %(sms)s applicants told by SMS.") % {"sms": sent},
            )
    except JamanaError as exc:
        messages.error(request, exc.message)
    return redirect("calls:ranking", code=call.code)


@login_required
@require_POST
def ranking_finalise(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _act(request, code, "finalise")


@login_required
@require_POST
def ranking_reveal(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _act(request, code, "reveal")


@login_required
@require_POST
def results_publish(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _act(request, code, "publish")


@login_required
@require_POST
def appeal_amend(request: AuthenticatedRequest, code: str, appeal: str) -> HttpResponse:
    call = _call_or_404(request, code)
    form = AmendForm(request.POST, prefix=appeal)
    if form.is_valid():
        try:
            results.check_amend_outcome(
                agent=request.user,
                appeal_reference=appeal,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("The outcome is corrected; the applicant is told."))
            return redirect("calls:ranking", code=call.code)
    return _ranking(request, call, **{appeal: form})


@login_required
@require_POST
def file_appeal(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    try:
        appeal = results.check_file_appeal(
            account=request.user, reference=reference, grounds=request.POST.get("grounds", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Your appeal is filed: request %(ref)s.") % {"ref": appeal.reference},
        )
    return redirect("calls:application", reference=reference)
