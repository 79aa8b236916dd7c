from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from jamana.documents.actions import demo_residence_fields, issue_document, read_document_file
from jamana.identity.models import Organisation, PersonIdentifier
from jamana.pki.actions import do_trust_init


class Command(BaseCommand):
    help = "Issue a demo certificate of residence and write the sealed PDF to --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--nina", default="19870312000045K", help="holder's NINA")
        parser.add_argument("--issuer", default="ML-CEC-BKO-C3", help="issuing organisation code")
        parser.add_argument("--address", default="Badalabougou, rue 120, porte 45, Bamako")
        parser.add_argument("--language", default="fr", choices=["fr", "bm", "en"])

    def handle(
        self,
        *args: Any,
        out: Path,
        nina: str,
        issuer: str,
        address: str,
        language: str,
        **options: Any,
    ) -> None:
        identifier = PersonIdentifier.objects.filter(kind="nina", value=nina.upper()).first()
        if identifier is None:
            raise CommandError(f"No person with NINA {nina} (run `manage.py seed_demo`?)")
        organisation = Organisation.objects.filter(code=issuer).first()
        if organisation is None:
            raise CommandError(f"No organisation {issuer}")
        do_trust_init()
        with translation.override(language):
            content = demo_residence_fields(identifier.person, address)
        document = issue_document(
            kind="residence_attestation",
            issuer=organisation,
            holder=identifier.person,
            language=language,
            **content,
        )
        out.write_bytes(read_document_file(document))
        self.stdout.write(
            self.style.SUCCESS(
                f"Issued {document.number} ({document.size} bytes, "
                f"sha256 {document.sha256}) → {out}"
            )
        )
