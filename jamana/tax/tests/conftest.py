"""Tax personas: a tax office of Bamako Commune III, its tax officer, a resident taxpayer."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.core.geography import find_area, load_geography
from jamana.identity.models import Role
from jamana.tax.actions import do_open_taxpayer
from jamana.testing import make_agent, make_organisation


@pytest.fixture
def geography(db):
    load_geography()


@pytest.fixture
def bamako_c3(geography):
    return find_area("ML-00-03")


@pytest.fixture
def tax_office(db):
    return make_organisation(
        code="ML-DGI-CI-BKO-C3", name="Centre des Impôts de la Commune III", kind="tax_office"
    )


@pytest.fixture
def tax_officer(tax_office):
    return make_agent(
        organisation=tax_office,
        role=Role.TAX_OFFICER,
        extra_roles=(),
        phone="+22376000041",
        nina="19700101000041D",
    )


@pytest.fixture
def other_office_officer(db):
    office = make_organisation(
        code="ML-DGI-CI-KATI", name="Centre des Impôts de Kati", kind="tax_office"
    )
    return make_agent(
        organisation=office,
        role=Role.TAX_OFFICER,
        extra_roles=(),
        phone="+22376000042",
        nina="19700101000042E",
    )


@pytest.fixture
def taxpayer(citizen, tax_office, tax_officer, bamako_c3):
    return do_open_taxpayer(
        agent=tax_officer,
        kind="person",
        tax_office=tax_office,
        commune=bamako_c3,
        person=citizen.person,
    )


@pytest.fixture
def yesterday():
    from django.utils import timezone

    return timezone.localdate() - dt.timedelta(days=1)
