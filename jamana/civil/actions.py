"""The only writers of the état civil: declarations, acts, marginal mentions, duplicates.

Every action is one transaction with its audit event; messages to the declarant go out only
when it commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.civil import rules
from jamana.civil.access import access_centre_for_agent
from jamana.civil.models import (
    ActSource,
    BirthAct,
    BirthDeclaration,
    CentreKind,
    DeclarantRole,
    DeclarationChannel,
    DeclarationStatus,
    DuplicateCandidate,
    DuplicateStatus,
    MarginalMention,
    MentionKind,
    RegisterImport,
    RegistryCentre,
)
from jamana.core.errors import JamanaError, NotFound
from jamana.core.models import AdminArea
from jamana.core.names import (
    PROBABLE_DUPLICATE_THRESHOLD,
    BirthDatePrecision,
    NameRecord,
    blocking_key,
    match_score,
)
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.core.references import format_reference, new_reference
from jamana.identity.actions import do_register_person
from jamana.identity.models import Account, DatePrecision, Organisation, OrganisationKind, Person
from jamana.identity.permissions import DECLARE_BIRTH, DRAW_UP_ACT
from jamana.identity.queries import find_person_by_nina, require_permission
from jamana.notify.actions import queue_sms


class CivilError(JamanaError):
    pass


@dataclass(frozen=True, kw_only=True)
class ParentInput:
    name: str = ""
    nina: str = ""
    birth_date: dt.date | None = None
    profession: str = ""
    domicile: str = ""


@dataclass(frozen=True, kw_only=True)
class BirthFacts:
    """What a declaration, a judgment or an old register says about a birth."""

    child_given_names: str
    child_family_name: str
    child_sex: str
    birth_date: dt.date
    birth_commune: AdminArea | None
    birth_place: str
    birth_time: dt.time | None = None
    father: ParentInput = field(default_factory=ParentInput)
    mother: ParentInput = field(default_factory=ParentInput)
    declarant_name: str = ""
    declarant_role: str = ""
    declarant_phone: str = ""
    health_notice_number: str = ""


def _clean(facts: BirthFacts, *, today: dt.date) -> BirthFacts:
    if not facts.child_given_names.strip() or not facts.child_family_name.strip():
        raise CivilError("child_name_required", _("Give the child's given names and family name."))
    if facts.child_sex not in ("F", "M"):
        raise CivilError("child_sex_required", _("Give the child's sex."))
    if facts.birth_date > today:
        raise CivilError("birth_in_future", _("The date of birth cannot be in the future."))
    if not facts.birth_place.strip():
        raise CivilError("birth_place_required", _("Give the place of birth."))
    if not facts.mother.name.strip():
        raise CivilError("mother_required", _("Give the mother's name."))
    phone = ""
    if facts.declarant_phone.strip():
        try:
            phone = normalize_phone(facts.declarant_phone)
        except InvalidPhoneNumber:
            raise CivilError("invalid_phone", _("This phone number is not valid.")) from None
    return BirthFacts(
        child_given_names=" ".join(facts.child_given_names.split()),
        child_family_name=" ".join(facts.child_family_name.split()),
        child_sex=facts.child_sex,
        birth_date=facts.birth_date,
        birth_commune=facts.birth_commune,
        birth_place=facts.birth_place.strip(),
        birth_time=facts.birth_time,
        father=facts.father,
        mother=facts.mother,
        declarant_name=" ".join(facts.declarant_name.split()),
        declarant_role=facts.declarant_role,
        declarant_phone=phone,
        health_notice_number=facts.health_notice_number.strip(),
    )


def _parent_fields(facts: BirthFacts) -> dict[str, object]:
    out: dict[str, object] = {}
    for label, parent in (("father", facts.father), ("mother", facts.mother)):
        out[label] = find_person_by_nina(parent.nina) if parent.nina.strip() else None
        out[f"{label}_name"] = " ".join(parent.name.split())
        out[f"{label}_nina"] = parent.nina.strip().upper()
        out[f"{label}_birth_date"] = parent.birth_date
        out[f"{label}_profession"] = parent.profession.strip()
        out[f"{label}_domicile"] = parent.domicile.strip()
    return out


def _acting_centre(centre: RegistryCentre) -> RegistryCentre:
    """The centre that draws up the act: a declaration centre hands over to its parent."""
    while not centre.draws_up_acts:
        if centre.parent is None:
            raise CivilError(
                "centre_not_attached", _("This declaration centre is not attached to a registry.")
            )
        centre = centre.parent
    return centre


def late_declaration_error(deadline: dt.date) -> CivilError:
    return CivilError(
        "late_declaration",
        _(
            "The legal delay to declare this birth ended on %(deadline)s. The act can now only "
            "be drawn up on a jugement supplétif: ask the court (tribunal) of the place of "
            "birth, then bring the judgment to the civil registry centre, which transcribes it."
        ),
        deadline=deadline.strftime("%d/%m/%Y"),
    )


# ---------------------------------------------------------------- centres


def do_register_centre(
    *,
    organisation: Organisation,
    kind: str,
    commune: AdminArea | None = None,
    parent: RegistryCentre | None = None,
) -> RegistryCentre:
    """Make a civil-registry organisation a centre of the network (idempotent)."""
    if organisation.kind != OrganisationKind.CIVIL_REGISTRY:
        raise CivilError("not_a_registry", _("Only a civil registry can be a centre."))
    if kind not in CentreKind.values:
        raise CivilError("invalid_centre_kind", _("Unknown kind of centre."))
    if kind in (CentreKind.SECONDARY, CentreKind.DECLARATION) and parent is None:
        raise CivilError(
            "centre_parent_required", _("This kind of centre reports to another centre.")
        )
    with transaction.atomic():
        centre, created = RegistryCentre.objects.update_or_create(
            organisation=organisation,
            defaults={"kind": kind, "commune": commune or organisation.area, "parent": parent},
        )
        record_event(
            action="civil.centre_registered",
            object_type="registry_centre",
            object_ref=organisation.code,
            organisation=organisation,
            detail={"kind": kind, "created": created},
        )
    return centre


# ---------------------------------------------------------------- declarations


def check_declare_birth(
    *,
    account: Account,
    centre: RegistryCentre,
    facts: BirthFacts,
    channel: str = DeclarationChannel.ONLINE,
    today: dt.date | None = None,
) -> BirthDeclaration:
    """A birth declared online by a parent, or recorded at the counter by an agent of
    ``centre`` (or of a declaration centre attached to it). Past the legal delay it is refused
    with the route to a jugement supplétif (CPF art. 133)."""
    today = today or timezone.localdate()
    facts = _clean(facts, today=today)
    if channel == DeclarationChannel.COUNTER:
        require_permission(account, DECLARE_BIRTH, centre.organisation, centre.commune)
    elif facts.declarant_role not in (DeclarantRole.FATHER, DeclarantRole.MOTHER):
        raise CivilError(
            "parent_declares_online", _("Online, a birth is declared by the father or the mother.")
        )
    if facts.declarant_role not in DeclarantRole.values:
        raise CivilError("declarant_role_required", _("Say who declares the birth."))
    deadline = rules.declaration_deadline(facts.birth_date)
    if today > deadline:
        raise late_declaration_error(deadline)
    acting = _acting_centre(centre)
    parents = _parent_fields(facts)
    declarant = None
    declarant_name = facts.declarant_name
    if channel == DeclarationChannel.ONLINE:
        # The parent declaring online is the signed-in person: link them as such.
        declarant = account.person
        declarant_name = declarant_name or (declarant.full_name if declarant else "")
        parents[facts.declarant_role] = parents[facts.declarant_role] or declarant
    if not declarant_name:
        raise CivilError("declarant_name_required", _("Give the declarant's name."))
    with transaction.atomic():
        declaration = BirthDeclaration.objects.create(
            reference=new_reference(),
            centre=acting,
            channel=channel,
            health_notice_number=facts.health_notice_number,
            child_given_names=facts.child_given_names,
            child_family_name=facts.child_family_name,
            child_sex=facts.child_sex,
            birth_date=facts.birth_date,
            birth_time=facts.birth_time,
            birth_commune=facts.birth_commune or acting.commune,  # type: ignore[misc]
            birth_place=facts.birth_place,
            declarant=declarant,
            declarant_name=declarant_name,
            declarant_role=facts.declarant_role,
            declarant_phone=facts.declarant_phone or account.phone,
            declared_on=today,
            submitted_by=account,
            created_at=timezone.now(),
            **parents,
        )
        record_event(
            action="civil.birth_declared",
            object_type="birth_declaration",
            object_ref=declaration.reference,
            actor=account,
            organisation=acting.organisation,
            detail={"channel": channel, "centre": acting.organisation.code},
        )
        _tell_declarant(
            declaration,
            gettext(
                "Jamana: birth declaration %(ref)s received by %(centre)s. You will get an SMS "
                "when the act is drawn up."
            ),
        )
    return declaration


def _tell_declarant(declaration: BirthDeclaration, template: str, **values: object) -> None:
    if not declaration.declarant_phone:
        return
    account = declaration.submitted_by
    language = account.language if account.person_id == declaration.declarant_id else "fr"
    with translation.override(language):
        text = gettext(template) % {
            "ref": format_reference(declaration.reference),
            "centre": declaration.centre.organisation.name,
            **values,
        }
    queue_sms(to=declaration.declarant_phone, body=text, language=language)


def _locked_declaration(reference: str) -> BirthDeclaration:
    declaration = (
        BirthDeclaration.objects.select_for_update(of=("self",))
        .select_related("centre", "centre__organisation", "submitted_by")
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound("declaration_not_found", _("No declaration with this reference."))
    return declaration


def _next_number(centre: RegistryCentre, year: int) -> int:
    # The centre row is locked first, so two registrars validating at once get 1 and 2.
    RegistryCentre.objects.select_for_update().filter(pk=centre.pk).first()
    top = BirthAct.objects.filter(centre=centre, year=year).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def _register_child(
    *, facts_source: BirthDeclaration | BirthFacts, parents: Mapping[str, object], agent: Account
) -> Person:
    src = facts_source
    return do_register_person(
        given_names=src.child_given_names,
        family_name=src.child_family_name,
        sex=src.child_sex,
        birth_date=src.birth_date,
        birth_commune=src.birth_commune,
        father=parents.get("father"),  # type: ignore[arg-type]
        father_name=str(parents.get("father_name", "")),
        mother=parents.get("mother"),  # type: ignore[arg-type]
        mother_name=str(parents.get("mother_name", "")),
        actor=agent,
    )


def check_validate_declaration(*, agent: Account, reference: str) -> BirthAct:
    """The registrar (officier d'état civil) of the declaration's centre draws up the act: it
    takes the next number of the centre's register for the year, the child becomes a person
    linked to the parents, and probable existing records of the child go to the duplicate
    queue."""
    with transaction.atomic():
        declaration = _locked_declaration(reference)
        centre = declaration.centre
        access_centre_for_agent(agent, centre, DRAW_UP_ACT)
        if declaration.status != DeclarationStatus.PENDING:
            raise CivilError("already_decided", _("This declaration has already been decided."))
        parents = {
            "father": declaration.father,
            "father_name": declaration.father_name,
            "mother": declaration.mother,
            "mother_name": declaration.mother_name,
        }
        child = _register_child(facts_source=declaration, parents=parents, agent=agent)
        act = build_act(
            centre=centre,
            facts=_facts_of(declaration),
            entry=_entry_today(centre, agent),
            person=child,
            register_import=None,
            actor=agent,
            recorded_at=timezone.now(),
            source=ActSource.DECLARATION,
            declaration=declaration,
            declared_on=declaration.declared_on,
            father=declaration.father,
            mother=declaration.mother,
        )
        act.save()
        declaration.status = DeclarationStatus.VALIDATED
        declaration.decided_by = agent
        declaration.decided_at = timezone.now()
        declaration.save()
        _act_recorded(act, agent, "civil.birth_act_drawn_up")
        find_duplicates(act.person, centre=centre)
        _tell_declarant(
            declaration,
            gettext(
                "Jamana: the birth act of %(child)s is drawn up (no. %(number)s, %(centre)s). "
                "Ask for the extract online or at the centre."
            ),
            child=act.child_name,
            number=act.register_number,
        )
    return act


def _facts_of(declaration: BirthDeclaration) -> BirthFacts:
    def parent(label: str) -> ParentInput:
        return ParentInput(
            name=getattr(declaration, f"{label}_name"),
            nina=getattr(declaration, f"{label}_nina"),
            birth_date=getattr(declaration, f"{label}_birth_date"),
            profession=getattr(declaration, f"{label}_profession"),
            domicile=getattr(declaration, f"{label}_domicile"),
        )

    return BirthFacts(
        child_given_names=declaration.child_given_names,
        child_family_name=declaration.child_family_name,
        child_sex=declaration.child_sex,
        birth_date=declaration.birth_date,
        birth_time=declaration.birth_time,
        birth_commune=declaration.birth_commune,
        birth_place=declaration.birth_place,
        father=parent("father"),
        mother=parent("mother"),
        declarant_name=declaration.declarant_name,
        declarant_role=declaration.declarant_role,
    )


def _entry_today(centre: RegistryCentre, agent: Account) -> RegisterEntry:
    """The next number of the centre's register for this year, drawn up today by ``agent``."""
    today = timezone.localdate()
    return RegisterEntry(
        year=today.year,
        number=_next_number(centre, today.year),
        drawn_up_on=today,
        officer_name=agent.person.full_name if agent.person else str(agent),
    )


def _act_recorded(act: BirthAct, agent: Account | None, action: str) -> None:
    record_event(
        action=action,
        object_type="birth_act",
        object_ref=f"{act.centre.organisation.code}/{act.year}/{act.number}",
        actor=agent,
        organisation=act.centre.organisation,
        detail={"source": act.source, "person": act.person_id},
    )


def check_reject_declaration(*, agent: Account, reference: str, reason: str) -> BirthDeclaration:
    """Reject a declaration that cannot become an act (false, duplicate…), with the reason
    sent to the declarant."""
    reason = reason.strip()
    if not reason:
        raise CivilError("reason_required", _("A rejection must give its reason."))
    with transaction.atomic():
        declaration = _locked_declaration(reference)
        access_centre_for_agent(agent, declaration.centre, DRAW_UP_ACT)
        if declaration.status != DeclarationStatus.PENDING:
            raise CivilError("already_decided", _("This declaration has already been decided."))
        declaration.status = DeclarationStatus.REJECTED
        declaration.rejection_reason = reason
        declaration.decided_by = agent
        declaration.decided_at = timezone.now()
        declaration.save()
        record_event(
            action="civil.birth_declaration_rejected",
            object_type="birth_declaration",
            object_ref=reference,
            actor=agent,
            organisation=declaration.centre.organisation,
            detail={"reason": reason[:255]},
        )
        _tell_declarant(
            declaration,
            gettext("Jamana: birth declaration %(ref)s was rejected: %(reason)s"),
            reason=reason[:100],
        )
    return declaration


@dataclass(frozen=True, kw_only=True)
class Judgment:
    court: str
    date: dt.date
    number: str


def check_transcribe_judgment(
    *, agent: Account, centre: RegistryCentre, facts: BirthFacts, judgment: Judgment
) -> BirthAct:
    """A late birth: the registrar transcribes the court's jugement supplétif (CPF art. 133),
    which takes the place of the declaration."""
    today = timezone.localdate()
    facts = _clean(facts, today=today)
    if not (judgment.court.strip() and judgment.number.strip()):
        raise CivilError(
            "judgment_incomplete", _("Give the court, the date and the number of the judgment.")
        )
    if judgment.date > today or judgment.date < facts.birth_date:
        raise CivilError("judgment_date_invalid", _("The date of the judgment is not possible."))
    with transaction.atomic():
        access_centre_for_agent(agent, centre, DRAW_UP_ACT)
        if not centre.draws_up_acts:
            raise CivilError("centre_cannot_draw_up", _("This centre does not draw up acts."))
        parents = _parent_fields(facts)
        child = _register_child(facts_source=facts, parents=parents, agent=agent)
        act = build_act(
            centre=centre,
            facts=facts,
            entry=_entry_today(centre, agent),
            person=child,
            register_import=None,
            actor=agent,
            recorded_at=timezone.now(),
            source=ActSource.JUDGMENT,
            judgment_court=judgment.court.strip(),
            judgment_date=judgment.date,
            judgment_number=judgment.number.strip(),
            father=parents["father"],
            mother=parents["mother"],
        )
        act.save()
        _act_recorded(act, agent, "civil.judgment_transcribed")
        find_duplicates(act.person, centre=centre)
    return act


@dataclass(frozen=True, kw_only=True)
class RegisterEntry:
    """An act as typed from a paper register: its own number, year and date."""

    year: int
    number: int
    drawn_up_on: dt.date
    officer_name: str = ""
    birth_date_precision: str = "day"


def do_record_register_act(
    *,
    centre: RegistryCentre,
    facts: BirthFacts,
    entry: RegisterEntry,
    person: Person | None = None,
    register_import: RegisterImport | None = None,
    actor: Account | None = None,
) -> BirthAct:
    """An act digitised from an old register, under its original number. ``person`` links it
    to a known record; otherwise a person is created. Trusted input (the importer validates
    and writes in bulk with the same builders)."""
    with transaction.atomic():
        if person is None:
            person = build_person(facts, entry)
            person.save()
        act = build_act(
            centre=centre,
            facts=facts,
            entry=entry,
            person=person,
            register_import=register_import,
            actor=actor,
            recorded_at=timezone.now(),
        )
        act.save()
    return act


def build_person(facts: BirthFacts, entry: RegisterEntry) -> Person:
    """The unsaved person an imported act creates (``family_key`` set: bulk_create skips
    ``Person.save``)."""
    given_names, family_name = facts.child_given_names.strip(), facts.child_family_name.strip()
    return Person(
        given_names=given_names,
        family_name=family_name,
        sex=facts.child_sex,
        birth_date=facts.birth_date,
        birth_date_precision=entry.birth_date_precision,
        birth_commune=facts.birth_commune,
        father_name=" ".join(facts.father.name.split()),
        mother_name=" ".join(facts.mother.name.split()),
        family_key=blocking_key(family_name or given_names),
    )


def build_act(
    *,
    centre: RegistryCentre,
    facts: BirthFacts,
    entry: RegisterEntry,
    person: Person,
    register_import: RegisterImport | None,
    actor: Account | None,
    recorded_at: dt.datetime,
    source: str = ActSource.REGISTER,
    **links: Any,
) -> BirthAct:
    """The unsaved act: a register row, or (with ``source`` and ``links`` such as the
    declaration, the judgment, the parents' person records) an act drawn up today."""
    parents: dict[str, Any] = {}
    for label, parent in (("father", facts.father), ("mother", facts.mother)):
        parents[f"{label}_name"] = " ".join(parent.name.split())
        parents[f"{label}_nina"] = parent.nina.strip().upper()
        parents[f"{label}_birth_date"] = parent.birth_date
        parents[f"{label}_profession"] = parent.profession.strip()
        parents[f"{label}_domicile"] = parent.domicile.strip()
    return BirthAct(
        centre=centre,
        year=entry.year,
        number=entry.number,
        person=person,
        child_given_names=facts.child_given_names,
        child_family_name=facts.child_family_name,
        child_sex=facts.child_sex,
        birth_date=facts.birth_date,
        birth_date_precision=entry.birth_date_precision,
        birth_time=facts.birth_time,
        birth_commune=facts.birth_commune or centre.commune,
        birth_place=facts.birth_place,
        declarant_name=facts.declarant_name,
        declarant_role=facts.declarant_role,
        drawn_up_on=entry.drawn_up_on,
        officer_name=entry.officer_name,
        source=source,
        register_import=register_import,
        recorded_by=actor,
        recorded_at=recorded_at,
        **parents,
        **links,
    )


# ---------------------------------------------------------------- marginal mentions


def check_add_mention(
    *,
    agent: Account,
    act: BirthAct,
    kind: str,
    text: str,
    legal_reference: str,
    effective_on: dt.date,
    authority_reference: str = "",
    cancels: MarginalMention | None = None,
) -> MarginalMention:
    """Append a mention to an act (the act itself never changes). A mention made in error is
    cancelled by a ``cancellation`` mention that points at it."""
    text = " ".join(text.split())
    legal_reference = legal_reference.strip()
    if kind not in MentionKind.values:
        raise CivilError("invalid_mention_kind", _("Unknown kind of mention."))
    if not text or not legal_reference:
        raise CivilError(
            "mention_incomplete", _("A mention needs its text and its legal reference.")
        )
    if effective_on > timezone.localdate():
        raise CivilError("mention_in_future", _("A mention records a fact that has happened."))
    if (kind == MentionKind.CANCELLATION) != (cancels is not None):
        raise CivilError(
            "cancellation_target", _("A cancellation names the mention it cancels, and only it.")
        )
    with transaction.atomic():
        access_centre_for_agent(agent, act.centre, DRAW_UP_ACT)
        if cancels is not None:
            if cancels.act_id != act.pk or cancels.kind == MentionKind.CANCELLATION:
                raise CivilError(
                    "cancellation_target",
                    _("A cancellation names the mention it cancels, and only it."),
                )
            if MarginalMention.objects.filter(cancels=cancels).exists():
                raise CivilError("already_cancelled", _("This mention is already cancelled."))
        mention = MarginalMention.objects.create(
            act=act,
            kind=kind,
            text=text,
            legal_reference=legal_reference,
            authority_reference=authority_reference.strip(),
            effective_on=effective_on,
            cancels=cancels,
            recorded_by=agent,
            recorded_at=timezone.now(),
        )
        record_event(
            action="civil.mention_added",
            object_type="birth_act",
            object_ref=f"{act.centre.organisation.code}/{act.year}/{act.number}",
            actor=agent,
            organisation=act.centre.organisation,
            detail={
                "kind": kind,
                "mention": mention.pk,
                "cancels": cancels.pk if cancels else None,
            },
        )
    return mention


# ---------------------------------------------------------------- duplicates


# NameRecord spells Person's "about" precision "approximate".
MATCHING_PRECISION: dict[str, BirthDatePrecision] = {
    DatePrecision.DAY: "day",
    DatePrecision.MONTH: "month",
    DatePrecision.YEAR: "year",
    DatePrecision.ABOUT_YEAR: "approximate",
}


def _record(person: Person) -> NameRecord:
    return NameRecord(
        given_names=person.given_names,
        family_name=person.family_name,
        birth_date=person.birth_date,
        birth_date_precision=MATCHING_PRECISION.get(person.birth_date_precision, "day"),
        sex="F" if person.sex == "F" else "M",
        father_name=person.father_name or (person.father.full_name if person.father else ""),
        mother_name=person.mother_name or (person.mother.full_name if person.mother else ""),
    )


def find_duplicates(
    person: Person, *, centre: RegistryCentre, register_import: RegisterImport | None = None
) -> list[DuplicateCandidate]:
    """Queue every probable earlier record of ``person`` for a registrar of ``centre`` to
    decide. Never merges."""
    candidates = (
        Person.objects.filter(family_key=person.family_key, merged_into__isnull=True)
        .exclude(pk=person.pk)
        .select_related("father", "mother")
    )
    if person.birth_date is not None:
        low = person.birth_date - dt.timedelta(days=3 * 366)
        high = person.birth_date + dt.timedelta(days=3 * 366)
        candidates = candidates.filter(birth_date__range=(low, high))
    found = []
    mine = _record(person)
    for other in candidates[:200]:
        score = match_score(mine, _record(other))
        if score.score >= PROBABLE_DUPLICATE_THRESHOLD:
            found.append(
                DuplicateCandidate(
                    person=person,
                    existing=other,
                    centre=centre,
                    score=round(score.score, 4),
                    reasons=list(score.reasons),
                    register_import=register_import,
                    created_at=timezone.now(),
                )
            )
    DuplicateCandidate.objects.bulk_create(found, ignore_conflicts=True)
    return found


def _locked_candidate(agent: Account, candidate_id: int) -> DuplicateCandidate:
    candidate = (
        DuplicateCandidate.objects.select_for_update(of=("self",))
        .select_related("centre", "centre__organisation", "person", "existing")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise NotFound("candidate_not_found", _("No such duplicate candidate."))
    access_centre_for_agent(agent, candidate.centre, DRAW_UP_ACT)
    return candidate


def check_decide_duplicate(
    *, agent: Account, candidate_id: int, same_person: bool
) -> DuplicateCandidate:
    """The registrar decides. Same person: the newer record is merged into the earlier one —
    its acts now point at the earlier record, and it keeps a pointer to it; what moved is kept
    so that :func:`check_undo_merge` can put it back."""
    with transaction.atomic():
        candidate = _locked_candidate(agent, candidate_id)
        if candidate.status != DuplicateStatus.OPEN:
            raise CivilError("already_decided", _("This pair has already been decided."))
        if same_person:
            duplicate, kept = candidate.person, candidate.existing
            if duplicate.merged_into_id or kept.merged_into_id:
                raise CivilError(
                    "already_merged", _("One of these records was already merged elsewhere.")
                )
            moved_acts = list(
                BirthAct.objects.filter(person=duplicate).values_list("pk", flat=True)
            )
            BirthAct.objects.filter(pk__in=moved_acts).update(person=kept)
            Person.objects.filter(pk=duplicate.pk).update(merged_into=kept)
            candidate.merge_record = {"acts": moved_acts}
            candidate.status = DuplicateStatus.MERGED
        else:
            candidate.status = DuplicateStatus.DISTINCT
        candidate.decided_by = agent
        candidate.decided_at = timezone.now()
        candidate.save()
        record_event(
            action="civil.duplicate_decided",
            object_type="person",
            object_ref=str(candidate.person_id),
            actor=agent,
            organisation=candidate.centre.organisation,
            detail={
                "existing": candidate.existing_id,
                "same_person": same_person,
                "score": candidate.score,
                "moved": candidate.merge_record,
            },
        )
    return candidate


def check_undo_merge(*, agent: Account, candidate_id: int, reason: str) -> DuplicateCandidate:
    """Undo a merge decided in error: the acts go back to the record they came from."""
    reason = reason.strip()
    if not reason:
        raise CivilError("reason_required", _("Undoing a merge must give its reason."))
    with transaction.atomic():
        candidate = _locked_candidate(agent, candidate_id)
        if candidate.status != DuplicateStatus.MERGED:
            raise CivilError("not_merged", _("These records were not merged."))
        BirthAct.objects.filter(
            pk__in=candidate.merge_record.get("acts", []), person=candidate.existing
        ).update(person=candidate.person)
        Person.objects.filter(pk=candidate.person_id).update(merged_into=None)
        candidate.status = DuplicateStatus.UNMERGED
        candidate.decided_by = agent
        candidate.decided_at = timezone.now()
        candidate.save()
        record_event(
            action="civil.merge_undone",
            object_type="person",
            object_ref=str(candidate.person_id),
            actor=agent,
            organisation=candidate.centre.organisation,
            detail={"existing": candidate.existing_id, "reason": reason[:255]},
        )
    return candidate
