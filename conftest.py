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


@pytest.fixture
def live_pki(transactional_db, live_server, settings, tmp_path):
    """A PKI whose certificates point at the live test server (transactional: the server is a
    thread), so that pdfsig's OCSP requests reach our responder (TRUST-NOTES.md: keep the
    responder up, never disable OCSP)."""
    from jamana.pki.actions import do_trust_init
    from jamana.pki.keystore import key_store

    settings.JAMANA_PUBLIC_URL = live_server.url
    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    do_trust_init()
    yield live_server
    key_store.cache_clear()


@pytest.fixture
def nss_db(live_pki, tmp_path):
    """An NSS database trusting our root, for poppler's pdfsig."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from jamana.pki.queries import own_root
    from jamana.testing import require_tool, run_tool

    certutil = require_tool("certutil")
    directory = tmp_path / "nss"
    directory.mkdir()
    root = tmp_path / "root.pem"
    root.write_bytes(own_root().public_bytes(Encoding.PEM))
    run_tool(certutil, "-N", "-d", f"sql:{directory}", "--empty-password")
    code, out = run_tool(
        certutil,
        "-A",
        "-d",
        f"sql:{directory}",
        "-n",
        "jamana-root",
        "-t",
        "C,C,C",
        "-i",
        str(root),
    )
    if code != 0:
        raise RuntimeError(out)
    return f"sql:{directory}"


@pytest.fixture
def keys(tmp_path, settings):
    """A fresh PKI (software keys in a temp dir) for tests that issue sealed documents."""
    from jamana.pki.actions import do_trust_init
    from jamana.pki.keystore import key_store

    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    do_trust_init()
    yield
    key_store.cache_clear()
