from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.documents.verification import verify_code, verify_pdf


class Command(BaseCommand):
    help = "Verify a document (a PDF file, or a code with --code). Exit status 0 only if valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--code", default="")

    def handle(self, *args: Any, file: Path | None, code: str, **options: Any) -> None:
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
            ("Issued", result.issued_at),
            ("Revoked", result.revoked_at),
            ("Reason", result.revocation_reason),
            ("Seal", result.seal.level if result.seal else ""),
        ]:
            if value:
                self.stdout.write(f"  {label}: {value}")
        for label, ok in result.checks:
            self.stdout.write(f"  [{'x' if ok else ' '}] {label}")
        sys.exit(0 if result.is_valid else 1)
