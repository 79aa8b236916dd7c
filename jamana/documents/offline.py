"""The offline verifier of 2D seals: a page that, once loaded, checks ``JM1:`` seals in the
browser with no further request (``static/documents/offline-verify.js``).

The page carries the trusted seal keys (kid, public key, organisation, validity) as JSON; the
script keeps them in the browser's storage so that a copy of the page served from the browser's
cache keeps working without Internet. Revocation cannot be checked offline: the page says so
and links to the online check.
"""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control

from jamana.documents.kinds import KINDS
from jamana.pki.models import CertificateRecord, RevocationReason
from jamana.pki.queries import trusted_seal_map

# A verifier may open the page in the morning and check seals all day without a network:
# the browser may serve it from its cache for a day (it is per-visitor: CSRF token, language).
CACHE_SECONDS = 24 * 3600


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def trusted_seal_keys() -> list[dict[str, str]]:
    """The seal keys an offline verifier trusts, as the page embeds them.

    Those of :func:`trusted_seal_map` (ours and the partners'), but not the keys we know to be
    compromised: offline, a seal's own date cannot place it before the compromise, so such a
    key proves nothing (the published trust list leaves them out for the same reason).
    """
    compromised = set(
        CertificateRecord.objects.filter(
            role="seal", revocation_reason=RevocationReason.KEY_COMPROMISE
        ).values_list("serial", flat=True)
    )
    keys = []
    for kid, certificate in sorted(trusted_seal_map().items()):
        public_key = certificate.public_key()
        if f"{certificate.serial_number:x}" in compromised or not (
            isinstance(public_key, ec.EllipticCurvePublicKey)
            and isinstance(public_key.curve, ec.SECP256R1)
        ):
            continue
        spki = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        keys.append(
            {
                "kid": base64.b64encode(kid).decode("ascii"),
                "spki": base64.b64encode(spki).decode("ascii"),
                "organisation": _subject(certificate, x509.NameOID.ORGANIZATION_NAME),
                "country": _subject(certificate, x509.NameOID.COUNTRY_NAME),
                "not_before": _iso(certificate.not_valid_before_utc),
                "not_after": _iso(certificate.not_valid_after_utc),
            }
        )
    return keys


def offline_verify(request: HttpRequest) -> HttpResponse:
    keys = trusted_seal_keys()
    generated_at = timezone.now().replace(microsecond=0)
    response = render(
        request,
        "documents/offline_verify.html",
        {
            "keys": keys,
            "generated_at": generated_at,
            "trusted": {"generated_at": _iso(generated_at), "keys": keys},
            "kinds": {code: str(kind.title) for code, kind in KINDS.items()},
        },
    )
    patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
    return response
