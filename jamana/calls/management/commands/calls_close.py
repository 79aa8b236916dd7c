"""``manage.py calls_close``: close the calls whose closing second has passed (candidate numbers,
pseudonyms, ineligible applications set aside, reviews assigned). Run every minute; running it
again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from jamana.calls.review import do_close_due_calls


class Command(BaseCommand):
    help = "Close the published calls whose closing time has passed and start their review."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = do_close_due_calls()
        if closed or options["verbosity"] > 1:
            self.stdout.write(
                ngettext("%(count)s call closed.", "%(count)s calls closed.", closed)
                % {"count": closed}
            )
