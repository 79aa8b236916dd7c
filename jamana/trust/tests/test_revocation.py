"""CRLs and the OCSP responder, checked by OpenSSL over real (loopback) HTTP, not only by us."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from jamana.trust.errors import MalformedRequest
from jamana.trust.pki import new_key
from jamana.trust.revocation import (
    CertStatus,
    OcspResponder,
    ResponderIdentity,
    RevokedEntry,
    build_crl,
)
from jamana.trust.testing import TestPki as Pki  # not a test class: keep pytest off it
from jamana.trust.testing import make_test_pki

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
OCSP_PATH = "/pki/ocsp"


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    return subprocess.run(  # noqa: S603 - fixed argv, our own files
        [OPENSSL, *map(str, args)], check=False, capture_output=True, text=True
    )


def _pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in certs))
    return path


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_test_pki()


@pytest.fixture(scope="module")
def other_pki() -> Pki:
    """Another country's PKI, which our responder does not serve."""
    return make_test_pki(country="BF")


@pytest.fixture
def files(pki: Pki, tmp_path: Path) -> dict[str, Path]:
    return {
        "root": _pem(tmp_path / "root.pem", pki.root.certificate),
        "sealca": _pem(tmp_path / "sealca.pem", pki.seal_ca.certificate),
        "chain": _pem(tmp_path / "chain.pem", pki.root.certificate, pki.seal_ca.certificate),
        "seal": _pem(tmp_path / "seal.pem", pki.seal.certificate),
    }


class Registry:
    """The lookup the platform's certificate registry would provide: certificates it issued are
    good until marked revoked; serials it never saw are unknown."""

    def __init__(self, pki: Pki) -> None:
        self.issued = {
            (pki.root.certificate.subject, pki.seal_ca.certificate.serial_number),
            (pki.seal_ca.certificate.subject, pki.seal.certificate.serial_number),
        }
        self.revoked: dict[int, CertStatus] = {}
        self.calls: list[tuple[x509.Name, int]] = []

    def lookup(self, issuer: x509.Certificate, serial: int) -> CertStatus:
        self.calls.append((issuer.subject, serial))
        if serial in self.revoked:
            return self.revoked[serial]
        if (issuer.subject, serial) in self.issued:
            return CertStatus.GOOD
        return CertStatus.UNKNOWN


@pytest.fixture
def registry(pki: Pki) -> Registry:
    return Registry(pki)


@pytest.fixture
def responder(pki: Pki, registry: Registry) -> OcspResponder:
    return OcspResponder(
        [
            ResponderIdentity(
                issuer_certificate=pki.root.certificate,
                responder_certificate=pki.ocsp_root.certificate,
                responder_key=pki.ocsp_root.key,
            ),
            ResponderIdentity(
                issuer_certificate=pki.seal_ca.certificate,
                responder_certificate=pki.ocsp_seal.certificate,
                responder_key=pki.ocsp_seal.key,
            ),
        ],
        registry.lookup,
    )


@pytest.fixture
def ocsp_url(responder: OcspResponder) -> Iterator[str]:
    """A real HTTP OCSP endpoint on the loopback interface, answering POST and GET."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self._answer(responder.respond(self.rfile.read(length)))

        def do_GET(self) -> None:
            if not self.path.startswith(OCSP_PATH + "/"):
                self.send_error(404)
                return
            self._answer(responder.respond_to_get(self.path[len(OCSP_PATH) + 1 :]))

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{OCSP_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _request(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = None,
) -> bytes:
    # SHA-1 CertIDs are what OpenSSL and most clients send (RFC 5019): a name, not a signature.
    algorithm = algorithm or hashes.SHA1()  # noqa: S303
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


# --------------------------------------------------------------------------------------------
# OCSP with OpenSSL as the client


@needs_openssl
@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha384"])
def test_openssl_gets_good_for_a_valid_seal(files, ocsp_url, digest):
    """OpenSSL's default SHA-1 CertIDs and -sha256/-sha384 ones are all matched and echoed."""
    result = _openssl(
        "ocsp", "-issuer", files["sealca"], f"-{digest}", "-cert", files["seal"],
        "-url", ocsp_url, "-CAfile", files["root"], "-resp_text",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{files['seal']}: good" in output
    assert "Response verify OK" in output
    assert f"Hash Algorithm: {digest}" in output
    # openssl sends a nonce by default and complains when it is missing or different.
    assert "WARNING: no nonce in response" not in output
    assert "Nonce Verify error" not in output


@needs_openssl
def test_openssl_sees_a_revoked_seal_with_time_and_reason(files, ocsp_url, registry, pki):
    revoked_at = dt.datetime(2026, 2, 1, 12, 0, 0, tzinfo=dt.UTC)
    registry.revoked[pki.seal.certificate.serial_number] = CertStatus.revoked(
        revoked_at, x509.ReasonFlags.key_compromise
    )
    result = _openssl(
        "ocsp", "-issuer", files["sealca"], "-cert", files["seal"],
        "-url", ocsp_url, "-CAfile", files["root"], "-resp_text",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert f"{files['seal']}: revoked" in output, output
    assert "Reason: keyCompromise" in output
    assert "Revocation Time: Feb  1 12:00:00 2026 GMT" in output
    assert "Response verify OK" in output


@needs_openssl
def test_root_responder_answers_for_the_seal_ca_itself(files, ocsp_url, pki):
    result = _openssl(
        "ocsp", "-issuer", files["root"], "-cert", files["sealca"],
        "-url", ocsp_url, "-CAfile", files["root"], "-resp_text",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert f"{files['sealca']}: good" in output, output
    assert "Response verify OK" in output
    # Signed by the root's delegated responder, not by the seal CA's.
    assert "Jamana OCSP responder (root, test)" in output
    assert "Jamana OCSP responder (test)" not in output


@needs_openssl
def test_openssl_gets_unknown_for_a_serial_never_issued(files, ocsp_url):
    result = _openssl(
        "ocsp", "-issuer", files["sealca"], "-serial", "0x1234567",
        "-url", ocsp_url, "-CAfile", files["root"],
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "0x1234567: unknown" in output, output
    assert "Response verify OK" in output


@needs_openssl
def test_openssl_is_told_unauthorized_for_another_pki(other_pki, ocsp_url, tmp_path):
    issuer = _pem(tmp_path / "bf-ca.pem", other_pki.seal_ca.certificate)
    cert = _pem(tmp_path / "bf-seal.pem", other_pki.seal.certificate)
    result = _openssl("ocsp", "-issuer", issuer, "-cert", cert, "-url", ocsp_url, "-noverify")
    output = result.stdout + result.stderr
    assert "Responder Error: unauthorized (6)" in output, output


@needs_openssl
def test_get_request_with_url_encoded_base64(files, ocsp_url, tmp_path, pki):
    request_file = tmp_path / "req.der"
    made = _openssl(
        "ocsp", "-issuer", files["sealca"], "-cert", files["seal"], "-reqout", request_file
    )
    assert made.returncode == 0, made.stderr
    request_der = request_file.read_bytes()
    encoded = urllib.parse.quote(base64.b64encode(request_der).decode(), safe="")
    with urllib.request.urlopen(f"{ocsp_url}/{encoded}", timeout=10) as reply:  # noqa: S310 - loopback
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        response_der = reply.read()

    response = ocsp.load_der_ocsp_response(response_der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == pki.seal.certificate.serial_number
    nonce = ocsp.load_der_ocsp_request(request_der).extensions.get_extension_for_class(
        x509.OCSPNonce
    )
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value == nonce.value

    # OpenSSL accepts the answer to its own request, nonce included, with only the root as
    # trust anchor: the response carries the seal CA certificate to chain the responder to it.
    response_file = tmp_path / "resp.der"
    response_file.write_bytes(response_der)
    checked = _openssl(
        "ocsp", "-reqin", request_file, "-respin", response_file, "-CAfile", files["root"],
        "-resp_text",
    )  # fmt: skip
    output = checked.stdout + checked.stderr
    assert "Response verify OK" in output, output
    assert "Cert Status: good" in output
    assert "Nonce Verify error" not in output


# --------------------------------------------------------------------------------------------
# OCSP protocol details, checked with cryptography's parser


def test_sha256_cert_id_is_echoed_and_signed_by_the_delegated_responder(responder, pki):
    request_der = _request(pki.seal.certificate, pki.seal_ca.certificate, hashes.SHA256())
    request = ocsp.load_der_ocsp_request(request_der)
    response = ocsp.load_der_ocsp_response(responder.respond(request_der))

    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert isinstance(response.hash_algorithm, hashes.SHA256)
    assert response.issuer_name_hash == request.issuer_name_hash
    assert response.issuer_key_hash == request.issuer_key_hash
    assert response.certificates == [pki.ocsp_seal.certificate, pki.seal_ca.certificate]
    assert response.responder_key_hash == (
        x509.SubjectKeyIdentifier.from_public_key(pki.ocsp_seal.key.public_key()).digest
    )
    pki.ocsp_seal.key.public_key().verify(
        response.signature, response.tbs_response_bytes, ec.ECDSA(hashes.SHA256())
    )


def test_this_and_next_update_come_from_the_clock_and_validity(pki, registry):
    responder = OcspResponder(
        [ResponderIdentity(pki.seal_ca.certificate, pki.ocsp_seal.certificate, pki.ocsp_seal.key)],
        registry.lookup,
        clock=lambda: NOW.replace(microsecond=123456),
        validity=dt.timedelta(hours=4),
    )
    response = ocsp.load_der_ocsp_response(
        responder.respond(_request(pki.seal.certificate, pki.seal_ca.certificate))
    )
    assert response.this_update_utc == NOW
    assert response.next_update_utc == NOW + dt.timedelta(hours=4)
    assert registry.calls == [(pki.seal_ca.certificate.subject, pki.seal.certificate.serial_number)]


def test_nonce_is_echoed_and_absent_when_not_asked(responder, pki):
    nonce = bytes(range(32))
    with_nonce = ocsp.load_der_ocsp_response(
        responder.respond(_request(pki.seal.certificate, pki.seal_ca.certificate, nonce=nonce))
    )
    assert with_nonce.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce

    without = ocsp.load_der_ocsp_response(
        responder.respond(_request(pki.seal.certificate, pki.seal_ca.certificate))
    )
    assert len(without.extensions) == 0


def test_revoked_for_unspecified_reason_carries_no_reason(responder, registry, pki):
    registry.revoked[pki.seal.certificate.serial_number] = CertStatus.revoked(NOW)
    response = ocsp.load_der_ocsp_response(
        responder.respond(_request(pki.seal.certificate, pki.seal_ca.certificate))
    )
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == NOW
    assert response.revocation_reason is None


def _status(response_der: bytes) -> ocsp.OCSPResponseStatus:
    return ocsp.load_der_ocsp_response(response_der).response_status


@pytest.mark.parametrize(
    "garbage",
    [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30" * 10_000, b"\x00" * 100_000],
)
def test_garbage_gets_malformed_request(responder, garbage):
    response_der = responder.respond(garbage)
    assert _status(response_der) is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # OCSPResponse { responseStatus ENUMERATED 1 } and nothing else.
    assert response_der == b"\x30\x03\x0a\x01\x01"


def test_request_for_another_pki_gets_unauthorized(responder, other_pki):
    response_der = responder.respond(
        _request(other_pki.seal.certificate, other_pki.seal_ca.certificate)
    )
    assert _status(response_der) is ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert response_der == b"\x30\x03\x0a\x01\x06"


def test_cert_id_must_match_issuer_name_and_key(responder, pki, other_pki):
    # Same subject name hash as our seal CA but another key: a forged "same-name" CA.
    ours = ocsp.load_der_ocsp_request(_request(pki.seal.certificate, pki.seal_ca.certificate))
    theirs = ocsp.load_der_ocsp_request(
        _request(other_pki.seal.certificate, other_pki.seal_ca.certificate)
    )
    mixed = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            ours.issuer_name_hash,
            theirs.issuer_key_hash,
            42,
            hashes.SHA1(),  # noqa: S303
        )
        .build()
        .public_bytes(Encoding.DER)
    )
    assert _status(responder.respond(mixed)) is ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_several_certificates_in_one_request_get_malformed_request(responder, pki):
    single = asn1_ocsp.OCSPRequest.load(_request(pki.seal.certificate, pki.seal_ca.certificate))
    entry = single["tbs_request"]["request_list"][0]
    double = asn1_ocsp.OCSPRequest(
        {"tbs_request": {"request_list": [entry.copy(), entry.copy()]}}
    ).dump()
    assert _status(responder.respond(double)) is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_oversized_nonce_gets_malformed_request(responder, pki):
    request = _request(pki.seal.certificate, pki.seal_ca.certificate, nonce=b"n" * 129)
    assert _status(responder.respond(request)) is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_failing_lookup_gets_internal_error(pki, caplog):
    def broken(issuer: x509.Certificate, serial: int) -> CertStatus:
        raise RuntimeError("registry database is down")

    responder = OcspResponder(
        [ResponderIdentity(pki.seal_ca.certificate, pki.ocsp_seal.certificate, pki.ocsp_seal.key)],
        broken,
    )
    response_der = responder.respond(_request(pki.seal.certificate, pki.seal_ca.certificate))
    assert _status(response_der) is ocsp.OCSPResponseStatus.INTERNAL_ERROR
    assert "registry database is down" in caplog.text


def test_get_path_decoding(pki):
    request_der = _request(pki.seal.certificate, pki.seal_ca.certificate, nonce=b"\xfb" * 20)
    text = base64.b64encode(request_der).decode()
    assert "+" in text and "/" in text  # the characters URL encoding must not break
    assert OcspResponder.request_from_get_path(urllib.parse.quote(text, safe="")) == request_der
    # Unencoded base64 ('/' and '+' as is), a leading slash and stripped padding all work.
    assert OcspResponder.request_from_get_path("/" + text.rstrip("=")) == request_der
    for bad in ["", "/", "!!!notbase64", "%ff%fe", "A" * 200_000]:
        with pytest.raises(MalformedRequest):
            OcspResponder.request_from_get_path(bad)


def test_get_garbage_gets_malformed_request(responder):
    assert _status(responder.respond_to_get("%%%")) is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_identity_refuses_a_responder_that_is_not_a_delegated_ocsp_signer(pki):
    # The seal certificate is issued by the seal CA but has no OCSPSigning EKU.
    with pytest.raises(ValueError, match="OCSPSigning"):
        ResponderIdentity(pki.seal_ca.certificate, pki.seal.certificate, pki.seal.key)
    # The root's responder is not issued by the seal CA.
    with pytest.raises(ValueError, match="not issued by"):
        ResponderIdentity(pki.seal_ca.certificate, pki.ocsp_root.certificate, pki.ocsp_root.key)
    with pytest.raises(ValueError, match="does not match"):
        ResponderIdentity(pki.seal_ca.certificate, pki.ocsp_seal.certificate, new_key())
    # A CA may sign its own answers.
    ResponderIdentity(pki.seal_ca.certificate, pki.seal_ca.certificate, pki.seal_ca.key)


def test_cert_status_invariants():
    assert CertStatus.GOOD.kind is ocsp.OCSPCertStatus.GOOD
    assert CertStatus.UNKNOWN.kind is ocsp.OCSPCertStatus.UNKNOWN
    with pytest.raises(ValueError, match="timezone-aware"):
        CertStatus.revoked(dt.datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(ValueError, match="removeFromCRL"):
        CertStatus.revoked(NOW, x509.ReasonFlags.remove_from_crl)
    with pytest.raises(ValueError, match="only a revoked status"):
        CertStatus(ocsp.OCSPCertStatus.GOOD, revoked_at=NOW)


# --------------------------------------------------------------------------------------------
# CRLs


def _crl(issuer, entries, number=7, this_update=NOW, next_update=NOW + dt.timedelta(days=1)):
    return build_crl(
        issuer_certificate=issuer.certificate,
        issuer_key=issuer.key,
        revoked=entries,
        crl_number=number,
        this_update=this_update,
        next_update=next_update,
    )


@needs_openssl
def test_openssl_parses_and_verifies_a_root_crl(pki, files, tmp_path):
    crl_file = tmp_path / "root.crl"
    crl_file.write_bytes(
        _crl(
            pki.root,
            [
                RevokedEntry(0xABCDEF, NOW - dt.timedelta(days=2), x509.ReasonFlags.ca_compromise),
                RevokedEntry(0x1234, NOW - dt.timedelta(days=1), x509.ReasonFlags.superseded),
            ],
            number=42,
        )
    )
    text = _openssl("crl", "-inform", "DER", "-in", crl_file, "-noout", "-text")
    assert text.returncode == 0, text.stderr
    for expected in [
        "X509v3 CRL Number:",
        "42",
        "X509v3 Authority Key Identifier:",
        "Serial Number: 1234",
        "Serial Number: ABCDEF",
        "Superseded",
        "CA Compromise",
        "Signature Algorithm: ecdsa-with-SHA256",
        "Last Update: Mar  2 09:30:00 2026 GMT",
        "Next Update: Mar  3 09:30:00 2026 GMT",
    ]:
        assert expected in text.stdout, expected
    ski = pki.root.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value.digest.hex(":").upper() in text.stdout

    verify = _openssl("crl", "-inform", "DER", "-in", crl_file, "-noout", "-CAfile", files["root"])
    assert "verify OK" in verify.stdout + verify.stderr, verify.stderr


@needs_openssl
def test_openssl_rejects_a_crl_claimed_by_the_wrong_ca(pki, files, tmp_path):
    crl_file = tmp_path / "seal-ca.crl"
    crl_file.write_bytes(_crl(pki.seal_ca, []))
    verify = _openssl("crl", "-inform", "DER", "-in", crl_file, "-noout", "-CAfile", files["root"])
    assert "verify OK" not in verify.stdout + verify.stderr


@needs_openssl
def test_seal_ca_crl_verifies_and_revokes_the_seal_in_path_validation(pki, files, tmp_path):
    entry = RevokedEntry(
        pki.seal.certificate.serial_number,
        NOW - dt.timedelta(hours=1),
        x509.ReasonFlags.key_compromise,
    )
    # openssl verify checks the CRL's dates against the real clock.
    now = dt.datetime.now(dt.UTC)
    crl_der = _crl(pki.seal_ca, [entry], this_update=now, next_update=now + dt.timedelta(days=1))
    crl_file = tmp_path / "seal-ca.crl"
    crl_file.write_bytes(crl_der)
    verify = _openssl("crl", "-inform", "DER", "-in", crl_file, "-noout", "-CAfile", files["chain"])
    assert "verify OK" in verify.stdout + verify.stderr, verify.stderr

    # The real use: OpenSSL's chain validation with CRL checking finds the seal revoked.
    crl_pem = tmp_path / "seal-ca.crl.pem"
    crl_pem.write_bytes(x509.load_der_x509_crl(crl_der).public_bytes(Encoding.PEM))
    checked = _openssl(
        "verify", "-crl_check", "-CAfile", files["root"], "-untrusted", files["sealca"],
        "-CRLfile", crl_pem, files["seal"],
    )  # fmt: skip
    assert checked.returncode != 0
    assert "certificate revoked" in checked.stdout + checked.stderr

    empty_pem = tmp_path / "empty.crl.pem"
    empty = _crl(pki.seal_ca, [], number=8, this_update=now, next_update=now + dt.timedelta(days=1))
    empty_pem.write_bytes(x509.load_der_x509_crl(empty).public_bytes(Encoding.PEM))
    fine = _openssl(
        "verify", "-crl_check", "-CAfile", files["root"], "-untrusted", files["sealca"],
        "-CRLfile", empty_pem, files["seal"],
    )  # fmt: skip
    assert fine.returncode == 0, fine.stdout + fine.stderr


def test_crl_content(pki):
    crl = x509.load_der_x509_crl(
        _crl(
            pki.seal_ca,
            [
                RevokedEntry(5, NOW.replace(microsecond=999), x509.ReasonFlags.key_compromise),
                RevokedEntry(3, NOW, x509.ReasonFlags.unspecified),
            ],
            number=2**100,
        )
    )
    assert crl.is_signature_valid(pki.seal_ca.certificate.public_key())
    assert crl.issuer == pki.seal_ca.certificate.subject
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2**100
    assert isinstance(crl.signature_hash_algorithm, hashes.SHA256)
    assert [entry.serial_number for entry in crl] == [3, 5]
    five = crl.get_revoked_certificate_by_serial_number(5)
    assert five is not None and five.revocation_date_utc == NOW
    assert five.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
        x509.ReasonFlags.key_compromise
    )
    three = crl.get_revoked_certificate_by_serial_number(3)
    assert three is not None and len(three.extensions) == 0  # RFC 5280: omit "unspecified"


def test_crl_refuses_bad_input(pki):
    entry = RevokedEntry(5, NOW, x509.ReasonFlags.superseded)
    with pytest.raises(ValueError, match="does not match"):
        build_crl(
            issuer_certificate=pki.seal_ca.certificate,
            issuer_key=pki.root.key,
            revoked=[],
            crl_number=1,
            this_update=NOW,
            next_update=NOW + dt.timedelta(days=1),
        )
    with pytest.raises(ValueError, match="cRLSign"):
        _crl(pki.seal, [])
    with pytest.raises(ValueError, match="twice"):
        _crl(pki.seal_ca, [entry, entry])
    with pytest.raises(ValueError, match="after"):
        _crl(pki.seal_ca, [], next_update=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        _crl(pki.seal_ca, [], this_update=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="20 octets"):
        _crl(pki.seal_ca, [], number=2**159)
    with pytest.raises(ValueError, match="20 octets"):
        _crl(pki.seal_ca, [], number=-1)
    with pytest.raises(ValueError, match="removeFromCRL"):
        RevokedEntry(5, NOW, x509.ReasonFlags.remove_from_crl)
    with pytest.raises(ValueError, match="positive"):
        RevokedEntry(0, NOW, x509.ReasonFlags.superseded)
