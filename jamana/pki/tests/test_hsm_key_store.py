"""The key store follows JAMANA_KEY_STORE; with "pkcs11", trust_init creates every key on the
token (SoftHSM2 here) and documents are sealed by it. The whole suite also runs in that mode
(`JAMANA_KEY_STORE=pkcs11`, a pass of .ci/run); these tests check it in the default run too."""

from __future__ import annotations

import os

import pytest
from cryptography import x509
from django.core.exceptions import ImproperlyConfigured
from pkcs11 import Attribute

from jamana.documents.actions import issue_document, read_document_file
from jamana.documents.verification import Verdict, verify_pdf
from jamana.pki.actions import do_trust_init
from jamana.pki.hsm_testing import session_token, softhsm_missing
from jamana.pki.keystore import key_store
from jamana.pki.models import CertificateRecord
from jamana.trust.keys import SoftwareKeyStore
from jamana.trust.pkcs11 import Pkcs11KeyStore, Pkcs11PrivateKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def hsm_settings(settings):
    """Settings that put the key store on this run's SoftHSM2 token."""
    missing = softhsm_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    token = session_token()
    settings.JAMANA_KEY_STORE = "pkcs11"
    settings.JAMANA_PKCS11_MODULE = token.module
    settings.JAMANA_PKCS11_TOKEN = token.label
    settings.JAMANA_PKCS11_PIN = token.pin
    key_store.cache_clear()
    yield settings
    key_store.cache_clear()


@pytest.fixture
def hsm_pki(hsm_settings):
    do_trust_init()


def test_the_software_store_is_the_default(settings, tmp_path):
    settings.JAMANA_KEY_STORE = "software"
    settings.JAMANA_KEY_DIR = tmp_path / "keys"
    key_store.cache_clear()
    try:
        assert isinstance(key_store(), SoftwareKeyStore)
    finally:
        key_store.cache_clear()


def test_pkcs11_without_a_pin_is_refused(hsm_settings):
    hsm_settings.JAMANA_PKCS11_PIN = ""
    key_store.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="JAMANA_PKCS11_PIN"):
        key_store()


def test_trust_init_keeps_every_key_on_the_token(hsm_pki):
    store = key_store()
    assert isinstance(store, Pkcs11KeyStore)
    records = list(CertificateRecord.objects.all())
    assert {r.role for r in records} >= {"root", "seal-ca", "person-ca", "tsa", "ocsp"}
    for record in records:
        key = store.load(record.key_name)
        assert isinstance(key, Pkcs11PrivateKey), record.name
        assert key.pkcs11_object[Attribute.SENSITIVE] is True, record.name
        assert key.pkcs11_object[Attribute.EXTRACTABLE] is False, record.name
        certificate = x509.load_der_x509_certificate(bytes(record.der))
        assert key.public_key() == certificate.public_key(), record.name


def test_a_document_sealed_with_hsm_keys_verifies(hsm_pki, issuer, holder):
    document = issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name)],
    )
    seal = CertificateRecord.objects.get(pk=document.seal_certificate_id)
    assert isinstance(key_store().load(seal.key_name), Pkcs11PrivateKey)
    assert verify_pdf(read_document_file(document)).verdict == Verdict.VALID
