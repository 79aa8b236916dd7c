"""Casier judiciaire pages: the person asks for a bulletin n°3 or a certificate of
nationality; the greffe records convictions and reviews what the automation left; the
magistrate decides nationality and changes the bulletin rules. Views stay thin."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import (
    CHANGE_BULLETIN_RULES,
    DECIDE_NATIONALITY,
    ISSUE_BULLETIN,
    RECORD_CONVICTION,
)
from jamana.identity.queries import (
    agent_organisations,
    find_person_by_nina_for_agent,
    get_person_for_agent,
    search_persons_for_agent,
)
from jamana.justice import actions, queries, requests
from jamana.justice.casier import compute_bulletin, rules_in_force
from jamana.justice.forms import ConvictionForm, EventForm, FindPersonForm, RuleChangeForm
from jamana.justice.models import Conviction


@login_required
def my_casier(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "justice/my_casier.html",
        {"requests": queries.list_my_justice_requests(request.user)[:20]},
    )


@login_required
@require_POST
def request_bulletin(request: AuthenticatedRequest) -> HttpResponse:
    try:
        created = requests.check_request_bulletin(
            account=request.user, service_code=request.POST.get("service", "")
        )
    except JamanaError as exc:
        messages.error(request, exc.message)
        return redirect("justice:my_casier")
    messages.success(request, _("Your request has been submitted."))
    return redirect("procedures:request_detail", reference=created.reference)


# ---------------------------------------------------------------- greffe and magistrates


@login_required
def agent_home(request: AuthenticatedRequest) -> HttpResponse:
    clerk_courts = agent_organisations(request.user, RECORD_CONVICTION)
    if not (
        clerk_courts
        or agent_organisations(request.user, ISSUE_BULLETIN)
        or agent_organisations(request.user, DECIDE_NATIONALITY)
    ):
        raise Http404()
    form = FindPersonForm(request.GET or None)
    found = []
    if request.GET and form.is_valid() and clerk_courts:
        data = form.cleaned_data
        try:
            if data["nina"]:
                person = find_person_by_nina_for_agent(
                    account=request.user,
                    organisation=clerk_courts[0],
                    nina=data["nina"],
                    purpose="casier: person looked up by NINA",
                )
                return redirect("justice:agent_casier", person_id=person.pk)
            found = search_persons_for_agent(
                account=request.user,
                organisation=clerk_courts[0],
                given_names=data["given_names"],
                family_name=data["family_name"],
                birth_year=data["birth_year"],
                purpose="casier: identity search",
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "justice/agent_home.html",
        {
            "form": form,
            "found": found,
            "queue": list(queries.list_review_queue(request.user)[:100]),
            "can_record": bool(clerk_courts),
            "can_change_rules": bool(agent_organisations(request.user, CHANGE_BULLETIN_RULES)),
        },
    )


@login_required
def agent_casier(request: AuthenticatedRequest, person_id: int) -> HttpResponse:
    courts = agent_organisations(request.user, RECORD_CONVICTION)
    if not courts:
        raise Http404()
    try:
        person = get_person_for_agent(
            account=request.user, organisation=courts[0], person_id=person_id, purpose="casier"
        )
        convictions = queries.get_casier_for_clerk(request.user, person)
    except NotFound as exc:
        raise Http404(exc.message) from None
    conviction_form = ConvictionForm(request.POST if "record" in request.POST else None)
    event_form = EventForm(request.POST if "event" in request.POST else None)
    if request.method == "POST":
        try:
            if "record" in request.POST and conviction_form.is_valid():
                actions.check_record_conviction(
                    agent=request.user, person=person, conviction=conviction_form.conviction()
                )
                messages.success(request, _("Conviction recorded."))
                return redirect("justice:agent_casier", person_id=person.pk)
            if "event" in request.POST and event_form.is_valid():
                data = event_form.cleaned_data
                conviction = Conviction.objects.filter(
                    reference=data["conviction"], pk__in=[c.pk for c in convictions]
                ).first()
                if conviction is None:
                    raise Http404()
                actions.check_record_event(
                    agent=request.user,
                    conviction=conviction,
                    kind=data["kind"],
                    on=data["on"],
                    reference=data["reference"],
                    note=data["note"],
                    new_sentences=event_form.new_sentences(),
                    quashed=data["quashed"],
                )
                messages.success(request, _("Event recorded."))
                return redirect("justice:agent_casier", person_id=person.pk)
        except JamanaError as exc:
            (conviction_form if "record" in request.POST else event_form).add_error(
                None, exc.message
            )
    today = timezone.localdate()
    bulletins = {number: compute_bulletin(person, number, today) for number in (1, 2, 3)}
    return render(
        request,
        "justice/agent_casier.html",
        {
            "person": person,
            "convictions": convictions,
            "bulletins": bulletins,
            "conviction_form": conviction_form,
            "event_form": event_form,
        },
    )


@login_required
def agent_request(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """A bulletin n°3 to review, or a certificate of nationality to decide."""
    case = queries.list_review_queue(request.user).filter(reference=reference).first()
    if case is None:
        raise Http404()
    if request.method == "POST":
        try:
            if case.service.code == requests.B3_SERVICE:
                document = requests.check_issue_reviewed_bulletin(
                    agent=request.user, reference=reference
                )
                messages.success(
                    request, _("Bulletin issued: %(number)s.") % {"number": document.number}
                )
            else:
                grant = request.POST.get("decision") == "grant"
                requests.check_decide_nationality(
                    magistrate=request.user,
                    reference=reference,
                    grant=grant,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Decision recorded."))
            return redirect("justice:agent_home")
        except JamanaError as exc:
            messages.error(request, exc.message)
    context: dict[str, object] = {"case": case}
    if case.service.code == requests.B3_SERVICE:
        requests.record_access_for_review(request.user, case)
        context["bulletin"] = compute_bulletin(case.applicant, 3, timezone.localdate())
    else:
        context["birth_act"] = requests.birth_act_for_decision(request.user, case)
    return render(request, "justice/agent_request.html", context)


@login_required
def agent_rules(request: AuthenticatedRequest) -> HttpResponse:
    courts = agent_organisations(request.user, CHANGE_BULLETIN_RULES)
    if not courts:
        raise Http404()
    rules = rules_in_force(timezone.localdate())
    parameters = rules.parameters()
    form = RuleChangeForm(request.POST or None, parameters=[p.name for p in parameters])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            value = json.loads(data["value"])
        except json.JSONDecodeError:
            value = data["value"]
        try:
            actions.check_change_bulletin_rule(
                magistrate=request.user,
                organisation=courts[0],
                parameter=data["parameter"],
                value=value,
                reason=data["reason"],
                valid_from=data["valid_from"],
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Rule changed."))
            return redirect("justice:agent_rules")
    return render(request, "justice/agent_rules.html", {"parameters": parameters, "form": form})
