"""State of this instance's PKI: every certificate it issued, revocations, CRLs, and the
partner instances' trust anchors it imported. Private keys are not here: they live in the
key store (encrypted files by default, an HSM in production)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RevocationReason(models.TextChoices):
    # RFC 5280 §5.3.1 reasons an agent may choose.
    UNSPECIFIED = "unspecified", _("Unspecified")
    KEY_COMPROMISE = "key_compromise", _("Key compromise")
    AFFILIATION_CHANGED = "affiliation_changed", _("Affiliation changed")
    SUPERSEDED = "superseded", _("Superseded")
    CESSATION_OF_OPERATION = "cessation_of_operation", _("Cessation of operation")


class CertificateRecord(models.Model):
    name = models.CharField(max_length=64, unique=True)  # "root", "seal-ca", "seal-ml-cec-…"
    role = models.CharField(max_length=16)
    issuer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    serial = models.CharField(max_length=48)  # hexadecimal
    subject = models.CharField(max_length=512)
    der = models.BinaryField()
    key_name = models.CharField(max_length=96)
    organisation = models.ForeignKey(
        "identity.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    # The holder of a personal signature certificate.
    person = models.ForeignKey(
        "identity.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(
        max_length=32, choices=RevocationReason.choices, blank=True
    )
    # Key compromise: from when the key is no longer trusted (RFC 5280 invalidityDate).
    compromised_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="serial_unique_per_issuer")
        ]

    def __str__(self) -> str:
        return self.name


class CrlRecord(models.Model):
    """The latest CRL of a CA; regenerated on revocation and before its nextUpdate."""

    ca = models.ForeignKey(CertificateRecord, on_delete=models.PROTECT, related_name="crls")
    number = models.PositiveBigIntegerField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    der = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ca", "number"], name="crl_number_once")]

    def __str__(self) -> str:
        return f"CRL {self.number} of {self.ca.name}"


class PartnerAnchor(models.Model):
    """A certificate imported from an AES partner instance's signed trust list."""

    country = models.CharField(max_length=2)
    name = models.CharField(max_length=64)
    role = models.CharField(max_length=16)
    der = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=500)
    imported_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.country}:{self.name}"
