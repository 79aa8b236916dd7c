from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.documents.verification import verify_code, verify_pdf


class Command(BaseCommand):
    help = (
        "Verify a document: a PDF file, or --code (a document number or a 2D seal text). "
        "With --trust-list and --root-sha256, a 2D seal is verified fully offline. "
        "Exit status 0 only if valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--code", default="")
        parser.add_argument("--trust-list", type=Path, help="a downloaded trust-list.json")
        parser.add_argument("--root-sha256", default="", help="pinned root fingerprint")
        parser.add_argument("--country", default="", help="the trust list's country")

    def handle(
        self,
        *args: Any,
        file: Path | None,
        code: str,
        trust_list: Path | None,
        root_sha256: str,
        country: str,
        **options: Any,
    ) -> None:
        if trust_list is not None:
            sys.exit(self._offline(code, trust_list, root_sha256, country))
        if file is None and not code:
            self.stderr.write("Give a PDF file or --code.")
            sys.exit(2)
        if file is not None:
            try:
                data = file.read_bytes()
            except OSError as exc:
                self.stderr.write(f"Cannot read {file}: {exc}")
                sys.exit(2)
            result = verify_pdf(data)
        else:
            result = verify_code(code)
        self.stdout.write(f"{result.verdict.value.upper()}: {result.message}")
        for label, value in [
            ("Document", result.title),
            ("Issuer", result.issuer_name),
            ("Country", result.issuer_country),
            ("Holder", result.holder_name),
            ("Born", result.holder_birth_date),
            ("Signed by", result.signer_name),
            ("NINA", result.signer_id),
            ("Issued", result.issued_at),
            ("Expires", result.expires_at),
            ("Revoked", result.revoked_at),
            ("Reason", result.revocation_reason),
            ("Seal", result.seal.level if result.seal else ""),
            ("Original SHA-256", result.pdf_sha256),
        ]:
            if value:
                self.stdout.write(f"  {label}: {value}")
        for label, ok in result.checks:
            self.stdout.write(f"  [{'x' if ok else ' '}] {label}")
        sys.exit(0 if result.is_valid else 1)

    def _offline(self, code: str, trust_list: Path, root_sha256: str, country: str) -> int:
        """No database, no network: the trust list (checked against the pinned root) is the
        only source of trust. Revocation cannot be known offline, and is said so."""
        from jamana.trust.seal2d import SealVerdict, read_seal, trusted_seal_certificates
        from jamana.trust.trustlist import TrustListError, read_trust_list

        if not code or not root_sha256 or not country:
            self.stderr.write("Offline verification needs --code, --root-sha256 and --country.")
            return 2
        now = dt.datetime.now(dt.UTC)
        try:
            parsed = read_trust_list(
                trust_list.read_bytes(),
                pinned_root_sha256=root_sha256,
                expected_country=country,
                now=now,
            )
        except (OSError, TrustListError) as exc:
            self.stderr.write(f"Trust list refused: {exc}")
            return 2
        trusted = trusted_seal_certificates(e.certificate for e in parsed.entries)
        reading = read_seal(code.strip(), trusted=trusted, now=now)
        self.stdout.write(f"{reading.verdict.value.upper()} (offline)")
        if reading.claims is not None:
            claims = reading.claims
            for label, value in [
                ("Issuer", claims.issuer_code),
                ("Country", claims.issuer_country),
                ("Document", claims.kind),
                ("Number", claims.number),
                ("Holder", f"{claims.holder_given_names} {claims.holder_family_name}".strip()),
                ("Born", claims.holder_birth_date),
                ("Issued", claims.issued_at),
                ("Expires", claims.expires_at),
                ("Original SHA-256", claims.pdf_sha256.hex()),
            ]:
                if value:
                    self.stdout.write(f"  {label}: {value}")
        for problem in reading.problems:
            self.stdout.write(f"  problem: {problem}")
        self.stdout.write("  Revocation: not checked (offline)")
        return 0 if reading.verdict == SealVerdict.VALID else 1
