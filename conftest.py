"""Shared test fixtures: named personas set up through real actions, never raw model writes."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.identity.models import Role
from jamana.testing import make_agent, make_citizen, make_organisation, make_service


@pytest.fixture
def organisation(db):
    return make_organisation()


@pytest.fixture
def service(organisation):
    return make_service(organisation=organisation)


@pytest.fixture
def free_service(organisation):
    return make_service(organisation=organisation, code="test.free", fee_xof=0)


@pytest.fixture
def citizen(db):
    return make_citizen()


@pytest.fixture
def other_citizen(db):
    return make_citizen(
        phone="+22376000002",
        nina="19900101000002B",
        given_names="Oumar",
        family_name="Diarra",
        sex="M",
        birth_date=dt.date(1990, 1, 1),
    )


@pytest.fixture
def agent(organisation):
    return make_agent(organisation=organisation)


@pytest.fixture
def outsider_agent(db):
    other = make_organisation(code="ML-OTHER", name="Autre administration")
    return make_agent(organisation=other, phone="+22376000009", nina="19700101000009C")


@pytest.fixture
def pki(db, settings, tmp_path):
    from jamana.pki.actions import do_trust_init

    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    from jamana.pki.keystore import key_store

    key_store.cache_clear()
    do_trust_init()
    yield
    key_store.cache_clear()


@pytest.fixture
def issuer(db):
    return make_organisation(code="ML-CEC-TEST", name="Centre d'état civil de Kati")


@pytest.fixture
def holder(db):
    return make_citizen().person


@pytest.fixture
def registrar(issuer):
    return make_agent(organisation=issuer, role=Role.HEAD_OF_SERVICE, extra_roles=())


@pytest.fixture
def pki_admin(db):
    operator = make_organisation(code="ML-PKI", name="Jamana Mali PKI", kind="agency")
    return make_agent(
        organisation=operator,
        role=Role.ORG_ADMIN,
        extra_roles=(),
        phone="+22376000077",
        nina="19700101000077Z",
    )
