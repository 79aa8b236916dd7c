from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamana.identity.models import Organisation
from jamana.pki.actions import do_rotate_seal


class Command(BaseCommand):
    help = "Rotate an organisation's seal key: the old certificate is superseded, a new key and "
    "certificate are issued; documents sealed before stay valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="organisation code, e.g. ML-CEC-BKO-C3")

    def handle(self, *args: Any, organisation: str, **options: Any) -> None:
        found = Organisation.objects.filter(code=organisation).first()
        if found is None:
            raise CommandError(f"No organisation {organisation}")
        record = do_rotate_seal(organisation=found)
        self.stdout.write(
            self.style.SUCCESS(f"New seal certificate {record.name} (serial {record.serial})")
        )
