"""État civil personas: the principal centre of Bamako Commune III and its registrar, the
Kati centre and its registrar (an outsider to Bamako's queue), a mother with an account."""

from __future__ import annotations

import pytest

from jamana.civil.actions import do_register_centre
from jamana.civil.models import CentreKind, RegistryCentre
from jamana.core.geography import find_area, load_geography
from jamana.identity.models import Account, Role
from jamana.testing import make_agent, make_citizen, make_organisation


@pytest.fixture
def geography(db):
    load_geography()


def make_bamako_centre() -> RegistryCentre:
    load_geography()
    organisation = make_organisation(
        code="ML-CEC-BKO-C3", name="Centre principal d'état civil de la Commune III"
    )
    return do_register_centre(
        organisation=organisation, kind=CentreKind.PRINCIPAL, commune=find_area("ML-00-03")
    )


def make_registrar(centre: RegistryCentre) -> Account:
    return make_agent(
        organisation=centre.organisation,
        role=Role.REGISTRAR,
        extra_roles=(),
        phone="+22376000051",
        nina="19700101000051G",
    )


def make_mother() -> Account:
    return make_citizen(
        phone="+22376000061",
        nina="19950505000061K",
        given_names="Fatoumata",
        family_name="Keïta",
        sex="F",
    )


def make_registry() -> tuple[RegistryCentre, Account, Account]:
    """For tests that cannot use the fixtures (a live server's transactional database)."""
    centre = make_bamako_centre()
    return centre, make_registrar(centre), make_mother()


@pytest.fixture
def bamako_centre(db):
    return make_bamako_centre()


@pytest.fixture
def kati_centre(geography):
    organisation = make_organisation(
        code="ML-CEC-KATI", name="Centre principal d'état civil de Kati"
    )
    return do_register_centre(organisation=organisation, kind=CentreKind.PRINCIPAL)


@pytest.fixture
def registrar(bamako_centre):
    return make_registrar(bamako_centre)


@pytest.fixture
def kati_registrar(kati_centre):
    return make_agent(
        organisation=kati_centre.organisation,
        role=Role.REGISTRAR,
        extra_roles=(),
        phone="+22376000052",
        nina="19700101000052J",
    )


@pytest.fixture
def mother(db):
    return make_mother()


@pytest.fixture(autouse=True)
def certificate_services(request):
    """The two certificate services, as in the catalogue, owned by the Bamako centre."""
    if "bamako_centre" not in request.fixturenames:
        return
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE

    centre = request.getfixturevalue("bamako_centre")
    for spec in CATALOGUE:
        if spec["code"] in ("civil.birth_extract", "civil.birth_copy"):
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=centre.organisation, **fields)
