"""The RFC 3161 time-stamp authority, checked by OpenSSL and pyHanko, not only by our own code."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from jamana.trust.errors import TrustError
from jamana.trust.pki import Policy
from jamana.trust.testing import make_test_pki
from jamana.trust.tsa import InProcessTimeStamper, TimeStampAuthority, TimeStampResp

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")

POLICY = Policy.TIMESTAMP.dotted_string
NOW = dt.datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=dt.UTC)
DATA = "Acte de naissance n° 2026/BKO/000123".encode()


@pytest.fixture(scope="module")
def pki():
    return make_test_pki(now=NOW - dt.timedelta(days=1))


@pytest.fixture(scope="module")
def tsa(pki):
    return TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        chain=[pki.seal_ca.certificate],
        policy_oid=POLICY,
        clock=lambda: NOW,
    )


@pytest.fixture
def files(pki, tmp_path):
    """The data to stamp, the trust anchor, and the untrusted chain (seal CA + TSA) for OpenSSL."""
    (tmp_path / "data.txt").write_bytes(DATA)
    (tmp_path / "root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "chain.pem").write_bytes(
        pki.seal_ca.certificate.public_bytes(Encoding.PEM)
        + pki.tsa.certificate.public_bytes(Encoding.PEM)
    )
    return tmp_path


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    return subprocess.run(  # noqa: S603
        [OPENSSL, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def _query(cwd: Path, *options: str) -> bytes:
    result = _openssl("ts", "-query", "-data", "data.txt", *options, "-out", "q.tsq", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return (cwd / "q.tsq").read_bytes()


def _verify(cwd: Path, *source: str) -> subprocess.CompletedProcess[str]:
    return _openssl(
        "ts", "-verify", *source, "-in", "r.tsr", "-CAfile", "root.pem",
        "-untrusted", "chain.pem", cwd=cwd,
    )  # fmt: skip


def _request(
    imprint: bytes,
    algorithm: str = "sha256",
    **fields: object,
) -> bytes:
    der: bytes = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": algorithm},
                "hashed_message": imprint,
            },
            "cert_req": True,
            **fields,
        }
    ).dump()
    return der


def _status(response_der: bytes) -> tuple[str, set[str]]:
    status = TimeStampResp.load(response_der)["status"]
    return status["status"].native, status["fail_info"].native or set()


def _tst_info(response: tsp.TimeStampResp) -> tsp.TSTInfo:
    return response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed


# --- Independent verification with OpenSSL ---------------------------------------------------


@needs_openssl
@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["-sha256", "-cert"], id="nonce-and-certificates"),
        pytest.param(["-sha256", "-cert", "-no_nonce"], id="no-nonce"),
        pytest.param(["-sha256"], id="no-certificates"),
        pytest.param(["-sha384", "-cert"], id="sha384"),
        pytest.param(["-sha512", "-cert"], id="sha512"),
        pytest.param(["-sha256", "-cert", "-tspolicy", POLICY], id="our-policy-requested"),
    ],
)
def test_openssl_verifies_the_token_against_its_query(tsa, files, options):
    (files / "r.tsr").write_bytes(tsa.respond(_query(files, *options)))

    result = _verify(files, "-queryfile", "q.tsq")

    assert "Verification: OK" in result.stdout, result.stdout + result.stderr


@needs_openssl
def test_openssl_verifies_the_token_against_the_data_itself(tsa, files):
    (files / "r.tsr").write_bytes(tsa.respond(_query(files, "-sha256", "-cert")))

    assert "Verification: OK" in _verify(files, "-data", "data.txt").stdout


@needs_openssl
def test_openssl_rejects_the_token_for_other_data(tsa, files):
    (files / "r.tsr").write_bytes(tsa.respond(_query(files, "-sha256", "-cert")))
    (files / "other.txt").write_bytes(DATA + " (falsifié)".encode())

    result = _verify(files, "-data", "other.txt")

    assert "Verification: OK" not in result.stdout
    assert "message imprint mismatch" in result.stderr


@needs_openssl
def test_openssl_reads_status_policy_nonce_accuracy_and_tsa_name(tsa, files):
    (files / "r.tsr").write_bytes(tsa.respond(_query(files, "-sha256", "-cert")))
    query = _openssl("ts", "-query", "-in", "q.tsq", "-text", cwd=files).stdout
    nonce = next(line for line in query.splitlines() if line.startswith("Nonce:"))

    text = _openssl("ts", "-reply", "-in", "r.tsr", "-text", cwd=files).stdout

    assert "Status: Granted." in text
    assert f"Policy OID: {POLICY}" in text
    assert nonce in text
    assert "Time stamp: Mar 14 09:26:53 2026 GMT" in text
    assert "Accuracy: 0x01 seconds" in text
    assert "Ordering: no" in text
    assert "TSA: DirName:/C=ML/O=Jamana PKI/CN=Jamana Time-Stamping Unit (test)" in text


@needs_openssl
@pytest.mark.parametrize(
    ("options", "reason"),
    [
        pytest.param(["-sha1"], "unrecognized or unsupported algorithm identifier", id="sha1"),
        pytest.param(["-md5"], "unrecognized or unsupported algorithm identifier", id="md5"),
        pytest.param(
            ["-sha256", "-tspolicy", "1.2.3.4"],
            "the requested TSA policy is not supported by the TSA",
            id="other-policy",
        ),
    ],
)
def test_openssl_reads_our_rejections(tsa, files, options, reason):
    (files / "r.tsr").write_bytes(tsa.respond(_query(files, *options)))

    text = _openssl("ts", "-reply", "-in", "r.tsr", "-text", cwd=files).stdout

    assert "Status: Rejected." in text
    assert f"Failure info: {reason}" in text
    assert "Not included." in text  # no TST info


# --- Parsing and verifying the token ourselves (asn1crypto + cryptography) -------------------


def test_token_signature_verifies_over_the_signed_attributes(pki, tsa):
    imprint = hashlib.sha256(DATA).digest()

    response = TimeStampResp.load(tsa.respond(_request(imprint, nonce=42)))

    assert response["status"]["status"].native == "granted"
    token = response["time_stamp_token"]
    assert token["content_type"].native == "signed_data"
    signed_data = token["content"]
    assert signed_data["version"].native == "v3"
    assert signed_data["encap_content_info"]["content_type"].native == "tst_info"
    (signer,) = signed_data["signer_infos"]
    assert signer["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert set(attrs) == {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate_v2",
    }
    assert attrs["content_type"].native == "tst_info"
    e_content = signed_data["encap_content_info"]["content"].contents
    assert attrs["message_digest"].native == hashlib.sha256(e_content).digest()
    assert attrs["signing_time"].native == NOW.replace(microsecond=0)
    # RFC 5652 §5.4: the signature is over the attributes as an explicit SET OF (tag 0x31).
    signed_attrs_der = signer["signed_attrs"].untag().dump()
    assert signed_attrs_der[0] == 0x31
    pki.tsa.certificate.public_key().verify(
        signer["signature"].native, signed_attrs_der, ec.ECDSA(hashes.SHA256())
    )


def test_tst_info_echoes_the_imprint_and_names_policy_time_and_tsa(pki, tsa):
    imprint = hashlib.sha384(DATA).digest()

    info = _tst_info(TimeStampResp.load(tsa.respond(_request(imprint, "sha384", nonce=7))))

    assert info["version"].native == "v1"
    assert info["policy"].dotted == POLICY
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha384"
    assert info["message_imprint"]["hashed_message"].native == imprint
    assert info["gen_time"].native == NOW.replace(microsecond=0)
    assert info["accuracy"]["seconds"].native == 1
    assert info["ordering"].native is False
    assert info["nonce"].native == 7
    tsa_cert = asn1_x509.Certificate.load(pki.tsa.certificate.public_bytes(Encoding.DER))
    assert info["tsa"].chosen == tsa_cert.subject


def test_signing_certificate_v2_identifies_the_tsa_certificate(pki, tsa):
    response = TimeStampResp.load(tsa.respond(_request(hashlib.sha256(DATA).digest())))

    (signer,) = response["time_stamp_token"]["content"]["signer_infos"]
    (attr,) = [a for a in signer["signed_attrs"] if a["type"].native == "signing_certificate_v2"]
    (cert_id,) = attr["values"][0]["certs"]
    assert cert_id["hash_algorithm"]["algorithm"].native == "sha256"
    assert cert_id["cert_hash"].native == pki.tsa.certificate.fingerprint(hashes.SHA256())
    (issuer,) = cert_id["issuer_serial"]["issuer"]
    assert issuer.name == "directory_name"
    assert issuer.chosen.untag().dump() == pki.tsa.certificate.issuer.public_bytes()
    assert cert_id["issuer_serial"]["serial_number"].native == pki.tsa.certificate.serial_number


def test_certificates_are_included_only_when_requested(pki, tsa):
    imprint = hashlib.sha256(DATA).digest()

    with_certs = TimeStampResp.load(tsa.respond(_request(imprint, cert_req=True)))
    without = TimeStampResp.load(tsa.respond(_request(imprint, cert_req=False)))

    included = {c.chosen.dump() for c in with_certs["time_stamp_token"]["content"]["certificates"]}
    assert included == {
        pki.tsa.certificate.public_bytes(Encoding.DER),
        pki.seal_ca.certificate.public_bytes(Encoding.DER),
    }
    assert without["time_stamp_token"]["content"]["certificates"].native is None


def test_two_tokens_have_different_serial_numbers(tsa):
    request = _request(hashlib.sha256(DATA).digest())

    first = _tst_info(TimeStampResp.load(tsa.respond(request)))
    second = _tst_info(TimeStampResp.load(tsa.respond(request)))

    assert first["serial_number"].native != second["serial_number"].native
    assert first["serial_number"].native > 0


def test_serial_numbers_come_from_the_serial_source(pki):
    serials = iter([1001, 1002])
    authority = TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        policy_oid=Policy.TIMESTAMP,
        serial_source=lambda: next(serials),
    )

    issued = [_tst_info(authority.stamp(bytes(32)))["serial_number"].native for _ in range(2)]

    assert issued == [1001, 1002]


def test_one_authority_serves_concurrent_requests(pki, tsa):
    requests = [_request(hashlib.sha256(b"%d" % i).digest(), nonce=i) for i in range(64)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = [TimeStampResp.load(der) for der in pool.map(tsa.respond, requests)]

    infos = [_tst_info(r) for r in responses]
    assert [i["nonce"].native for i in infos] == list(range(64))
    assert len({i["serial_number"].native for i in infos}) == 64
    for response in responses:
        (signer,) = response["time_stamp_token"]["content"]["signer_infos"]
        pki.tsa.certificate.public_key().verify(
            signer["signature"].native,
            signer["signed_attrs"].untag().dump(),
            ec.ECDSA(hashes.SHA256()),
        )


@pytest.mark.parametrize("nonce", [1, 2**63 - 1, 2**200 + 12345])
def test_the_nonce_is_echoed(tsa, nonce):
    response = TimeStampResp.load(tsa.respond(_request(bytes(32), nonce=nonce)))

    assert _tst_info(response)["nonce"].native == nonce


def test_a_request_without_nonce_gets_a_token_without_nonce(tsa):
    response = TimeStampResp.load(tsa.respond(_request(bytes(32))))

    assert _tst_info(response)["nonce"].native is None


def test_gen_time_is_utc_to_the_second_whatever_the_clock_zone(pki):
    bamako_noon = dt.datetime(2026, 3, 14, 12, 0, 0, 999999, tzinfo=dt.timezone(dt.timedelta(0)))
    plus_two = bamako_noon.astimezone(dt.timezone(dt.timedelta(hours=2)))
    authority = TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        policy_oid=POLICY,
        clock=lambda: plus_two,
        accuracy_seconds=2,
    )

    info = _tst_info(authority.stamp(bytes(32)))

    assert info["gen_time"].native == dt.datetime(2026, 3, 14, 12, 0, 0, tzinfo=dt.UTC)
    assert info["gen_time"].contents == b"20260314120000Z"
    assert info["accuracy"]["seconds"].native == 2


# --- pyHanko ----------------------------------------------------------------------------------


def test_pyhanko_obtains_and_validates_a_token_in_process(pki, tsa):
    timestamper = InProcessTimeStamper(tsa)
    digest = hashlib.sha256(DATA).digest()

    # pyHanko builds the request (with a nonce) and checks the status and the nonce itself.
    token = asyncio.run(timestamper.async_timestamp(digest, "sha256"))

    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.certificate.public_bytes(Encoding.DER))],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=NOW,
    )
    status = TimestampSignatureStatus(
        **asyncio.run(
            validate_tst_signed_data(token["content"], context, lambda _algorithm: digest)
        )
    )
    assert status.intact and status.valid and status.trusted, status.describe_timestamp_trust()
    assert status.timestamp == NOW.replace(microsecond=0)
    assert status.signing_cert.sha256 == pki.tsa.certificate.fingerprint(hashes.SHA256())


def test_pyhanko_reports_a_rejection_as_its_own_error(tsa):
    timestamper = InProcessTimeStamper(tsa)

    with pytest.raises(TimestampRequestError, match="bad_data_format"):
        asyncio.run(timestamper.async_timestamp(b"too short", "sha256"))


def test_stamp_in_process_matches_respond(pki, tsa):
    imprint = hashlib.sha512(DATA).digest()

    response = tsa.stamp(imprint, "sha512", nonce=99, cert_req=False)

    assert response["status"]["status"].native == "granted"
    info = _tst_info(response)
    assert info["message_imprint"]["hashed_message"].native == imprint
    assert info["nonce"].native == 99
    assert response["time_stamp_token"]["content"]["certificates"].native is None
    # The object is encodable and re-parses as the same response.
    assert TimeStampResp.load(response.dump())["status"]["status"].native == "granted"


# --- Bad input: always an answer, never an exception -----------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"garbage", id="text"),
        pytest.param(b"\x30\x03\x02\x01", id="truncated"),
        pytest.param(b"\x30\x80\x00\x00", id="indefinite-empty"),
        pytest.param(cms.ContentInfo({"content_type": "data", "content": b"x"}).dump(), id="cms"),
        pytest.param(_request(bytes(32)) + b"\x00", id="trailing-byte"),
        pytest.param(b"\x30\x84\xff\xff\xff\xff", id="huge-length"),
        pytest.param(b"\x30" * 20_000, id="oversized"),
    ],
)
def test_garbage_is_rejected_as_bad_data_format(tsa, garbage):
    assert _status(tsa.respond(garbage)) == ("rejection", {"bad_data_format"})


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha224", "sha3_256"])
def test_weak_or_unsupported_hash_algorithms_are_rejected_as_bad_alg(tsa, algorithm):
    length = hashlib.new(algorithm.replace("_", "-")).digest_size
    request = _request(bytes(length), algorithm)

    assert _status(tsa.respond(request)) == ("rejection", {"bad_alg"})
    assert _status(tsa.stamp(bytes(length), algorithm).dump()) == ("rejection", {"bad_alg"})


def test_an_unknown_hash_oid_is_rejected_as_bad_alg(tsa):
    request = _request(bytes(32), "1.2.3.4.5")

    assert _status(tsa.respond(request)) == ("rejection", {"bad_alg"})


def test_a_sha256_identifier_with_parameters_other_than_null_is_bad_data_format(tsa):
    sha256_null = bytes.fromhex("06096086480165030402010500")
    request = _request(bytes(32))
    assert request.count(sha256_null) == 1

    tampered = request.replace(sha256_null, sha256_null[:-2] + b"\x04\x00")

    assert _status(tsa.respond(tampered)) == ("rejection", {"bad_data_format"})


def test_a_sha256_identifier_without_parameters_is_accepted(tsa):
    algorithm = algos.DigestAlgorithm({"algorithm": "sha256", "parameters": None})
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": algorithm, "hashed_message": bytes(32)},
        }
    ).dump()
    assert bytes.fromhex("300b0609608648016503040201") in request  # no NULL

    assert _status(tsa.respond(request)) == ("granted", set())


def test_a_ber_encoded_imprint_is_echoed_in_der(tsa):
    request = _request(bytes(32))
    ber = bytearray(
        request.replace(b"\x04\x20" + bytes(32), b"\x04\x81\x20" + bytes(32)).replace(
            b"\x30\x31\x30\x0d", b"\x30\x32\x30\x0d"
        )
    )
    ber[1] += 1  # the outer length grows by the byte of the long-form length

    response = TimeStampResp.load(tsa.respond(bytes(ber)))

    e_content = response["time_stamp_token"]["content"]["encap_content_info"]["content"]
    assert b"\x04\x20" + bytes(32) in e_content.contents
    assert tsp.TSTInfo.load(e_content.contents).dump(force=True) == e_content.contents


@pytest.mark.parametrize(
    ("algorithm", "length"), [("sha256", 31), ("sha256", 48), ("sha384", 32), ("sha512", 0)]
)
def test_an_imprint_of_the_wrong_length_is_rejected_as_bad_data_format(tsa, algorithm, length):
    assert _status(tsa.respond(_request(bytes(length), algorithm))) == (
        "rejection",
        {"bad_data_format"},
    )
    assert _status(tsa.stamp(bytes(length), algorithm).dump()) == (
        "rejection",
        {"bad_data_format"},
    )


def test_another_policy_is_rejected_as_unaccepted_policy(tsa):
    request = _request(bytes(32), req_policy=Policy.SEAL.dotted_string)

    assert _status(tsa.respond(request)) == ("rejection", {"unaccepted_policy"})


def test_request_extensions_are_rejected_as_unaccepted_extension(tsa):
    extension = {"extn_id": "1.2.3.4", "critical": False, "extn_value": b"\x05\x00"}
    request = _request(bytes(32), extensions=[extension])

    assert _status(tsa.respond(request)) == ("rejection", {"unaccepted_extensions"})


def test_a_request_version_other_than_1_is_rejected_as_bad_request(tsa):
    request = _request(bytes(32), version="v2")

    assert _status(tsa.respond(request)) == ("rejection", {"bad_request"})


def test_a_rejection_carries_a_status_string_and_no_token(tsa):
    response = TimeStampResp.load(tsa.respond(b"garbage"))

    assert response["status"]["status_string"].native == ["The request is not a DER TimeStampReq."]
    assert response["time_stamp_token"].native is None


# No deadline: a signing run on a loaded CI machine can take far longer than 200 ms.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_always_get_a_parseable_answer(tsa, data):
    status, _ = _status(tsa.respond(data))

    assert status in {"granted", "rejection"}


# No deadline: a signing run on a loaded CI machine can take far longer than 200 ms.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_corrupted_requests_always_get_a_parseable_answer(tsa, data):
    request = bytearray(_request(hashlib.sha256(DATA).digest(), nonce=2**62 + 5))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(request) - 1))
        request[position] = data.draw(st.integers(0, 255))

    status, _ = _status(tsa.respond(bytes(request)))

    assert status in {"granted", "rejection"}


# --- Failures of the authority itself --------------------------------------------------------


def test_an_expired_tsa_certificate_gives_system_failure_and_stamp_raises(pki, caplog):
    after_expiry = pki.tsa.certificate.not_valid_after_utc + dt.timedelta(seconds=1)
    authority = TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        policy_oid=POLICY,
        clock=lambda: after_expiry,
    )

    with caplog.at_level(logging.ERROR, logger="jamana.trust.tsa"):
        assert _status(authority.respond(_request(bytes(32)))) == (
            "rejection",
            {"system_failure"},
        )
    assert "time-stamp authority failure" in caplog.text
    with pytest.raises(TrustError, match="not valid"):
        authority.stamp(bytes(32))


def test_a_naive_clock_is_refused(pki):
    authority = TimeStampAuthority(
        certificate=pki.tsa.certificate,
        private_key=pki.tsa.key,
        policy_oid=POLICY,
        clock=lambda: NOW.replace(tzinfo=None),
    )

    with pytest.raises(TrustError, match="timezone-aware"):
        authority.stamp(bytes(32))


def test_a_certificate_that_does_not_match_the_key_is_refused(pki):
    with pytest.raises(TrustError, match="does not match"):
        TimeStampAuthority(
            certificate=pki.tsa.certificate, private_key=pki.seal.key, policy_oid=POLICY
        )


def test_a_certificate_without_the_timestamping_eku_is_refused(pki):
    with pytest.raises(TrustError, match="timeStamping"):
        TimeStampAuthority(
            certificate=pki.seal.certificate, private_key=pki.seal.key, policy_oid=POLICY
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy_oid": "not an oid"}, "not a dotted OID"),
        ({"policy_oid": POLICY, "accuracy_seconds": 0}, "at least 1"),
    ],
)
def test_bad_configuration_is_refused(pki, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TimeStampAuthority(certificate=pki.tsa.certificate, private_key=pki.tsa.key, **kwargs)


def test_responses_are_the_der_asn1crypto_itself_would_write(tsa):
    """The response is assembled from the DER of its parts (to avoid asn1crypto's re-encoding
    of some lengths, wbond/asn1crypto#249): it must be exactly the DER a full re-encoding gives,
    whatever length the random serial, nonce and signature make it."""
    import os

    for i in range(40):
        request = tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": hashlib.sha256(os.urandom(16)).digest(),
                },
                "nonce": int.from_bytes(os.urandom(8), "big"),
                "cert_req": bool(i % 2),
            }
        ).dump()
        der = tsa.respond(request)
        assert TimeStampResp.load(der).dump(force=True) == der
