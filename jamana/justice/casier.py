"""From the database to the pure bulletin rules: a person's casier as ``CasierEntry`` values,
the bulletin rules in force (defaults plus magistrates' changes), and the competent court."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jamana.core.errors import JamanaError
from jamana.identity.models import Organisation, Person
from jamana.identity.queries import person_and_merged_ids
from jamana.justice.bulletins import (
    Bulletin,
    BulletinRules,
    CasierEntry,
    EntryEvent,
    Sentence,
    bulletin,
    default_rules,
)
from jamana.justice.models import BulletinRuleChange, CompetenceRule, Conviction


class NoCompetentCourt(JamanaError):
    pass


def competent_court(person: Person, on: dt.date) -> Organisation:
    """The court whose greffe keeps ``person``'s casier, from the place of birth: the most
    specific competence rule in force, else the court whose area contains the birth commune."""
    in_force = CompetenceRule.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    born_abroad = person.birth_commune_id is None and (
        person.birth_country != "ML" or bool(person.birth_place_abroad)
    )
    if born_abroad:
        rule = in_force.filter(born_abroad=True).select_related("court").first()
        if rule is not None:
            return rule.court
    elif person.birth_commune is not None:
        best = None
        best_depth = -1
        for rule in in_force.filter(born_abroad=False).select_related("court", "birth_area"):
            area = rule.birth_area
            if area is not None and area.contains(person.birth_commune):
                depth = len(area.ancestors())
                if depth > best_depth:
                    best, best_depth = rule, depth
        if best is not None:
            return best.court
        for court in Organisation.objects.filter(kind="court", area__isnull=False).select_related(
            "area"
        ):
            if court.area is not None and court.area.contains(person.birth_commune):
                return court
    raise NoCompetentCourt(
        "no_competent_court",
        _(
            "No court is set to keep the criminal record of persons born here. Ask at the "
            "greffe of the court of your place of birth."
        ),
    )


def _sentence(data: dict[str, Any]) -> Sentence:
    return Sentence(
        kind=str(data.get("kind", "other_penalty")),
        months=data.get("months"),
        suspended=bool(data.get("suspended", False)),
        probation=bool(data.get("probation", False)),
        amount_xof=data.get("amount_xof"),
        description=str(data.get("description", "")),
    )


def casier_of(person: Person) -> list[CasierEntry]:
    """Every conviction recorded for ``person`` (and for records merged into it), with its
    events, as the pure rules take them."""
    convictions = (
        Conviction.objects.filter(person_id__in=person_and_merged_ids(person))
        .select_related("court")
        .prefetch_related("events")
        .order_by("decided_on", "pk")
    )
    return [
        CasierEntry(
            id=c.reference,
            court=c.court.name,
            decided_on=c.decided_on,
            decision_number=c.decision_number,
            offence_label=c.offence_label,
            offence_reference=c.offence_reference,
            category=c.category,
            sentences=tuple(_sentence(s) for s in c.sentences),
            final=c.final,
            minor_at_offence=c.minor_at_offence,
            by_default=c.by_default,
            foreign_court=c.court.country != "ML",
            court_ordered_b3=c.court_ordered_b3,
            events=tuple(
                EntryEvent(
                    kind=e.kind,
                    on=e.on,
                    new_sentences=(
                        tuple(_sentence(s) for s in e.new_sentences)
                        if e.new_sentences is not None
                        else None
                    ),
                    quashed=e.quashed,
                    reference=e.reference,
                    note=e.note,
                )
                for e in c.events.all()
            ),
        )
        for c in convictions
    ]


def rules_in_force(on: dt.date) -> BulletinRules:
    """The default rules with every magistrate's change in force on ``on`` (the latest of
    each parameter wins)."""
    changes: dict[str, Any] = {}
    for change in BulletinRuleChange.objects.filter(valid_from__lte=on):
        changes[change.parameter] = change.value
    return default_rules().with_changes(**changes) if changes else default_rules()


def compute_bulletin(person: Person, number: int, on: dt.date) -> Bulletin:
    return bulletin(casier_of(person), number, on=on, rules=rules_in_force(on))  # type: ignore[arg-type]
