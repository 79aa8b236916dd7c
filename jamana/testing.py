"""Test factories: plain functions with keyword-only defaults, built on the real actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jamana.identity import actions as identity
from jamana.identity.models import Account, CodePurpose, IdentifierKind, Organisation, Role
from jamana.notify.models import OutboundMessage
from jamana.procedures import actions as procedures
from jamana.procedures.models import Service

PASSWORD = "Correct-Horse-42"  # noqa: S105 (test persona)


def make_organisation(
    *,
    code: str = "ML-TEST-CEC",
    name: str = "Centre d'état civil test",
    kind: str = "civil_registry",
) -> Organisation:
    return identity.do_create_organisation(code=code, name=name, kind=kind)


def make_service(
    *,
    organisation: Organisation,
    code: str = "test.extract",
    fee_xof: int = 500,
    target_delay_days: int = 2,
) -> Service:
    return procedures.do_upsert_service(
        code=code,
        organisation=organisation,
        fee_xof=fee_xof,
        target_delay_days=target_delay_days,
        title_fr="Extrait de test",
        title_bm="Sɛbɛn kopi",
        title_en="Test extract",
        description_fr="Description",
        description_bm="Ɲɛfɔli",
        description_en="Description",
    )


def make_citizen(
    *,
    phone: str = "+22376000001",
    nina: str = "19870312000045K",
    given_names: str = "Aminata",
    family_name: str = "Traoré",
    sex: str = "F",
    birth_date: dt.date = dt.date(1987, 3, 12),
    language: str = "fr",
    password: str = PASSWORD,
) -> Account:
    person = identity.do_register_person(
        given_names=given_names,
        family_name=family_name,
        sex=sex,
        birth_date=birth_date,
        identifiers={IdentifierKind.NINA: nina} if nina else None,
    )
    return identity.do_create_account(
        phone=phone, password=password, person=person, language=language
    )


def make_agent(
    *,
    organisation: Organisation,
    role: str = Role.HEAD_OF_SERVICE,
    phone: str = "+22376000005",
    nina: str = "19750101000017B",
    extra_roles: tuple[str, ...] = (Role.COUNTER_AGENT,),
) -> Account:
    account = make_citizen(
        phone=phone,
        nina=nina,
        given_names="Seydou",
        family_name="Coulibaly",
        sex="M",
        birth_date=dt.date(1975, 1, 1),
    )
    for each in (role, *extra_roles):
        identity.do_grant_role(account=account, organisation=organisation, role=each)
    return account


def last_sms_code(phone: str) -> str:
    """The 6-digit code in the latest SMS to ``phone`` (the console gateway keeps bodies
    in the outbox in tests, as the dev inbox does)."""
    message = OutboundMessage.objects.filter(recipient=phone).order_by("-pk").first()
    if message is None:
        raise LookupError(f"no SMS to {phone}")
    body = message.body
    return next(
        word.rstrip(".")
        for word in body.split()
        if word.rstrip(".").isdigit() and len(word.rstrip(".")) == 6
    )


def send_login_code(account: Account) -> str:
    identity.do_send_code(account, CodePurpose.LOGIN)
    return last_sms_code(account.phone)


def require_tool(name: str) -> str:
    """The path of an external tool the test needs: skipped locally when missing, a failure
    in CI (CI=true), so CI can never go green without the independent checks."""
    import os
    import shutil

    import pytest

    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install poppler-utils libnss3-tools)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_tool(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    import subprocess

    result = subprocess.run(  # noqa: S603 — fixed tools, arguments built by the tests
        list(args), input=stdin, capture_output=True, check=False, timeout=60
    )
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium driven by Playwright (which cannot download its own browsers here).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A headless Chromium for browser tests: skipped locally when Chromium is missing, a
    failure in CI (CI=true)."""
    import os
    import shutil

    import pytest

    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, so Django would refuse the
    # test's own ORM calls (seeding, reading the outbox); they are plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()


def pdfsig(nss: str, path: object) -> str:
    """poppler's verdict on a PDF, trusting the NSS database ``nss`` (see the ``nss_db``
    fixture)."""
    _code, out = run_tool(require_tool("pdfsig"), "-nssdir", nss, str(path))
    return out


# Titles of the posts make_call knows; other codes get a generic title.
_POST_TITLES = {
    "ADM": ("Administrateur civil", "Mara baarakɛla", "Civil administrator"),
    "INF": ("Infirmier d'État", "Dɔgɔtɔrɔso baarakɛla", "State nurse"),
}


def make_call(
    *,
    organisation: Organisation,
    agent: Account,
    code: str = "FP-2026-TEST",
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    fee_xof: int = 0,
    posts: list[tuple[str, int, str]] | None = None,
    publish: bool = True,
    **overrides: Any,
) -> Any:
    """A recruitment call of ``organisation`` prepared by ``agent`` (who needs MANAGE_CALLS
    there) through the real actions, and published unless ``publish=False``: open since
    yesterday, closing in 10 days; ages 18 to 40 on 31 December; birth act, bulletin n°3,
    certificate of nationality and diploma; review on 100 (file 60, motivation 40); one
    written subject; one post ADM of 3 seats for a licence (``posts=[(code, seats,
    min_diploma), ...]`` to change); one exam centre in the District of Bamako.
    ``overrides`` go to ``check_create_call``."""
    from django.utils import timezone

    from jamana.calls import publishing
    from jamana.core.geography import find_area, load_geography

    now = timezone.now()
    fields: dict[str, Any] = {
        "kind": "recruitment",
        "title_fr": "Concours de recrutement dans la fonction publique",
        "title_bm": "Jamana baarakɛlaw ta kɔnkuru",
        "title_en": "Civil service recruitment competition",
        "description_fr": "Concours direct de catégorie A.",
        "min_age": 18,
        "max_age": 40,
        "age_reference_date": dt.date(timezone.localdate().year, 12, 31),
        "required_documents": [
            "birth_act",
            "criminal_record_b3",
            "nationality_certificate",
            "diploma",
        ],
        "criteria": [
            {
                "code": "file",
                "label": {"fr": "Dossier", "bm": "Sɛbɛnw", "en": "File"},
                "max": 60,
                "weight": 1,
            },
            {
                "code": "motivation",
                "label": {"fr": "Motivation", "bm": "Sababu", "en": "Motivation"},
                "max": 40,
                "weight": 1,
            },
        ],
        "exam_subjects": [
            {
                "code": "culture",
                "label": {"fr": "Culture générale", "bm": "Dɔnniya", "en": "General knowledge"},
                "max": 20,
                "coefficient": 1,
            }
        ],
    }
    fields.update(overrides)
    call = publishing.check_create_call(
        agent=agent,
        organisation=organisation,
        code=code,
        opens_at=opens_at or now - dt.timedelta(days=1),
        closes_at=closes_at or now + dt.timedelta(days=10),
        fee_xof=fee_xof,
        **fields,
    )
    for post_code, seats, min_diploma in posts or [("ADM", 3, "licence")]:
        title_fr, title_bm, title_en = _POST_TITLES.get(
            post_code, (f"Poste {post_code}", f"Baara {post_code}", f"Post {post_code}")
        )
        publishing.check_add_post(
            agent=agent,
            call=call,
            code=post_code,
            title_fr=title_fr,
            title_bm=title_bm,
            title_en=title_en,
            seats=seats,
            min_diploma=min_diploma,
        )
    area = find_area("ML-00")
    if area is None:
        load_geography()
        area = find_area("ML-00")
    assert area is not None  # noqa: S101 (the geography CSVs list the District of Bamako)
    publishing.check_add_centre(agent=agent, call=call, area=area, name="Lycée Askia Mohamed")
    if publish:
        publishing.check_publish_call(agent=agent, call=call)
    return call
