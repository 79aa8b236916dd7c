from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jamana.pki.actions import do_trust_init


class Command(BaseCommand):
    help = "Create the national PKI hierarchy (root, CAs, TSA, OCSP). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        created = do_trust_init()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created: {', '.join(created)}"))
        else:
            self.stdout.write("The PKI is already initialised; nothing to do.")
