"""Certificate profiles checked by OpenSSL, not only by our own code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from jamana.trust.errors import KeyStoreError
from jamana.trust.keys import SoftwareKeyStore
from jamana.trust.pki import DOCUMENT_SIGNING, Policy
from jamana.trust.testing import make_test_pki

OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def pki():
    return make_test_pki()


def _pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
    return path


@pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")
def test_openssl_verifies_every_chain(pki, tmp_path):
    root = _pem(tmp_path / "root.pem", pki.root.certificate)
    cas = _pem(tmp_path / "cas.pem", pki.seal_ca.certificate, pki.person_ca.certificate)
    for leaf, purpose in [
        (pki.seal.certificate, "smimesign"),
        (pki.tsa.certificate, "timestampsign"),
        (pki.ocsp_seal.certificate, "ocsphelper"),
        (pki.seal_ca.certificate, None),
    ]:
        args = [OPENSSL, "verify", "-x509_strict", "-CAfile", str(root), "-untrusted", str(cas)]
        if purpose:
            args += ["-purpose", purpose]
        result = subprocess.run(  # noqa: S603
            [*args, str(_pem(tmp_path / "leaf.pem", leaf))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_tsa_certificate_has_the_critical_timestamping_eku(pki):
    eku = pki.tsa.certificate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_ocsp_responder_certificate(pki):
    extensions = pki.ocsp_seal.certificate.extensions
    eku = extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    extensions.get_extension_for_oid(ExtensionOID.OCSP_NO_CHECK)


def test_seal_certificate_profile(pki):
    cert = pki.seal.certificate
    ext = cert.extensions
    assert ext.get_extension_for_oid(ExtensionOID.KEY_USAGE).value.content_commitment
    assert DOCUMENT_SIGNING in ext.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    policies = ext.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES).value
    assert [p.policy_identifier for p in policies] == [Policy.SEAL]
    cdp = ext.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    assert cdp[0].full_name[0].value.endswith("/pki/crl/seal-ca.crl")
    aia = ext.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert {a.access_location.value for a in aia} == {
        "http://127.0.0.1:8000/pki/ocsp",
        "http://127.0.0.1:8000/pki/certs/seal-ca.cer",
    }
    aki = ext.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    ski = pki.seal_ca.certificate.extensions.get_extension_for_oid(
        ExtensionOID.SUBJECT_KEY_IDENTIFIER
    ).value
    assert aki.key_identifier == ski.digest


def test_software_key_store_encrypts_keys_at_rest(tmp_path):
    store = SoftwareKeyStore(tmp_path, b"a long passphrase")
    key = store.generate("seal-ml-test")
    pem = (tmp_path / "seal-ml-test.p8.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert store.load("seal-ml-test").private_numbers() == key.private_numbers()
    with pytest.raises(KeyStoreError):
        SoftwareKeyStore(tmp_path, b"the wrong passphrase").load("seal-ml-test")
    with pytest.raises(KeyStoreError):
        store.generate("seal-ml-test")
    with pytest.raises(KeyStoreError):
        store.load("../etc/passwd")
