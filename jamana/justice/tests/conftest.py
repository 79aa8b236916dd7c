"""Justice personas: the court of Commune III (keeps the casiers of persons born in the
District of Bamako) with its clerk, counter agent and magistrate; the Cour d'appel (born
abroad); the court of Kati with its own clerk (an outsider to Bamako's casiers); a recruiting
body; citizens born in Bamako."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.core.geography import find_area, load_geography
from jamana.identity.models import Account, Organisation, Role
from jamana.justice.actions import do_set_competence_rule
from jamana.testing import make_agent, make_citizen, make_organisation


def make_courts() -> dict[str, Organisation]:
    load_geography()
    courts = {
        "c3": make_organisation(
            code="ML-TGI-BKO-C3",
            name="Tribunal de Grande Instance de la Commune III de Bamako",
            kind="court",
        ),
        "appeal": make_organisation(code="ML-CA-BKO", name="Cour d'appel de Bamako", kind="court"),
        "kati": make_organisation(code="ML-TGI-KATI", name="Tribunal de Kati", kind="court"),
    }
    since = dt.date(1997, 3, 3)
    do_set_competence_rule(
        court=courts["c3"], birth_area=find_area("ML-00"), valid_from=since, reference="test"
    )
    do_set_competence_rule(
        court=courts["appeal"], born_abroad=True, valid_from=since, reference="test"
    )
    kati_cercle = find_area("ML-02-KATI")
    do_set_competence_rule(
        court=courts["kati"], birth_area=kati_cercle, valid_from=since, reference="test"
    )
    return courts


def make_clerk(
    court: Organisation, *, phone: str, nina: str, role: str = Role.COURT_CLERK
) -> Account:
    return make_agent(organisation=court, role=role, extra_roles=(), phone=phone, nina=nina)


def make_bamako_citizen() -> Account:
    account = make_citizen()
    person = account.person
    assert person is not None
    person.birth_commune = find_area("ML-00-03")
    person.save(update_fields=["birth_commune"])
    return account


@pytest.fixture
def courts(db):
    return make_courts()


@pytest.fixture
def clerk(courts):
    return make_clerk(courts["c3"], phone="+22376000071", nina="19700101000071A")


@pytest.fixture
def cashier(courts):
    return make_clerk(
        courts["c3"], phone="+22376000072", nina="19700101000072B", role=Role.COUNTER_AGENT
    )


@pytest.fixture
def magistrate(courts):
    return make_clerk(
        courts["c3"], phone="+22376000073", nina="19700101000073C", role=Role.MAGISTRATE
    )


@pytest.fixture
def kati_clerk(courts):
    return make_clerk(courts["kati"], phone="+22376000074", nina="19700101000074D")


@pytest.fixture
def bamako_citizen(courts):
    return make_bamako_citizen()


@pytest.fixture(autouse=True)
def justice_services(request):
    """The two justice services, as in the catalogue, owned by the court of Commune III."""
    if "courts" not in request.fixturenames:
        return
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE

    court = request.getfixturevalue("courts")["c3"]
    for spec in CATALOGUE:
        if spec["code"] in ("justice.b3", "justice.nationality"):
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=court, **fields)
