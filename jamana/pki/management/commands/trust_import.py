from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamana.core.errors import JamanaError
from jamana.pki.actions import do_import_partner_trust_list

MAX_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "Import an AES partner instance's signed trust list (file or URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="path or http(s) URL of trust-list.json")
        parser.add_argument("--country", required=True, choices=["ML", "BF", "NE"])
        parser.add_argument(
            "--root-sha256",
            required=True,
            help="SHA-256 fingerprint of the partner's root, exchanged out of band",
        )

    def handle(
        self, *args: Any, source: str, country: str, root_sha256: str, **options: Any
    ) -> None:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=20) as response:  # noqa: S310
                document = response.read(MAX_BYTES + 1)
        else:
            document = Path(source).read_bytes()
        if len(document) > MAX_BYTES:
            raise CommandError("trust list too large")
        try:
            anchors = do_import_partner_trust_list(
                document=document,
                country=country,
                pinned_root_sha256=root_sha256,
                source=source,
            )
        except JamanaError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(anchors)} certificate(s) from {country}: "
                + ", ".join(a.name for a in anchors)
            )
        )
