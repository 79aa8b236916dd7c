"""The public PKI endpoints, checked with OpenSSL as an independent client."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x509_ocsp
from django.core.management import call_command

from jamana.core.errors import JamanaError, PermissionDenied
from jamana.pki.actions import do_ensure_seal_certificate, do_revoke_certificate, do_trust_init
from jamana.pki.models import CertificateRecord
from jamana.testing import require_tool, run_tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(client, pki, issuer, tmp_path):
    """PEM files fetched from the public endpoints, as a relying party would."""
    seal = do_ensure_seal_certificate(issuer)
    paths = {}
    for name in ("root", "seal-ca", "tsa", seal.name):
        response = client.get(f"/pki/certs/{name}.cer")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-cert"
        cert = x509.load_der_x509_certificate(response.content)
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(cert.public_bytes(Encoding.PEM))
    paths["seal"] = paths[seal.name]
    paths["chain"] = tmp_path / "chain.pem"
    paths["chain"].write_bytes(paths["seal-ca"].read_bytes() + paths["tsa"].read_bytes())
    return paths


def test_trust_init_is_idempotent(pki):
    count = CertificateRecord.objects.count()
    assert do_trust_init() == []
    call_command("trust_init")
    assert CertificateRecord.objects.count() == count


def test_openssl_verifies_every_issued_chain(files):
    openssl = require_tool("openssl")
    for leaf in ("seal", "tsa", "seal-ca"):
        code, out = run_tool(
            openssl,
            "verify",
            "-x509_strict",
            "-CAfile",
            str(files["root"]),
            "-untrusted",
            str(files["seal-ca"]),
            str(files[leaf]),
        )
        assert code == 0, out


def test_openssl_accepts_our_timestamps(client, files, tmp_path):
    openssl = require_tool("openssl")
    data = tmp_path / "data.txt"
    data.write_text("Jamana")
    query = tmp_path / "q.tsq"
    run_tool(openssl, "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query))
    response = client.post(
        "/pki/tsa", query.read_bytes(), content_type="application/timestamp-query"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"
    reply = tmp_path / "r.tsr"
    reply.write_bytes(response.content)
    code, out = run_tool(
        openssl,
        "ts",
        "-verify",
        "-queryfile",
        str(query),
        "-in",
        str(reply),
        "-CAfile",
        str(files["root"]),
        "-untrusted",
        str(files["chain"]),
    )
    assert code == 0 and "Verification: OK" in out, out


def test_openssl_ocsp_good_then_revoked(client, files, issuer, pki_admin, tmp_path):
    openssl = require_tool("openssl")
    request = tmp_path / "req.der"

    def status() -> str:
        run_tool(
            openssl,
            "ocsp",
            "-issuer",
            str(files["seal-ca"]),
            "-sha256",
            "-cert",
            str(files["seal"]),
            "-reqout",
            str(request),
            "-no_nonce",
        )
        response = client.post(
            "/pki/ocsp", request.read_bytes(), content_type="application/ocsp-request"
        )
        assert response["Content-Type"] == "application/ocsp-response"
        answer = tmp_path / "resp.der"
        answer.write_bytes(response.content)
        _code, out = run_tool(
            openssl,
            "ocsp",
            "-respin",
            str(answer),
            "-issuer",
            str(files["seal-ca"]),
            "-sha256",
            "-cert",
            str(files["seal"]),
            "-CAfile",
            str(files["root"]),
        )
        assert "Response verify OK" in out, out
        return out

    assert f"{files['seal']}: good" in status()
    seal = CertificateRecord.objects.get(organisation=issuer)
    do_revoke_certificate(agent=pki_admin, name=seal.name, reason="key_compromise")
    out = status()
    assert f"{files['seal']}: revoked" in out and "keyCompromise" in out


def test_ocsp_by_get(client, files, tmp_path):
    import base64
    import urllib.parse

    openssl = require_tool("openssl")
    request = tmp_path / "req.der"
    run_tool(
        openssl,
        "ocsp",
        "-issuer",
        str(files["seal-ca"]),
        "-cert",
        str(files["seal"]),
        "-reqout",
        str(request),
    )
    encoded = urllib.parse.quote(base64.b64encode(request.read_bytes()).decode(), safe="")
    response = client.get(f"/pki/ocsp/{encoded}")
    assert response.status_code == 200
    assert response.content[:2] == b"\x30\x82" or response.content[0] == 0x30
    answer = x509_ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == x509_ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == x509_ocsp.OCSPCertStatus.GOOD
    seal_pem = files["seal"].read_bytes()
    assert answer.serial_number == x509.load_pem_x509_certificate(seal_pem).serial_number


def test_crls_parse_and_list_revocations(client, files, issuer, pki_admin, tmp_path):
    openssl = require_tool("openssl")
    seal = CertificateRecord.objects.get(organisation=issuer)
    do_revoke_certificate(agent=pki_admin, name=seal.name, reason="superseded")
    for ca in ("root", "seal-ca"):
        response = client.get(f"/pki/crl/{ca}.crl")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-crl"
        crl = tmp_path / f"{ca}.crl"
        crl.write_bytes(response.content)
        both = tmp_path / "cas.pem"
        both.write_bytes(files["root"].read_bytes() + files["seal-ca"].read_bytes())
        code, out = run_tool(
            openssl,
            "crl",
            "-inform",
            "DER",
            "-in",
            str(crl),
            "-noout",
            "-text",
            "-CAfile",
            str(both),
            "-verify",
        )
        assert code == 0 and "verify OK" in out, out
    assert seal.serial.upper() in out.upper().replace(":", "")
    assert "Superseded" in out


def test_only_the_owner_or_pki_operator_revokes(pki, issuer, registrar, pki_admin):
    seal = do_ensure_seal_certificate(issuer)
    with pytest.raises(PermissionDenied):
        do_revoke_certificate(agent=registrar, name=seal.name, reason="superseded")
    with pytest.raises(JamanaError):
        do_revoke_certificate(agent=pki_admin, name=seal.name, reason="")
    with pytest.raises(JamanaError):
        do_revoke_certificate(agent=pki_admin, name="root", reason="superseded")
    seal.refresh_from_db()
    assert seal.revoked_at is None
    # After a revocation, the next document gets a fresh seal certificate.
    do_revoke_certificate(agent=pki_admin, name=seal.name, reason="superseded")
    assert do_ensure_seal_certificate(issuer).pk != seal.pk


@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "expected"),
    [
        ("post", "/pki/ocsp", b"garbage", "application/ocsp-request", 200),
        ("post", "/pki/ocsp", b"garbage", "text/plain", 415),
        ("get", "/pki/ocsp", b"", None, 400),
        ("get", "/pki/ocsp/%%%not-base64", b"", None, 200),
        ("post", "/pki/tsa", b"\x30\x03\x02\x01\x01", "application/timestamp-query", 200),
        ("post", "/pki/tsa", b"garbage", "application/json", 415),
        ("get", "/pki/tsa", b"", None, 405),
        ("get", "/pki/crl/nope.crl", b"", None, 404),
        ("get", "/pki/crl/..%2F..%2Fetc.crl", b"", None, 404),
        ("get", "/pki/certs/unknown.cer", b"", None, 404),
    ],
)
def test_bad_input_gets_a_clear_answer_never_a_500(
    client, pki, method, url, body, content_type, expected
):
    if method == "post":
        response = client.post(url, body, content_type=content_type)
    else:
        response = client.get(url)
    assert response.status_code == expected


def test_garbage_ocsp_gets_malformed_request_and_garbage_tsq_a_rejection(client, pki):
    from asn1crypto import core

    ocsp = client.post("/pki/ocsp", b"garbage", content_type="application/ocsp-request")
    assert ocsp.content == bytes.fromhex("3003 0a01 01".replace(" ", ""))
    reply = client.post("/pki/tsa", b"garbage", content_type="application/timestamp-query")
    # TimeStampResp ::= SEQUENCE { status PKIStatusInfo, ... }; PKIStatus 2 is rejection.
    status_info = core.Sequence.load(reply.content)[0]
    assert status_info[0].native == 2


def test_oversized_protocol_request(client, pki):
    response = client.post("/pki/tsa", b"0" * 70_000, content_type="application/timestamp-query")
    assert response.status_code == 413


def test_trust_list_is_signed_and_importable_by_a_partner(client, pki):
    from django.utils import timezone

    from jamana.pki.queries import own_root
    from jamana.trust.trustlist import fingerprint, read_trust_list

    response = client.get("/.well-known/jamana/trust-list.json")
    assert response.status_code == 200
    parsed = read_trust_list(
        response.content,
        pinned_root_sha256=fingerprint(own_root()),
        expected_country="ML",
        now=timezone.now(),
    )
    assert {e.role for e in parsed.entries} >= {"root", "seal-ca", "tsa"}


def test_agent_revokes_a_seal_from_the_web_and_it_is_audited(client, pki, issuer):
    from jamana.audit.models import AuditEvent
    from jamana.testing import make_agent

    seal = do_ensure_seal_certificate(issuer)
    admin = make_agent(
        organisation=issuer,
        role="admin",
        extra_roles=(),
        phone="+22376000088",
        nina="19700101000088Y",
    )
    client.force_login(admin, backend="jamana.identity.backends.AccountBackend")
    page = client.get("/agent/certificates/")
    assert seal.name in page.content.decode()
    client.post("/agent/certificates/", {"name": seal.name, "reason": "key_compromise"})
    seal.refresh_from_db()
    assert seal.revoked_at is not None and seal.revoked_by == admin
    assert AuditEvent.objects.filter(action="pki.certificate_revoked", actor=admin).exists()


def test_agent_of_another_organisation_sees_and_revokes_nothing(
    client, pki, issuer, outsider_agent
):
    seal = do_ensure_seal_certificate(issuer)
    client.force_login(outsider_agent, backend="jamana.identity.backends.AccountBackend")
    assert seal.name not in client.get("/agent/certificates/").content.decode()
    client.post("/agent/certificates/", {"name": seal.name, "reason": "key_compromise"})
    seal.refresh_from_db()
    assert seal.revoked_at is None
