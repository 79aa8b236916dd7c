from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jamana.procedures.demo import DEMO_USSD_PIN, seed_demo


class Command(BaseCommand):
    help = "Create deterministic demo data (organisations, agents, persons, requests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--persons", type=int, default=300)

    def handle(self, *args: Any, seed: int, persons: int, **options: Any) -> None:
        logins = seed_demo(seed=seed, persons=persons)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"  Citizen: {logins.citizen_phone} (or NINA {logins.citizen_nina})"
            f" / {logins.password}\n"
            f"  Agent:   {logins.agent_phone} / {logins.password}\n"
            "  SMS codes appear in the console and at http://127.0.0.1:8000/dev/sms/\n"
            f"  USSD (phone simulator at /dev/ussd/): citizen PIN {DEMO_USSD_PIN}"
        )
