"""The registry of issued documents. A document is never deleted: it is revoked."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class Document(models.Model):
    number = models.CharField(max_length=9, unique=True)  # reference with check character
    kind = models.CharField(max_length=48)  # e.g. "residence_attestation", "justice.b3"
    title = models.CharField(max_length=200)
    holder = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_name = models.CharField(max_length=300)  # as printed, kept if the person changes
    issuer = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="documents"
    )
    seal_certificate = models.ForeignKey(
        "pki.CertificateRecord", on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        "procedures.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=2, default="fr")
    sha256 = models.CharField(max_length=64, unique=True)
    file = models.CharField(max_length=200)  # storage name of the sealed PDF
    size = models.PositiveIntegerField()
    # The printable copy: the same document with the offline 2D seal (which carries `sha256`).
    # NULL (not "") so that documents without a printable copy do not collide on uniqueness.
    printable_sha256 = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001
    printable_file = models.CharField(max_length=200, blank=True)
    seal2d = models.TextField(blank=True)
    status = models.CharField(
        max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.VALID
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["holder", "-issued_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


class SigningStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the SMS code")
    SIGNED = "signed", pgettext_lazy("signature status", "Signed")
    CANCELLED = "cancelled", _("Cancelled")


class SigningSession(models.Model):
    """A person signing one PDF with their personal certificate (remote signing): the
    document's hash is fixed first, then an SMS code bound to that hash authorises the
    signature, so the platform never signs anything the person did not confirm."""

    token = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    original_sha256 = models.CharField(max_length=64)
    original_file = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=SigningStatus.choices, default=SigningStatus.PENDING
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    certificate = models.ForeignKey(
        "pki.CertificateRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    signed_file = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def control_code(self) -> str:
        """The fingerprint shown on screen and in the SMS: 8 hex digits of the hash."""
        return f"{self.original_sha256[:4]}-{self.original_sha256[4:8]}".upper()
