"""Load (upsert) the administrative geography reference data from its CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jamana.core.geography import DATA_DIR, load_geography


class Command(BaseCommand):
    help = "Upsert regions, cercles, provinces, departments and communes from the geography CSVs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help=f"folder holding the *.csv files (default: {DATA_DIR})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = load_geography(options["data_dir"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{count} administrative areas loaded"))
