"""The only writers of the casier judiciaire: convictions and their events, recorded by the
greffe of the court that keeps the person's casier; magistrates' changes to the bulletin
rules. Nothing is edited or deleted: a wrong entry is cancelled by an audited event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access, record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.core.models import AdminArea
from jamana.core.references import new_reference
from jamana.identity.models import Account, Organisation, OrganisationKind, Person
from jamana.identity.permissions import CHANGE_BULLETIN_RULES, RECORD_CONVICTION
from jamana.identity.queries import has_permission
from jamana.justice.bulletins import SENTENCE_KINDS, default_rules
from jamana.justice.casier import competent_court
from jamana.justice.models import (
    BulletinRuleChange,
    CompetenceRule,
    Conviction,
    ConvictionEvent,
    EventKind,
    OffenceCategory,
)


class JusticeError(JamanaError):
    pass


@dataclass(frozen=True, kw_only=True)
class SentenceInput:
    kind: str
    months: int | None = None
    suspended: bool = False
    probation: bool = False
    amount_xof: int | None = None
    description: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "months": self.months,
            "suspended": self.suspended,
            "probation": self.probation,
            "amount_xof": self.amount_xof,
            "description": self.description.strip(),
        }


@dataclass(frozen=True, kw_only=True)
class ConvictionInput:
    court: Organisation
    decided_on: dt.date
    decision_number: str
    offence_label: str
    offence_reference: str
    category: str
    sentences: tuple[SentenceInput, ...] = field(default_factory=tuple)
    final: bool = True
    minor_at_offence: bool = False
    by_default: bool = False
    court_ordered_b3: bool = False


def _check_sentences(sentences: tuple[SentenceInput, ...]) -> list[dict[str, Any]]:
    if not sentences:
        raise JusticeError("sentence_required", _("A conviction needs at least one sentence."))
    out = []
    for sentence in sentences:
        if sentence.kind not in SENTENCE_KINDS:
            raise JusticeError("invalid_sentence", _("Unknown kind of sentence."))
        if sentence.kind == "imprisonment" and not (sentence.months and sentence.months > 0):
            raise JusticeError(
                "months_required", _("A prison sentence needs its length in months.")
            )
        if sentence.kind == "fine" and not (sentence.amount_xof and sentence.amount_xof > 0):
            raise JusticeError("amount_required", _("A fine needs its amount in FCFA."))
        out.append(sentence.as_data())
    return out


def require_casier_clerk(agent: Account, person: Person) -> Organisation:
    """Only the greffe of the court that keeps this person's casier writes in it; anyone else
    is told there is no such casier (404), so casiers cannot be probed."""
    court = competent_court(person, timezone.localdate())
    if not has_permission(agent, RECORD_CONVICTION, court):
        raise NotFound("casier_not_found", _("No criminal record here for this person."))
    return court


def check_record_conviction(
    *, agent: Account, person: Person, conviction: ConvictionInput
) -> Conviction:
    """The clerk records a decision in the person's casier (court, date, number, offence
    with its legal reference, sentences, whether final)."""
    data = conviction
    if data.category not in OffenceCategory.values:
        raise JusticeError(
            "invalid_category", _("Say whether it is a crime, a délit or a contravention.")
        )
    if data.court.kind != OrganisationKind.COURT:
        raise JusticeError("not_a_court", _("A conviction is pronounced by a court."))
    if data.decided_on > timezone.localdate():
        raise JusticeError("decision_in_future", _("The date of the decision is in the future."))
    if person.birth_date and data.decided_on < person.birth_date:
        raise JusticeError("decision_before_birth", _("The decision is dated before the birth."))
    if not (
        data.decision_number.strip()
        and data.offence_label.strip()
        and data.offence_reference.strip()
    ):
        raise JusticeError(
            "conviction_incomplete",
            _("Give the decision number, the offence and its legal reference."),
        )
    sentences = _check_sentences(data.sentences)
    with transaction.atomic():
        keeper = require_casier_clerk(agent, person)
        try:
            with transaction.atomic():
                entry = Conviction.objects.create(
                    reference=new_reference(),
                    person=person,
                    court=data.court,
                    decided_on=data.decided_on,
                    decision_number=data.decision_number.strip(),
                    offence_label=data.offence_label.strip(),
                    offence_reference=data.offence_reference.strip(),
                    category=data.category,
                    sentences=sentences,
                    final=data.final,
                    minor_at_offence=data.minor_at_offence,
                    by_default=data.by_default,
                    court_ordered_b3=data.court_ordered_b3,
                    recorded_by=agent,
                    recorded_at=timezone.now(),
                )
        except IntegrityError:
            raise JusticeError(
                "conviction_exists", _("This decision is already recorded for this person.")
            ) from None
        record_event(
            action="justice.conviction_recorded",
            object_type="conviction",
            object_ref=entry.reference,
            actor=agent,
            organisation=keeper,
            detail={"person": person.pk, "court": data.court.code, "category": data.category},
        )
        record_access(
            person=person,
            object_type="casier",
            object_ref=entry.reference,
            purpose="conviction recorded",
            actor=agent,
            organisation=keeper,
        )
    return entry


def check_record_event(
    *,
    agent: Account,
    conviction: Conviction,
    kind: str,
    on: dt.date,
    reference: str,
    note: str = "",
    new_sentences: tuple[SentenceInput, ...] | None = None,
    quashed: bool = False,
) -> ConvictionEvent:
    """Append what happened later (appeal, sentence served, rehabilitation, amnesty, pardon,
    cancellation of an entry recorded in error…). A cancellation needs its reason."""
    if kind not in EventKind.values:
        raise JusticeError("invalid_event", _("Unknown kind of event."))
    if on > timezone.localdate() or on < conviction.decided_on:
        raise JusticeError("event_date_invalid", _("The date of the event is not possible."))
    if not reference.strip():
        raise JusticeError(
            "event_reference_required", _("Give the decision or text this event comes from.")
        )
    if kind == EventKind.CANCELLATION and not note.strip():
        raise JusticeError("reason_required", _("A cancellation must give its reason."))
    if new_sentences is not None and kind not in (EventKind.APPEAL, EventKind.CASSATION):
        raise JusticeError(
            "sentences_on_appeal_only", _("Only an appeal or cassation changes the sentence.")
        )
    sentences = _check_sentences(new_sentences) if new_sentences is not None else None
    with transaction.atomic():
        keeper = require_casier_clerk(agent, conviction.person)
        if conviction.events.filter(kind=EventKind.CANCELLATION).exists():
            raise JusticeError("entry_cancelled", _("This entry was cancelled."))
        event = ConvictionEvent.objects.create(
            conviction=conviction,
            kind=kind,
            on=on,
            reference=reference.strip(),
            note=note.strip(),
            new_sentences=sentences,
            quashed=quashed,
            recorded_by=agent,
            recorded_at=timezone.now(),
        )
        record_event(
            action="justice.event_recorded",
            object_type="conviction",
            object_ref=conviction.reference,
            actor=agent,
            organisation=keeper,
            detail={"kind": kind, "on": str(on), "quashed": quashed},
        )
    return event


def check_change_bulletin_rule(
    *,
    magistrate: Account,
    organisation: Organisation,
    parameter: str,
    value: Any,
    reason: str,
    valid_from: dt.date,
) -> BulletinRuleChange:
    """An authorised magistrate changes one parameter of the bulletin rules, as data, with
    its reason (the texts could not all be confirmed: docs/decisions/0007)."""
    if not has_permission(magistrate, CHANGE_BULLETIN_RULES, organisation):
        raise NotFound("not_found", _("Nothing with this reference here."))
    if not reason.strip():
        raise JusticeError("reason_required", _("A change of rule must give its reason."))
    rules = default_rules()
    try:
        rules.with_changes(**{parameter: value})
    except (TypeError, ValueError, KeyError):
        raise JusticeError("invalid_rule_change", _("This rule or value is not valid.")) from None
    with transaction.atomic():
        change = BulletinRuleChange.objects.create(
            parameter=parameter,
            value=value,
            reason=reason.strip(),
            valid_from=valid_from,
            decided_by=magistrate,
            decided_at=timezone.now(),
        )
        record_event(
            action="justice.bulletin_rule_changed",
            object_type="bulletin_rule",
            object_ref=parameter,
            actor=magistrate,
            organisation=organisation,
            detail={"value": value, "valid_from": str(valid_from), "reason": reason[:255]},
        )
    return change


def do_set_competence_rule(
    *,
    court: Organisation,
    valid_from: dt.date,
    reference: str,
    birth_area: AdminArea | None = None,
    born_abroad: bool = False,
) -> CompetenceRule:
    """Declare which court keeps the casiers of persons born in ``birth_area`` (or abroad)
    from ``valid_from`` (idempotent for the same rule)."""
    if court.kind != OrganisationKind.COURT:
        raise JusticeError("not_a_court", _("A casier is kept by a court."))
    if born_abroad == (birth_area is not None):
        raise JusticeError(
            "competence_target", _("A rule is for an area of birth, or for births abroad.")
        )
    with transaction.atomic():
        rule, created = CompetenceRule.objects.get_or_create(
            court=court,
            birth_area=birth_area,
            born_abroad=born_abroad,
            valid_from=valid_from,
            defaults={"reference": reference},
        )
        if created:
            record_event(
                action="justice.competence_rule_set",
                object_type="competence_rule",
                object_ref=str(rule.pk),
                organisation=court,
                detail={
                    "area": birth_area.code if birth_area else "abroad",
                    "from": str(valid_from),
                },
            )
    return rule
