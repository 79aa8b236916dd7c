from __future__ import annotations

import pytest

from jamana.identity.models import Organisation, Role
from jamana.testing import make_agent


@pytest.fixture
def catalogue(db) -> dict[str, Organisation]:
    """The real catalogue: its organisations and services, as `make run` seeds them."""
    from jamana.procedures.demo import load_catalogue

    return load_catalogue()


@pytest.fixture
def court_agent(catalogue):
    """A counter agent of the court that keeps the casier (answers justice questions)."""
    return make_agent(
        organisation=catalogue["ML-TGI-BKO-C3"], role=Role.COUNTER_AGENT, extra_roles=()
    )


@pytest.fixture
def desk_agent(catalogue):
    """The general information desk (ML-MATD), where unrouted questions go."""
    return make_agent(
        organisation=catalogue["ML-MATD"],
        role=Role.INFORMATION_AGENT,
        extra_roles=(),
        phone="+22376000007",
        nina="19800101000007A",
    )
