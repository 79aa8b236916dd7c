"""Demo état civil: the two Bamako/Kati centres, the demo citizen's own birth act (digitised
from the 1987 register) and a few dozen acts, a declaration waiting for the registrar."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from jamana.civil.actions import (
    BirthFacts,
    ParentInput,
    RegisterEntry,
    check_declare_birth,
    do_record_register_act,
    do_register_centre,
)
from jamana.civil.models import CentreKind, DeclarantRole
from jamana.core.models import AdminArea
from jamana.identity.models import Account, Organisation


def seed_civil(
    *,
    rng: random.Random,
    organisations: dict[str, Organisation],
    citizen: Account,
    registrar: Account,
    communes: Sequence[AdminArea],
    given_names: dict[str, list[str]],
    family_names: list[str],
    acts: int = 40,
) -> None:
    bamako = do_register_centre(
        organisation=organisations["ML-CEC-BKO-C3"], kind=CentreKind.PRINCIPAL
    )
    do_register_centre(organisation=organisations["ML-CEC-KATI"], kind=CentreKind.PRINCIPAL)
    person = citizen.person
    assert person is not None and person.birth_date is not None  # noqa: S101 (demo invariant)
    do_record_register_act(
        centre=bamako,
        facts=BirthFacts(
            child_given_names=person.given_names,
            child_family_name=person.family_name,
            child_sex=person.sex,
            birth_date=person.birth_date,
            birth_commune=bamako.commune,
            birth_place="Maternité de Bamako-Coura",
            father=ParentInput(name=person.father_name, profession="Commerçant"),
            mother=ParentInput(name=person.mother_name, profession="Ménagère"),
            declarant_name=person.father_name,
            declarant_role=DeclarantRole.FATHER,
        ),
        entry=RegisterEntry(
            year=person.birth_date.year,
            number=412,
            drawn_up_on=person.birth_date + dt.timedelta(days=9),
            officer_name="Mamadou Sidibé",
        ),
        person=person,
        actor=registrar,
    )
    for number in range(1, acts + 1):
        sex = rng.choice("FM")
        family = rng.choice(family_names)
        born = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(365 * 25))
        do_record_register_act(
            centre=bamako,
            facts=BirthFacts(
                child_given_names=rng.choice(given_names[sex]),
                child_family_name=family,
                child_sex=sex,
                birth_date=born,
                birth_commune=bamako.commune or (rng.choice(communes) if communes else None),
                birth_place="Bamako",
                father=ParentInput(name=f"{rng.choice(given_names['M'])} {family}"),
                mother=ParentInput(
                    name=f"{rng.choice(given_names['F'])} {rng.choice(family_names)}"
                ),
            ),
            entry=RegisterEntry(
                year=born.year,
                number=1000 + number,
                drawn_up_on=born + dt.timedelta(days=rng.randrange(1, 30)),
                officer_name="Mamadou Sidibé",
            ),
            actor=registrar,
        )
    # The demo citizen has just had a baby: her declaration waits in the centre's queue.
    check_declare_birth(
        account=citizen,
        centre=bamako,
        facts=BirthFacts(
            child_given_names="Oumou",
            child_family_name="Keïta",
            child_sex="F",
            birth_date=timezone.localdate() - dt.timedelta(days=5),
            birth_commune=bamako.commune,
            birth_place="Centre de santé de référence de la Commune III",
            father=ParentInput(name="Bakary Keïta", profession="Enseignant"),
            mother=ParentInput(name=person.full_name, profession="Comptable"),
            declarant_role=DeclarantRole.MOTHER,
            health_notice_number="CSREF-C3-2026-0931",
        ),
    )
