"""Shared test fixtures: named personas set up through real actions, never raw model writes."""

from __future__ import annotations

import datetime as dt

import pytest

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
