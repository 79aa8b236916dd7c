"""Detached CAdES signatures over an application's bytes, checked by OpenSSL, not only by us.

The PKI answers revocation requests over real (loopback) HTTP, as in test_revocation: its
certificates name a local server whose OCSP responder and CRLs say what ``revoked`` holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from jamana.testing import require_tool, run_tool
from jamana.trust.cms import (
    MAX_CONTENT_BYTES,
    MAX_SIGNATURE_BYTES,
    DetachedSignatureReport,
    sign_detached,
    verify_detached,
)
from jamana.trust.errors import MalformedRequest, TrustError
from jamana.trust.pades import SealingMaterial
from jamana.trust.pki import Policy, Role, issue_certificate, new_key
from jamana.trust.revocation import (
    CertStatus,
    OcspResponder,
    ResponderIdentity,
    RevokedEntry,
    build_crl,
)
from jamana.trust.testing import Issued, make_test_pki
from jamana.trust.testing import TestPki as Pki  # not a test class: keep pytest off it
from jamana.trust.tsa import InProcessTimeStamper, TimeStampAuthority

APPLICATION = (
    '{"call":"ML-2026-RECRUT-0042","candidate":{"family_name":"Traoré",'
    '"given_names":"Aminata","nina":"19870312000045K"},"post":"Institutrice, Kati"}'
).encode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LivePki:
    """A test PKI (certificates issued ten days ago) served on the loopback interface: OCSP at
    ``/pki/ocsp`` for the root, the seal CA and the person CA (which answers for itself), and
    fresh CRLs at ``/pki/crl/<ca>.crl``, both saying what :meth:`revoke` recorded;
    ``requests`` lists what the server was asked."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self.pki: Pki = make_test_pki(base_url=self.base_url, now=_now() - dt.timedelta(days=10))
        # issuer subject -> serial -> status; what is absent is good.
        self.revoked: dict[x509.Name, dict[int, CertStatus]] = {}
        self.requests: list[str] = []
        self._crl_number = 0
        pki = self.pki
        self.cas = {"root": pki.root, "seal-ca": pki.seal_ca, "person-ca": pki.person_ca}
        self.responder = OcspResponder(
            [
                ResponderIdentity(
                    pki.root.certificate, pki.ocsp_root.certificate, pki.ocsp_root.key
                ),
                ResponderIdentity(
                    pki.seal_ca.certificate, pki.ocsp_seal.certificate, pki.ocsp_seal.key
                ),
                ResponderIdentity(
                    pki.person_ca.certificate, pki.person_ca.certificate, pki.person_ca.key
                ),
            ],
            lambda issuer, serial: self.revoked.get(issuer.subject, {}).get(
                serial, CertStatus.GOOD
            ),
        )

    def revoke(self, certificate: x509.Certificate, at: dt.datetime) -> None:
        self.revoked.setdefault(certificate.issuer, {})[certificate.serial_number] = (
            CertStatus.revoked(at, x509.ReasonFlags.key_compromise)
        )

    def crl(self, ca_name: str) -> bytes:
        ca = self.cas[ca_name]
        self._crl_number += 1
        entries = self.revoked.get(ca.certificate.subject, {})
        return build_crl(
            issuer_certificate=ca.certificate,
            issuer_key=ca.key,
            revoked=[
                RevokedEntry(serial, status.revoked_at, x509.ReasonFlags.key_compromise)
                for serial, status in entries.items()
                if status.revoked_at is not None
            ],
            crl_number=self._crl_number,
            this_update=_now(),
            next_update=_now() + dt.timedelta(days=1),
        )

    def person(self, common_name: str = "Aminata Traoré") -> Issued:
        """A citizen's signature certificate, as the platform issues it (name and NINA)."""
        key = new_key()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "ML"),
                x509.NameAttribute(NameOID.SURNAME, "Traoré"),
                x509.NameAttribute(NameOID.GIVEN_NAME, "Aminata"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCML-19870312000045K"),
            ]
        )
        certificate = issue_certificate(
            role=Role.PERSON,
            subject=subject,
            public_key=key.public_key(),
            issuer_certificate=self.pki.person_ca.certificate,
            issuer_key=self.pki.person_ca.key,
            issuer_name="person-ca",
            urls=self.pki.urls,
            now=_now() - dt.timedelta(days=10),
        )
        return Issued(certificate, key)

    def material(
        self, signer: Issued, *, tsa_clock: Callable[[], dt.datetime] = _now
    ) -> SealingMaterial:
        """What the remote-signing service holds for ``signer``: key, chain and our TSA."""
        tsa = TimeStampAuthority(
            certificate=self.pki.tsa.certificate,
            private_key=self.pki.tsa.key,
            chain=[self.pki.seal_ca.certificate],
            policy_oid=Policy.TIMESTAMP,
            clock=tsa_clock,
        )
        return SealingMaterial(
            certificate=signer.certificate,
            chain=[self.pki.person_ca.certificate, self.pki.root.certificate],
            private_key=signer.key,
            timestamper=InProcessTimeStamper(tsa),
            trust_roots=[self.pki.root.certificate],
        )

    def verify(self, data: bytes, signature: bytes, **options: object) -> DetachedSignatureReport:
        return verify_detached(
            data,
            signature,
            trust_roots=[self.pki.root.certificate],
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def live() -> Iterator[LivePki]:
    holder: list[LivePki] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            live = holder[0]
            live.requests.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            self._answer(live.responder.respond(body), "application/ocsp-response")

        def do_GET(self) -> None:
            live = holder[0]
            live.requests.append(f"GET {self.path}")
            if self.path.startswith("/pki/ocsp/"):
                body = live.responder.respond_to_get(self.path[len("/pki/ocsp/") :])
                self._answer(body, "application/ocsp-response")
            elif self.path.startswith("/pki/crl/") and self.path.endswith(".crl"):
                name = self.path[len("/pki/crl/") : -len(".crl")]
                if name not in live.cas:
                    self.send_error(404)
                    return
                self._answer(live.crl(name), "application/pkix-crl")
            else:
                self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(LivePki(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _nothing_revoked(live: LivePki) -> Iterator[None]:
    live.revoked.clear()
    live.requests.clear()
    yield
    live.revoked.clear()


@pytest.fixture(scope="module")
def citizen(live: LivePki) -> Issued:
    return live.person()


@pytest.fixture(scope="module")
def signature(live: LivePki, citizen: Issued) -> bytes:
    return sign_detached(APPLICATION, live.material(citizen))


def _signer_info(signature: bytes) -> cms.SignerInfo:
    info: cms.SignerInfo = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    return info


# --------------------------------------------------------------------------------------------
# Signing


def test_the_signature_is_a_detached_cades_signed_data_with_the_chain(signature, live, citizen):
    content_info = cms.ContentInfo.load(signature)
    signed_data = content_info["content"]
    assert content_info["content_type"].native == "signed_data"
    assert signed_data["encap_content_info"].native == {"content_type": "data", "content": None}
    signer_info = signed_data["signer_infos"][0]
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer_info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    signed = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    assert set(signed) == {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate_v2",
    }
    assert signed["content_type"].native == "data"
    assert signed["message_digest"].native == hashlib.sha256(APPLICATION).digest()
    assert signed["signing_time"].native.utcoffset() == dt.timedelta(0)
    ess = signed["signing_certificate_v2"]["certs"][0]
    assert (
        ess["cert_hash"].native
        == hashlib.sha256(citizen.certificate.public_bytes(Encoding.DER)).digest()
    )
    unsigned = [a["type"].native for a in signer_info["unsigned_attrs"]]
    assert unsigned == ["signature_time_stamp_token"]
    serials = {c.chosen.serial_number for c in signed_data["certificates"]}
    assert serials == {
        citizen.certificate.serial_number,
        live.pki.person_ca.certificate.serial_number,
        live.pki.root.certificate.serial_number,
    }


def test_a_key_that_does_not_match_the_certificate_is_caught_when_signing(live, citizen):
    impostor = dataclasses.replace(
        live.material(citizen),
        private_key=new_key(),
        timestamper=None,  # type: ignore[arg-type]  # the check comes first; spare the TSA
    )
    with pytest.raises(TrustError, match="does not verify"):
        sign_detached(APPLICATION, impostor)


def test_a_tsa_that_cannot_stamp_is_a_trust_error(live, citizen):
    # The TSA refuses to stamp outside its certificate's validity (systemFailure).
    material = live.material(citizen, tsa_clock=lambda: _now() + dt.timedelta(days=365 * 30))
    with pytest.raises(TrustError, match="cannot sign"):
        sign_detached(APPLICATION, material)


def test_oversized_content_is_refused_when_signing(live, citizen):
    with pytest.raises(MalformedRequest):
        sign_detached(b" " * (MAX_CONTENT_BYTES + 1), live.material(citizen))


# --------------------------------------------------------------------------------------------
# Verification, online against the loopback responders


def test_a_signed_application_verifies_with_its_timestamp_and_signer(live, citizen, signature):
    report = live.verify(APPLICATION, signature)

    assert report.valid, report.problems
    assert report.intact and report.trusted and report.timestamped
    assert report.problems == ()
    assert report.signer_subject == citizen.certificate.subject.rfc4514_string()
    assert "2.5.4.5=IDCML-19870312000045K" in report.signer_subject
    assert report.signer_serial == citizen.certificate.serial_number
    assert report.signed_at is not None
    assert _now() - dt.timedelta(minutes=5) < report.signed_at <= _now()
    # Revocation really was checked over HTTP; no certificate was fetched.
    assert any(request.startswith("POST /pki/ocsp") for request in live.requests)
    assert not any("/pki/certs/" in request for request in live.requests)


@pytest.mark.parametrize("position", [0, len(APPLICATION) // 2, len(APPLICATION) - 1])
def test_one_changed_byte_of_the_content_is_not_intact(live, signature, position):
    changed = bytearray(APPLICATION)
    changed[position] ^= 0x01

    report = live.verify(bytes(changed), signature)

    assert not report.valid
    assert not report.intact
    assert "content does not match" in report.problems[0]


def test_a_changed_signature_value_is_not_intact(live, signature):
    signer_info = _signer_info(signature)
    value = bytearray(signer_info["signature"].native)
    value[-1] ^= 0x01
    tampered = signature.replace(signer_info["signature"].native, bytes(value))

    report = live.verify(APPLICATION, tampered)

    assert not report.valid
    assert not report.intact


def test_another_countrys_root_does_not_trust_the_signature(live, signature):
    foreign_root = make_test_pki(country="BF").root.certificate

    report = verify_detached(APPLICATION, signature, trust_roots=[foreign_root])

    assert not report.valid
    assert report.intact
    assert not report.trusted
    assert "does not chain to a trusted root" in report.problems[0]


def test_a_certificate_revoked_before_signing_invalidates_the_signature(live):
    signer = live.person("Revoked Before")
    live.revoke(signer.certificate, _now() - dt.timedelta(hours=1))

    report = live.verify(APPLICATION, sign_detached(APPLICATION, live.material(signer)))

    assert not report.valid
    assert report.intact
    assert not report.trusted
    assert "revoked" in report.problems[0]


def test_a_certificate_revoked_after_the_timestamp_keeps_the_signature_valid(live):
    # The citizen signed two days ago, lost the phone yesterday and revoked the certificate:
    # the timestamp proves the application was signed while the certificate was good.
    signer = live.person("Revoked After")
    two_days_ago = _now() - dt.timedelta(days=2)
    signature = sign_detached(APPLICATION, live.material(signer, tsa_clock=lambda: two_days_ago))
    live.revoke(signer.certificate, _now() - dt.timedelta(days=1))

    report = live.verify(APPLICATION, signature)

    assert report.valid, report.problems
    assert report.signed_at == two_days_ago.replace(microsecond=0)


def test_a_person_ca_revoked_before_signing_invalidates_the_signature(live, citizen):
    # pyHanko's validation with time lets a revoked CA pass whenever a timestamp is present;
    # verify_detached must not.
    live.revoke(live.pki.person_ca.certificate, _now() - dt.timedelta(hours=1))

    report = live.verify(APPLICATION, sign_detached(APPLICATION, live.material(citizen)))

    assert not report.valid
    assert not report.trusted
    assert "CA certificate" in report.problems[0]


def test_a_certificate_without_non_repudiation_may_not_sign(live):
    # The trust-list signer's certificate has digitalSignature only: it chains to the root and
    # is not revoked, but it does not commit anyone to an application.
    pki = live.pki
    material = dataclasses.replace(
        live.material(pki.trust_list),
        chain=[pki.seal_ca.certificate, pki.root.certificate],
    )

    report = live.verify(APPLICATION, sign_detached(APPLICATION, material))

    assert not report.valid
    assert report.intact
    assert not report.trusted
    assert "non-repudiation" in report.problems[0]


def test_a_signature_without_timestamp_is_valid_but_says_so(live, citizen):
    material = dataclasses.replace(live.material(citizen), timestamper=None)  # type: ignore[arg-type]
    signature = sign_detached(APPLICATION, material)

    report = live.verify(APPLICATION, signature)

    assert report.valid, report.problems
    assert not report.timestamped
    signing_time = next(
        a["values"][0].native
        for a in _signer_info(signature)["signed_attrs"]
        if a["type"].native == "signing_time"
    )
    assert report.signed_at == signing_time


def test_a_timestamp_over_another_signature_is_not_accepted(live, citizen, signature):
    # Graft the timestamp token of one signature onto another (B-B) one: its imprint covers
    # the first signature value, not this one.
    other_data = b'{"other":"application"}'
    untimestamped = dataclasses.replace(live.material(citizen), timestamper=None)  # type: ignore[arg-type]
    grafted = cms.ContentInfo.load(sign_detached(other_data, untimestamped))
    grafted["content"]["signer_infos"][0]["unsigned_attrs"] = cms.CMSAttributes.load(
        _signer_info(signature)["unsigned_attrs"].untag().dump()
    )

    report = live.verify(other_data, grafted.dump())

    assert not report.valid
    assert report.intact
    assert not report.timestamped
    assert "timestamp" in report.problems[0]


# --------------------------------------------------------------------------------------------
# Offline mode


def _revocation_data(live: LivePki, signer: Issued) -> dict[str, object]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    def answer(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
        request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256())
        return live.responder.respond(request.build().public_bytes(Encoding.DER))

    pki = live.pki
    return {
        "crls": [live.crl("root")],
        "ocsp_responses": [
            answer(signer.certificate, pki.person_ca.certificate),
            answer(pki.tsa.certificate, pki.seal_ca.certificate),
        ],
    }


def test_offline_the_revocation_data_passed_in_is_enough(live, citizen, signature):
    report = live.verify(
        APPLICATION, signature, allow_fetching=False, **_revocation_data(live, citizen)
    )

    assert report.valid, report.problems
    assert live.requests == []


def test_offline_without_revocation_data_nothing_is_trusted(live, signature):
    report = live.verify(APPLICATION, signature, allow_fetching=False)

    assert not report.valid
    assert report.intact
    assert not report.trusted
    assert "CRL or OCSP" in report.problems[0]
    assert live.requests == []


# --------------------------------------------------------------------------------------------
# Untrusted input


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x30\x03\x02\x01\x01", b"not a signature", b"\x30\x82\xff\xff" + b"\x00" * 64],
)
def test_garbage_is_a_report_not_an_exception(live, garbage):
    report = live.verify(APPLICATION, garbage)

    assert not report.valid
    assert report.problems
    assert (report.signer_subject, report.signer_serial) == ("", 0)


def test_a_truncated_signature_is_a_report(live, signature):
    report = live.verify(APPLICATION, signature[:-10])

    assert not report.valid
    assert "not a DER CMS" in report.problems[0]


def test_a_signature_that_encapsulates_its_content_is_refused(live, citizen):
    import asyncio

    material = live.material(citizen)
    attached = asyncio.run(
        material.pyhanko_signer().async_sign_general_data(
            cms.ContentInfo({"content_type": "data", "content": APPLICATION}),
            "sha256",
            detached=False,
            use_cades=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=_now()),
        )
    ).dump()

    report = live.verify(APPLICATION, attached)

    assert not report.valid
    assert "not detached" in report.problems[0]


def test_oversized_input_is_refused(live, signature):
    with pytest.raises(MalformedRequest):
        live.verify(APPLICATION, b"\x30" * (MAX_SIGNATURE_BYTES + 1))
    with pytest.raises(MalformedRequest):
        live.verify(b" " * (MAX_CONTENT_BYTES + 1), signature)


def test_no_trust_root_is_a_programming_error(signature):
    with pytest.raises(ValueError, match="trust root"):
        verify_detached(APPLICATION, signature, trust_roots=[])


# --------------------------------------------------------------------------------------------
# The independent tool: OpenSSL


def _pem(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certificates))
    return path


def test_openssl_verifies_the_signature_and_rejects_a_changed_content(live, signature, tmp_path):
    openssl = require_tool("openssl")
    (tmp_path / "sig.p7s").write_bytes(signature)
    (tmp_path / "data.json").write_bytes(APPLICATION)
    (tmp_path / "changed.json").write_bytes(APPLICATION.replace(b"Kati", b"Kita"))
    root = _pem(tmp_path / "root.pem", live.pki.root.certificate)

    def verify(content: str) -> tuple[int, str]:
        # -binary: the content is bytes, not MIME text (no CRLF canonicalisation). The default
        # purpose (S/MIME signing) applies: our person certificates carry emailProtection.
        return run_tool(
            openssl, "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(tmp_path / "sig.p7s"), "-content", str(tmp_path / content),
            "-CAfile", str(root), "-out", str(tmp_path / "out.bin"),
        )  # fmt: skip

    code, out = verify("data.json")
    assert code == 0, out
    assert "Verification successful" in out
    assert (tmp_path / "out.bin").read_bytes() == APPLICATION

    code, out = verify("changed.json")
    assert code != 0
    assert "Verification failure" in out


def test_openssl_verifies_the_timestamp_token_over_the_signature_value(live, signature, tmp_path):
    openssl = require_tool("openssl")
    signer_info = _signer_info(signature)
    token = next(
        a["values"][0]
        for a in signer_info["unsigned_attrs"]
        if a["type"].native == "signature_time_stamp_token"
    )
    (tmp_path / "token.der").write_bytes(token.dump())
    (tmp_path / "value.bin").write_bytes(signer_info["signature"].native)
    (tmp_path / "other.bin").write_bytes(b"another signature value")
    root = _pem(tmp_path / "root.pem", live.pki.root.certificate)
    untrusted = _pem(tmp_path / "chain.pem", live.pki.seal_ca.certificate, live.pki.tsa.certificate)

    def verify(data: str) -> tuple[int, str]:
        return run_tool(
            openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
            "-data", str(tmp_path / data), "-CAfile", str(root), "-untrusted", str(untrusted),
        )  # fmt: skip

    code, out = verify("value.bin")
    assert code == 0, out
    assert "Verification: OK" in out
    code, out = verify("other.bin")
    assert code != 0
