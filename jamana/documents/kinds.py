"""What each kind of document prints. Services add their kinds here as they arrive
(birth extracts, bulletin n°3, tax receipts…)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DocumentKind:
    code: str
    title: object  # lazy translation
    validity: dt.timedelta | None  # None: valid until revoked


KINDS: dict[str, DocumentKind] = {
    "residence_attestation": DocumentKind(
        "residence_attestation", _("Certificate of residence"), dt.timedelta(days=90)
    ),
    "payment_receipt": DocumentKind("payment_receipt", _("Payment receipt"), None),
    "tax_clearance": DocumentKind(
        "tax_clearance", _("Tax clearance certificate"), dt.timedelta(days=90)
    ),
    # A birth certificate shows the act and its mentions as of its date; no expiry is set by
    # law (administrations may ask for a recent one).
    "birth_extract": DocumentKind("birth_extract", _("Extract of birth act"), None),
    "birth_full_copy": DocumentKind("birth_full_copy", _("Full copy of birth act"), None),
    # Administrations ask for a bulletin of less than three months (practice; no text found).
    "criminal_record_b3": DocumentKind(
        "criminal_record_b3", _("Criminal record extract (bulletin no. 3)"), dt.timedelta(days=90)
    ),
    "nationality_certificate": DocumentKind(
        "nationality_certificate", _("Certificate of Malian nationality"), None
    ),
    "application_receipt": DocumentKind(
        "application_receipt", _("Receipt of an application to a call"), None
    ),
}
