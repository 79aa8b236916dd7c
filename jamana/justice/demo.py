"""Demo casier judiciaire: who keeps which casiers (Bamako → Commune III, abroad → the Cour
d'appel), and one person with a recorded conviction, so the clerk's screens are not empty."""

from __future__ import annotations

import datetime as dt

from jamana.core.geography import find_area
from jamana.identity.models import Account, Organisation, Person
from jamana.justice.actions import (
    ConvictionInput,
    SentenceInput,
    check_record_conviction,
    do_set_competence_rule,
)

# Practice reported by the greffes and the press: in the District of Bamako only the court of
# Commune III delivers the casier; for persons born abroad, the Cour d'appel.
BAMAKO_RULE = "Pratique des greffes (District de Bamako : Tribunal de la Commune III)"
ABROAD_RULE = "Pratique des greffes (nés à l'étranger : Cour d'appel)"
SINCE = dt.date(1997, 3, 3)  # décret n°97-107/P-RM fixant le ressort des juridictions


def seed_competence(organisations: dict[str, Organisation]) -> None:
    bamako = find_area("ML-00")
    if bamako is not None:
        do_set_competence_rule(
            court=organisations["ML-TGI-BKO-C3"],
            birth_area=bamako,
            valid_from=SINCE,
            reference=BAMAKO_RULE,
        )
    do_set_competence_rule(
        court=organisations["ML-CA-BKO"], born_abroad=True, valid_from=SINCE, reference=ABROAD_RULE
    )


def seed_casier(*, clerk: Account, person: Person, court: Organisation) -> None:
    check_record_conviction(
        agent=clerk,
        person=person,
        conviction=ConvictionInput(
            court=court,
            decided_on=dt.date(2019, 5, 14),
            decision_number="TGI-C3/2019/0412",
            offence_label="Vol simple",
            offence_reference="Code pénal, art. 252",
            category="delit",
            sentences=(SentenceInput(kind="imprisonment", months=6, suspended=True),),
        ),
    )
