"""État civil pages: parents declare births and ask for certificates; registrars work their
centre's queue, the register, mentions and duplicates. Views stay thin: actions decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jamana.civil import actions, certificates, queries
from jamana.civil.access import access_declaration_for_agent
from jamana.civil.forms import ActSearchForm, BirthFactsForm, JudgmentForm, MentionForm, ReasonForm
from jamana.civil.models import CentreKind, DeclarationChannel, MarginalMention, RegistryCentre
from jamana.civil.rules import declaration_delay
from jamana.core.errors import JamanaError, NotFound
from jamana.documents.actions import read_document_file
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import DRAW_UP_ACT, ISSUE_CIVIL_CERTIFICATE


def late_registration(request: HttpRequest) -> HttpResponse:
    """The route for a birth not declared in time: the jugement supplétif."""
    return render(
        request,
        "civil/late_registration.html",
        {"delay_days": declaration_delay(timezone.localdate()).days},
    )


@login_required
def my_civil(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "civil/my_civil.html",
        {
            "acts": queries.list_my_acts(request.user, today),
            "declarations": queries.list_my_declarations(request.user)[:20],
        },
    )


def _centres_drawing_up() -> list[RegistryCentre]:
    return list(
        RegistryCentre.objects.exclude(kind=CentreKind.DECLARATION)
        .select_related("organisation")
        .order_by("organisation__name")
    )


@login_required
def declare(request: AuthenticatedRequest) -> HttpResponse:
    form = BirthFactsForm(request.POST or None, centres=_centres_drawing_up())
    late = False
    if request.method == "POST" and form.is_valid():
        try:
            declaration = actions.check_declare_birth(
                account=request.user,
                centre=form.cleaned_data["centre"],
                facts=form.facts(),
                channel=DeclarationChannel.ONLINE,
            )
        except JamanaError as exc:
            late = exc.code == "late_declaration"
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Declaration %(ref)s sent to %(centre)s.")
                % {"ref": declaration.reference, "centre": declaration.centre},
            )
            return redirect("civil:my_civil")
    return render(request, "civil/declare.html", {"form": form, "late": late, "counter": False})


@login_required
@require_POST
def request_certificate(request: AuthenticatedRequest, act_id: int) -> HttpResponse:
    try:
        created = certificates.check_request_certificate(
            account=request.user, act_id=act_id, kind=request.POST.get("kind", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except JamanaError as exc:
        messages.error(request, exc.message)
        return redirect("civil:my_civil")
    messages.success(request, _("Your request has been submitted."))
    return redirect("procedures:request_detail", reference=created.reference)


# ---------------------------------------------------------------- agents


@login_required
def agent_home(request: AuthenticatedRequest) -> HttpResponse:
    can_draw_up = bool(queries.agent_centres(request.user, DRAW_UP_ACT))
    if not (can_draw_up or queries.list_counter_centres(request.user)):
        raise Http404()
    return render(
        request,
        "civil/agent_home.html",
        {
            "queue": list(queries.list_centre_queue(request.user)[:100]) if can_draw_up else [],
            "duplicates": queries.list_duplicate_queue(request.user).count() if can_draw_up else 0,
            "can_draw_up": can_draw_up,
        },
    )


@login_required
def agent_declare(request: AuthenticatedRequest) -> HttpResponse:
    centres = queries.list_counter_centres(request.user)
    if not centres:
        raise Http404()
    form = BirthFactsForm(request.POST or None, centres=centres, counter=True)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = actions.check_declare_birth(
                account=request.user,
                centre=form.cleaned_data["centre"],
                facts=form.facts(),
                channel=DeclarationChannel.COUNTER,
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Declaration %(ref)s recorded.") % {"ref": declaration.reference}
            )
            return redirect("civil:agent_home")
    return render(request, "civil/declare.html", {"form": form, "counter": True})


@login_required
def agent_declaration(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    try:
        declaration = access_declaration_for_agent(request.user, reference, DRAW_UP_ACT)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "validate":
                act = actions.check_validate_declaration(agent=request.user, reference=reference)
                messages.success(
                    request, _("Act no. %(number)s drawn up.") % {"number": act.register_number}
                )
                return redirect("civil:agent_act", act_id=act.pk)
            if form.is_valid():
                actions.check_reject_declaration(
                    agent=request.user, reference=reference, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Declaration rejected."))
                return redirect("civil:agent_home")
        except JamanaError as exc:
            form.add_error(None, exc.message)
    return render(
        request, "civil/agent_declaration.html", {"declaration": declaration, "form": form}
    )


@login_required
def agent_judgment(request: AuthenticatedRequest) -> HttpResponse:
    centres = queries.agent_centres(request.user, DRAW_UP_ACT)
    if not centres:
        raise Http404()
    form = JudgmentForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        try:
            act = actions.check_transcribe_judgment(
                agent=request.user,
                centre=form.cleaned_data["centre"],
                facts=form.facts(),
                judgment=form.judgment(),
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Act no. %(number)s drawn up.") % {"number": act.register_number}
            )
            return redirect("civil:agent_act", act_id=act.pk)
    return render(request, "civil/agent_judgment.html", {"form": form})


@login_required
def agent_acts(request: AuthenticatedRequest) -> HttpResponse:
    centres = queries.agent_centres(request.user, ISSUE_CIVIL_CERTIFICATE)
    if not centres:
        raise Http404()
    form = ActSearchForm(request.GET or None, centres=centres)
    acts = []
    if request.GET and form.is_valid():
        data = form.cleaned_data
        acts = list(
            queries.find_acts_for_agent(
                request.user,
                data["centre"],
                year=data["year"],
                number=data["number"],
                name=data["name"],
            )[:50]
        )
    return render(request, "civil/agent_acts.html", {"form": form, "acts": acts})


@login_required
def agent_act(request: AuthenticatedRequest, act_id: int) -> HttpResponse:
    try:
        act = queries.get_act_for_agent(
            request.user, act_id, purpose="birth act consulted", permission=ISSUE_CIVIL_CERTIFICATE
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = MentionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cancels = (
            MarginalMention.objects.filter(pk=data["cancels"], act=act).first()
            if data["cancels"]
            else None
        )
        try:
            actions.check_add_mention(
                agent=request.user,
                act=act,
                kind=data["kind"],
                text=data["text"],
                legal_reference=data["legal_reference"],
                authority_reference=data["authority_reference"],
                effective_on=data["effective_on"],
                cancels=cancels,
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Mention added."))
            return redirect("civil:agent_act", act_id=act.pk)
    return render(
        request,
        "civil/agent_act.html",
        {
            "act": act,
            "mentions": certificates.active_mentions(act),
            "form": form,
            "can_add_mention": act.centre in queries.agent_centres(request.user, DRAW_UP_ACT),
        },
    )


@login_required
@require_POST
def agent_print(request: AuthenticatedRequest, act_id: int) -> HttpResponse:
    """Print a certificate at the counter: the sealed PDF, straight to the printer."""
    try:
        act = queries.get_act_for_agent(
            request.user,
            act_id,
            purpose="birth certificate printed",
            permission=ISSUE_CIVIL_CERTIFICATE,
        )
        centre = act.centre
        document = certificates.check_issue_certificate_at_counter(
            agent=request.user, centre=centre, act=act, kind=request.POST.get("kind", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except JamanaError as exc:
        messages.error(request, exc.message)
        return redirect("civil:agent_act", act_id=act_id)
    # The printable copy carries the 2D seal on paper; the electronic original stays online.
    response = HttpResponse(
        read_document_file(document, printable=bool(document.printable_file)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="jamana-{document.number}.pdf"'
    return response


@login_required
def agent_duplicates(request: AuthenticatedRequest) -> HttpResponse:
    if not queries.agent_centres(request.user, DRAW_UP_ACT):
        raise Http404()
    if request.method == "POST":
        try:
            candidate_id = int(request.POST.get("candidate", "0"))
            if request.POST.get("decision") == "undo":
                actions.check_undo_merge(
                    agent=request.user,
                    candidate_id=candidate_id,
                    reason=request.POST.get("reason", ""),
                )
            else:
                actions.check_decide_duplicate(
                    agent=request.user,
                    candidate_id=candidate_id,
                    same_person=request.POST.get("decision") == "same",
                )
        except (JamanaError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("civil:agent_duplicates")
    return render(
        request,
        "civil/agent_duplicates.html",
        {"candidates": list(queries.list_duplicate_queue(request.user)[:50])},
    )
