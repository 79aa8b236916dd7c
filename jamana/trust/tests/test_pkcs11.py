"""Keys on a PKCS#11 token (SoftHSM2): a whole PKI whose every key lives on the token, checked
by independent tools (OpenSSL, pyHanko), and proof that no private key can leave the token.

Skipped where SoftHSM2 is not installed, a failure in CI (CI set): CI must never go green
without running these.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pickle
import shutil
import subprocess
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag

from jamana.pki.hsm_testing import TRUST_LABEL, SoftHsmToken, softhsm_missing, softhsm_tokens
from jamana.trust.errors import KeyStoreError
from jamana.trust.pades import SealingMaterial, SealVerdict, check_sealed_pdf, seal_pdf
from jamana.trust.pkcs11 import Pkcs11KeyStore, Pkcs11PrivateKey
from jamana.trust.pki import PkiUrls, Policy, Role, build_name, create_root, issue_certificate
from jamana.trust.revocation import (
    CertStatus,
    OcspResponder,
    ResponderIdentity,
    RevokedEntry,
    build_crl,
)
from jamana.trust.trustlist import TrustListEntry, build_trust_list, fingerprint, read_trust_list
from jamana.trust.tsa import InProcessTimeStamper, TimeStampAuthority

NOW = dt.datetime.now(dt.UTC)
OPENSSL = shutil.which("openssl")


def _require(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def token() -> SoftHsmToken:
    _require(softhsm_missing())
    return softhsm_tokens()[TRUST_LABEL]


@pytest.fixture(scope="module")
def store(token: SoftHsmToken) -> Pkcs11KeyStore:
    return Pkcs11KeyStore(module=token.module, token_label=token.label, pin=token.pin)


def _openssl(*args: str | Path, stdin: bytes | None = None) -> tuple[int, str]:
    _require(None if OPENSSL else "openssl is not installed")
    assert OPENSSL is not None
    result = subprocess.run(  # noqa: S603 — fixed tool, arguments built by the tests
        [OPENSSL, *map(str, args)], input=stdin, capture_output=True, check=False, timeout=60
    )
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


def _pem(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certificates))
    return path


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: Pkcs11PrivateKey


@dataclass(frozen=True)
class HsmPki:
    root: Issued
    seal_ca: Issued
    tsa: Issued
    ocsp: Issued
    seal: Issued
    trust_list: Issued


@pytest.fixture(scope="module")
def hsm_pki(store: Pkcs11KeyStore) -> HsmPki:
    """The platform's hierarchy with every key generated on, and signing on, the token."""
    urls = PkiUrls("http://127.0.0.1:8000")

    def name(common_name: str) -> x509.Name:
        return build_name(
            country="ML", organisation="Jamana PKI (HSM test)", common_name=common_name
        )

    root_key = store.generate("root")
    root = Issued(create_root(key=root_key, subject=name("Root"), now=NOW), root_key)

    def under(parent: Issued, parent_name: str, role: Role, key_name: str) -> Issued:
        key = store.generate(key_name)
        certificate = issue_certificate(
            role=role,
            subject=name(key_name),
            public_key=key.public_key(),
            issuer_certificate=parent.certificate,
            issuer_key=parent.key,
            issuer_name=parent_name,
            urls=urls,
            now=NOW,
        )
        return Issued(certificate, key)

    seal_ca = under(root, "root", Role.SEAL_CA, "seal-ca")
    return HsmPki(
        root=root,
        seal_ca=seal_ca,
        tsa=under(seal_ca, "seal-ca", Role.TSA, "tsa"),
        ocsp=under(seal_ca, "seal-ca", Role.OCSP, "ocsp-seal-ca"),
        seal=under(seal_ca, "seal-ca", Role.SEAL, "seal"),
        trust_list=under(seal_ca, "seal-ca", Role.TRUST_LIST, "trust-list"),
    )


def _keys(pki: HsmPki) -> dict[str, Pkcs11PrivateKey]:
    return {
        "root": pki.root.key,
        "seal-ca": pki.seal_ca.key,
        "tsa": pki.tsa.key,
        "ocsp-seal-ca": pki.ocsp.key,
        "seal": pki.seal.key,
        "trust-list": pki.trust_list.key,
    }


def _responder(pki: HsmPki, revoked: frozenset[int] = frozenset()) -> OcspResponder:
    def lookup(issuer: x509.Certificate, serial: int) -> CertStatus:
        if serial in revoked:
            return CertStatus.revoked(NOW - dt.timedelta(minutes=1), x509.ReasonFlags.superseded)
        return CertStatus.GOOD

    return OcspResponder(
        [ResponderIdentity(pki.seal_ca.certificate, pki.ocsp.certificate, pki.ocsp.key)], lookup
    )


def _tsa(pki: HsmPki) -> TimeStampAuthority:
    return TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        chain=[pki.seal_ca.certificate],
        policy_oid=Policy.TIMESTAMP,
    )


# --------------------------------------------------------------------------------------------
# Custody: what the token holds and refuses to give


def test_every_key_is_sensitive_and_never_extractable(hsm_pki):
    for name, key in _keys(hsm_pki).items():
        handle = key.pkcs11_object
        assert handle[Attribute.TOKEN] is True, name
        assert handle[Attribute.SENSITIVE] is True, name
        assert handle[Attribute.EXTRACTABLE] is False, name
        # Set by the token: the key was born on it and never exposed since.
        assert handle[Attribute.ALWAYS_SENSITIVE] is True, name
        assert handle[Attribute.NEVER_EXTRACTABLE] is True, name
        assert handle[Attribute.SIGN] is True, name
        assert handle[Attribute.DERIVE] is False, name


def test_the_private_value_cannot_be_read_from_the_token(hsm_pki):
    for key in _keys(hsm_pki).values():
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key.pkcs11_object[Attribute.VALUE]


def test_the_private_key_cannot_be_wrapped_out_of_the_token(store, hsm_pki):
    session = store._session()
    wrapping_key = session.generate_key(
        KeyType.AES, 256, store=False, capabilities=MechanismFlag.WRAP | MechanismFlag.UNWRAP
    )
    with pytest.raises(pkcs11.exceptions.KeyUnextractable):
        wrapping_key.wrap_key(hsm_pki.root.key.pkcs11_object, mechanism=Mechanism.AES_KEY_WRAP_PAD)


def test_the_token_refuses_to_make_a_key_extractable_again(hsm_pki):
    handle = hsm_pki.seal.key.pkcs11_object
    for attribute, value in ((Attribute.EXTRACTABLE, True), (Attribute.SENSITIVE, False)):
        with pytest.raises(pkcs11.exceptions.PKCS11Error):
            handle[attribute] = value
    assert handle[Attribute.EXTRACTABLE] is False
    assert handle[Attribute.SENSITIVE] is True


def test_the_key_object_refuses_every_export(hsm_pki):
    key = hsm_pki.seal.key
    with pytest.raises(KeyStoreError, match="never leaves"):
        key.private_bytes(
            Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    with pytest.raises(KeyStoreError, match="never leaves"):
        key.private_numbers()
    with pytest.raises(KeyStoreError):
        key.exchange(ec.ECDH(), ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)


# --------------------------------------------------------------------------------------------
# The store


def test_a_generated_key_loads_again_from_another_store(token, store):
    key = store.generate("reload-me")
    again = Pkcs11KeyStore(module=token.module, token_label=token.label, pin=token.pin)
    assert again.exists("reload-me")
    loaded = again.load("reload-me")
    assert loaded is not key  # a fresh handle from the token, not the first store's cache
    assert loaded.public_key() == key.public_key()
    signature = loaded.sign(b"data", ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA256()))


def test_the_store_refuses_a_taken_an_unknown_or_a_bad_name(store):
    store.generate("taken")
    with pytest.raises(KeyStoreError, match="already exists"):
        store.generate("taken")
    assert not store.exists("never-made")
    with pytest.raises(KeyStoreError, match="no key named"):
        store.load("never-made")
    with pytest.raises(KeyStoreError, match="invalid key name"):
        store.generate("../escape")


def test_a_wrong_pin_is_refused_without_being_echoed(token):
    # A second store on an already-open token must bring the same PIN.
    wrong = Pkcs11KeyStore(module=token.module, token_label=token.label, pin="0000-wrong-pin")
    with pytest.raises(KeyStoreError) as refused:
        wrong.exists("root")
    assert "0000-wrong-pin" not in str(refused.value)
    assert "0000-wrong-pin" not in repr(wrong)


def _log_in_with(token: SoftHsmToken, pin: str, connection) -> None:  # type: ignore[no-untyped-def]
    try:
        Pkcs11KeyStore(module=token.module, token_label=token.label, pin=pin).exists("root")
        connection.send("logged in")
    except KeyStoreError as exc:
        connection.send(f"KeyStoreError: {exc}")
    except BaseException as exc:
        connection.send(repr(exc))
    finally:
        connection.close()


def test_a_wrong_pin_at_login_is_refused_without_being_echoed(token, store):
    store.exists("root")  # this process is logged in: a fresh process must log in itself
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=_log_in_with, args=(token, "9999-bad-pin", child_end))
    child.start()
    outcome = parent_end.recv()
    child.join(timeout=60)
    assert outcome.startswith("KeyStoreError: the PIN of token"), outcome
    assert "9999-bad-pin" not in outcome


def test_an_unknown_token_or_module_is_a_key_store_error(token):
    with pytest.raises(KeyStoreError, match="no PKCS#11 token"):
        Pkcs11KeyStore(module=token.module, token_label="no-such-token", pin="1234").exists("x")
    with pytest.raises(KeyStoreError, match="cannot load the PKCS#11 module"):
        Pkcs11KeyStore(module="/nonexistent/libpkcs11.so", token_label="t", pin="1").exists("x")


def test_signatures_are_der_ecdsa_over_sha256_or_a_given_digest(hsm_pki):
    key = hsm_pki.seal.key
    public = key.public_key()
    signature = key.sign(b"message", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"message", ec.ECDSA(hashes.SHA256()))
    utils.decode_dss_signature(signature)  # DER ECDSA-Sig-Value
    digest = hashes.Hash(hashes.SHA384())
    digest.update(b"message")
    prehashed = ec.ECDSA(utils.Prehashed(hashes.SHA384()))
    signature = key.sign(digest.finalize(), prehashed)
    public.verify(signature, b"message", ec.ECDSA(hashes.SHA384()))
    with pytest.raises(KeyStoreError):
        key.sign(b"message", ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def test_threads_share_the_token_safely(hsm_pki):
    key = hsm_pki.seal.key
    failures: list[BaseException] = []

    def sign_many(index: int) -> None:
        try:
            for round_ in range(20):
                data = f"{index}:{round_}".encode()
                key.public_key().verify(
                    key.sign(data, ec.ECDSA(hashes.SHA256())), data, ec.ECDSA(hashes.SHA256())
                )
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=sign_many, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_lost_session_is_replaced_and_the_signature_tried_again(store, hsm_pki):
    key = hsm_pki.tsa.key
    # What an HSM restart looks like to the application: its session handle is gone.
    store._session().close()
    signature = key.sign(b"after the restart", ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(signature, b"after the restart", ec.ECDSA(hashes.SHA256()))
    assert store.load("tsa") is key


def _sign_in_child(key: Pkcs11PrivateKey, token: SoftHsmToken, connection) -> None:  # type: ignore[no-untyped-def]
    try:
        fresh = Pkcs11KeyStore(module=token.module, token_label=token.label, pin=token.pin)
        connection.send(
            [
                key.sign(b"inherited key", ec.ECDSA(hashes.SHA256())),
                fresh.load(key.label).sign(b"fresh store", ec.ECDSA(hashes.SHA256())),
            ]
        )
    except BaseException as exc:
        connection.send(repr(exc))
    finally:
        connection.close()


def test_a_forked_worker_opens_its_own_session(token, hsm_pki):
    # gunicorn forks its workers (after loading the application with --preload): a child must
    # not reuse the session it inherited, even through key objects made before the fork.
    key = hsm_pki.seal.key
    key.sign(b"the parent uses the token first", ec.ECDSA(hashes.SHA256()))
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    child = context.Process(target=_sign_in_child, args=(key, token, child_end))
    child.start()
    result = parent_end.recv()
    child.join(timeout=60)
    assert isinstance(result, list), result
    inherited, fresh = result
    key.public_key().verify(inherited, b"inherited key", ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(fresh, b"fresh store", ec.ECDSA(hashes.SHA256()))
    # And the parent's own session still works.
    key.sign(b"the parent carries on", ec.ECDSA(hashes.SHA256()))


# --------------------------------------------------------------------------------------------
# Independent tools accept what the HSM keys signed


def test_openssl_verifies_every_certificate_issued_with_hsm_keys(hsm_pki, tmp_path):
    root = _pem(tmp_path / "root.pem", hsm_pki.root.certificate)
    seal_ca = _pem(tmp_path / "seal-ca.pem", hsm_pki.seal_ca.certificate)
    code, out = _openssl("verify", "-x509_strict", "-CAfile", root, root)
    assert code == 0, out
    code, out = _openssl("verify", "-x509_strict", "-CAfile", root, seal_ca)
    assert code == 0, out
    for issued in (hsm_pki.tsa, hsm_pki.ocsp, hsm_pki.seal, hsm_pki.trust_list):
        leaf = _pem(tmp_path / "leaf.pem", issued.certificate)
        code, out = _openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", seal_ca, leaf)
        assert code == 0 and "OK" in out, out


def test_openssl_verifies_crls_signed_with_hsm_keys(hsm_pki, tmp_path):
    bundle = _pem(tmp_path / "cas.pem", hsm_pki.root.certificate, hsm_pki.seal_ca.certificate)
    for number, ca in enumerate((hsm_pki.root, hsm_pki.seal_ca), start=1):
        der = build_crl(
            issuer_certificate=ca.certificate,
            issuer_key=ca.key,
            revoked=[RevokedEntry(0x1234 + number, NOW, x509.ReasonFlags.key_compromise)],
            crl_number=number,
            this_update=NOW,
            next_update=NOW + dt.timedelta(days=7),
        )
        crl = tmp_path / f"crl-{number}.der"
        crl.write_bytes(der)
        code, out = _openssl("crl", "-inform", "DER", "-in", crl, "-noout", "-CAfile", bundle)
        assert code == 0 and "verify OK" in out, out
        assert x509.load_der_x509_crl(der).is_signature_valid(ca.certificate.public_key())  # type: ignore[arg-type]


def test_openssl_accepts_ocsp_answers_signed_with_the_hsm_responder_key(hsm_pki, tmp_path):
    root = _pem(tmp_path / "root.pem", hsm_pki.root.certificate)
    issuer = _pem(tmp_path / "seal-ca.pem", hsm_pki.seal_ca.certificate)
    seal = _pem(tmp_path / "seal.pem", hsm_pki.seal.certificate)
    cases = [
        (frozenset(), "seal.pem: good"),
        (frozenset({hsm_pki.seal.certificate.serial_number}), "seal.pem: revoked"),
    ]
    for revoked, expected in cases:
        request = tmp_path / "request.der"
        code, out = _openssl(
            "ocsp", "-issuer", issuer, "-sha256", "-cert", seal, "-reqout", request
        )
        assert code == 0, out
        answer = tmp_path / "answer.der"
        answer.write_bytes(_responder(hsm_pki, revoked).respond(request.read_bytes()))
        # -no_nonce: without a live exchange, openssl compares the answer with a request of its
        # own making; the echo of *our* request's nonce is checked below instead.
        code, out = _openssl(
            "ocsp", "-respin", answer, "-no_nonce",
            "-issuer", issuer, "-sha256", "-cert", seal, "-CAfile", root,
        )  # fmt: skip
        assert code == 0, out
        assert "Response verify OK" in out, out
        assert expected in out, out
        parsed = ocsp.load_der_ocsp_response(answer.read_bytes())
        asked = ocsp.load_der_ocsp_request(request.read_bytes())
        assert (
            parsed.extensions.get_extension_for_class(x509.OCSPNonce).value
            == asked.extensions.get_extension_for_class(x509.OCSPNonce).value
        )
        hsm_pki.ocsp.key.public_key().verify(
            parsed.signature, parsed.tbs_response_bytes, ec.ECDSA(hashes.SHA256())
        )


def test_openssl_verifies_a_time_stamp_signed_with_the_hsm_tsa_key(hsm_pki, tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"a birth certificate, say")
    query = tmp_path / "query.tsq"
    code, out = _openssl("ts", "-query", "-data", data, "-sha256", "-cert", "-out", query)
    assert code == 0, out
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(_tsa(hsm_pki).respond(query.read_bytes()))
    root = _pem(tmp_path / "root.pem", hsm_pki.root.certificate)
    chain = _pem(tmp_path / "chain.pem", hsm_pki.seal_ca.certificate)
    code, out = _openssl(
        "ts", "-verify", "-queryfile", query, "-in", reply, "-CAfile", root, "-untrusted", chain
    )
    assert code == 0 and "Verification: OK" in out, out


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Extrait d'acte de naissance (HSM test)")
    page.save()
    return buffer.getvalue()


def _sealing_material(pki: HsmPki) -> SealingMaterial:
    def answer(certificate: x509.Certificate) -> bytes:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(certificate, pki.seal_ca.certificate, hashes.SHA256())
            .build()
        )
        return _responder(pki).respond(request.public_bytes(Encoding.DER))

    crls = [
        build_crl(
            issuer_certificate=ca.certificate,
            issuer_key=ca.key,
            revoked=[],
            crl_number=1,
            this_update=NOW,
            next_update=NOW + dt.timedelta(days=7),
        )
        for ca in (pki.root, pki.seal_ca)
    ]
    return SealingMaterial(
        certificate=pki.seal.certificate,
        chain=[pki.seal_ca.certificate, pki.root.certificate],
        private_key=pki.seal.key,
        timestamper=InProcessTimeStamper(_tsa(pki)),
        trust_roots=[pki.root.certificate],
        crls=crls,
        ocsp_responses=[answer(pki.seal.certificate), answer(pki.tsa.certificate)],
    )


def test_pyhanko_validates_a_pades_seal_made_with_hsm_keys(hsm_pki):
    sealed = seal_pdf(_pdf(), _sealing_material(hsm_pki), reason="HSM test")
    check = check_sealed_pdf(sealed, trust_roots=[hsm_pki.root.certificate])
    assert check.verdict is SealVerdict.VALID, check.problems
    assert check.level == "B-LT"
    assert check.signer_certificate == hsm_pki.seal.certificate


def test_a_trust_list_signed_with_an_hsm_key_verifies(hsm_pki):
    document = build_trust_list(
        country="ML",
        entries=[TrustListEntry("root", "root", hsm_pki.root.certificate)],
        signer_certificate=hsm_pki.trust_list.certificate,
        signer_key=hsm_pki.trust_list.key,
        chain=[hsm_pki.seal_ca.certificate, hsm_pki.root.certificate],
        now=NOW,
    )
    parsed = read_trust_list(
        document,
        pinned_root_sha256=fingerprint(hsm_pki.root.certificate),
        expected_country="ML",
        now=NOW,
    )
    assert [entry.name for entry in parsed.entries] == ["root"]
