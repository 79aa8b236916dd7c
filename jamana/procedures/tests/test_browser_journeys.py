"""Browser journeys: a citizen and an agent, end to end, in Debian's Chromium via Playwright.

The pages are server rendered and work without JavaScript; the browser is here to prove that
the real forms, redirects, cookies and CSRF tokens fit together on a small phone screen.
Elements are found by ids, names, CSS classes and URLs, not by interface text, because the
catalogues are translated independently of these tests.

Each journey ends with a full-page screenshot in pytest's tmp_path; set JAMANA_SCREENSHOTS to a
directory to keep copies.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from jamana.core.references import format_reference
from jamana.identity.models import Account
from jamana.procedures.demo import AGENT_PHONE, CITIZEN_PHONE, DEMO_PASSWORD, seed_demo
from jamana.procedures.models import ServiceRequest
from jamana.testing import chromium_browser, last_sms_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An entry-level Android phone; agents work at a counter computer.
PHONE_SCREEN = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
COUNTER_SCREEN = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
REFERENCE_IN_PATH = re.compile(r"/requests/([0-9A-Z]{9})/$")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def new_browser(browser):
    """Open a fresh browser profile (its own cookies): by default an entry-level smartphone,
    with ``counter=True`` the desktop screen of a service counter."""
    contexts = []

    def open_page(*, counter: bool = False):
        screen = {"viewport": COUNTER_SCREEN} if counter else PHONE_SCREEN
        context = browser.new_context(locale="fr-ML", **screen)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def demo(db):
    return seed_demo(seed=1, persons=5)


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("?")[0]


def _submit(page, form_selector: str = "main form") -> None:
    """Press the submit button of the (first) form matching ``form_selector`` and wait for
    the page it leads to."""
    with page.expect_navigation():
        page.locator(form_selector).first.locator("button[type=submit], button:not([type])").click()


def _no_horizontal_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{_path(page)} is {overflow}px wider than a 360px screen"


def _code_from_dev_inbox(page, base_url: str, phone: str) -> str:
    """Read the sign-in code as a tester would: on the dev-only "SMS sent" page."""
    inbox = page.context.new_page()
    inbox.goto(f"{base_url}/dev/sms/")
    row = inbox.locator("tbody tr", has=inbox.locator(f"td:text-is('{phone}')")).first
    body = row.locator("td.sms-body").inner_text()
    inbox.close()
    found = re.search(r"\b(\d{6})\b", body)
    assert found, f"no 6-digit code in the SMS {body!r}"
    return found.group(1)


def _sign_in(page, base_url: str, phone: str, *, read_code_in_browser: bool) -> None:
    page.goto(f"{base_url}/account/sign-in/")
    page.fill("#id_identifier", phone)
    page.fill("#id_password", DEMO_PASSWORD)
    _submit(page)
    assert _path(page) == "/account/sign-in/code/", page.locator("main").inner_text()
    if read_code_in_browser:
        code = _code_from_dev_inbox(page, base_url, phone)
        assert code == last_sms_code(phone)
    else:
        code = last_sms_code(phone)
    page.fill("#id_code", code)
    _submit(page)


def _status_class(page) -> str:
    classes = page.locator("main .status").first.get_attribute("class") or ""
    return next((c for c in classes.split() if c.startswith("status-")), "")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=tmp_path / name, full_page=True)
    keep = os.environ.get("JAMANA_SCREENSHOTS")
    if keep:
        shutil.copy(tmp_path / name, Path(keep) / name)


HEADER_STRINGS = ("My requests", "Who accessed my data", "Sign out")


def _bm_catalogue_translates_header() -> bool:
    """True once the translators have given the header links Bambara (and French) texts."""
    with translation.override("fr"):
        french = [translation.gettext(text) for text in HEADER_STRINGS]
    with translation.override("bm"):
        bambara = [translation.gettext(text) for text in HEADER_STRINGS]
    return french != bambara


def _interface_text(page) -> str:
    """Interface strings only (not catalogue content such as service titles)."""
    return "\n".join(page.locator("header nav, main dl.facts dt, footer").all_inner_texts())


def test_citizen_signs_in_applies_and_switches_to_bambara(live_server, new_browser, demo, tmp_path):
    base = live_server.url
    citizen = Account.objects.get(phone=CITIZEN_PHONE)
    seeded = set(
        ServiceRequest.objects.filter(submitted_by=citizen).values_list("reference", flat=True)
    )
    assert len(seeded) == 2
    page = new_browser()

    # Password, then the code read on the dev "SMS sent" page: lands on "Mes démarches".
    _sign_in(page, base, CITIZEN_PHONE, read_code_in_browser=True)
    assert _path(page) == "/requests/"
    assert page.locator("html").get_attribute("lang") == "fr"
    listed = {text.replace("-", "") for text in page.locator("main .cards .ref").all_inner_texts()}
    assert listed == seeded
    _no_horizontal_scroll(page)

    # Home → the service → Apply → submit.
    page.locator("header a.brand").click()
    page.wait_for_url(f"{base}/")
    page.locator("main a[href='/services/tax.clearance/']").click()
    page.wait_for_url(f"{base}/services/tax.clearance/")
    _no_horizontal_scroll(page)
    page.locator("main a[href='/requests/new/tax.clearance/']").click()
    page.wait_for_url(f"{base}/requests/new/tax.clearance/")
    page.fill("#id_purpose", "Inscription scolaire")
    _submit(page)

    # The request's own page: awaiting payment, with its reference and timeline.
    found = REFERENCE_IN_PATH.search(_path(page))
    assert found, page.url
    reference = found.group(1)
    created = ServiceRequest.objects.get(reference=reference)
    assert created.service.code == "tax.clearance"
    assert created.status == "awaiting_payment"
    assert created.details == {"purpose": "Inscription scolaire"}
    assert _status_class(page) == "status-awaiting_payment"
    assert page.locator("main .status").first.inner_text().strip()
    assert page.locator("main dd.ref").inner_text().strip() == format_reference(reference)
    assert page.locator("main .messages li.success").count() == 1
    assert page.locator("main ol.timeline li").count() == created.events.count()
    _no_horizontal_scroll(page)

    # Switch the interface to Bambara with the header form; the page comes back in bm.
    french = _interface_text(page)
    page.select_option("header form.lang select[name=language]", "bm")
    _submit(page, "header form.lang")
    _screenshot(page, tmp_path, "citizen-request-bm.png")
    assert _path(page) == f"/requests/{reference}/"
    lang = page.locator("html").get_attribute("lang")
    assert lang == "bm", (
        f'<html lang="{lang}"> after choosing Bambara. Django only activates a language that '
        "has a compiled catalogue: is jamana/locale/bm/LC_MESSAGES/django.mo there "
        "(`manage.py compile_translations`)?"
    )
    assert page.locator("header select[name=language]").input_value() == "bm"
    citizen.refresh_from_db()
    assert citizen.language == "bm"  # remembered for SMS too
    if _bm_catalogue_translates_header():
        assert _interface_text(page) != french
    assert _status_class(page) == "status-awaiting_payment"
    _no_horizontal_scroll(page)


def test_agent_takes_payment_and_grants_then_citizen_sees_it(
    live_server, new_browser, demo, tmp_path
):
    base = live_server.url
    pending = ServiceRequest.objects.select_related("organisation").get(
        submitted_by__phone=CITIZEN_PHONE, status="awaiting_payment"
    )
    reference, organisation_name = pending.reference, pending.organisation.name
    agent_page = new_browser(counter=True)

    # The agent signs in and lands on the work queue.
    _sign_in(agent_page, base, AGENT_PHONE, read_code_in_browser=False)
    assert _path(agent_page) == "/agent/"

    # Filter the queue to requests awaiting payment, open the citizen's one.
    agent_page.select_option("#id_status", "awaiting_payment")
    _submit(agent_page, "main form.filters")
    assert "status=awaiting_payment" in agent_page.url
    case_link = agent_page.locator(f"main a.ref[href='/agent/requests/{reference}/']")
    assert case_link.inner_text().strip() == format_reference(reference)
    statuses = agent_page.locator("main tbody .status").evaluate_all(
        "spans => spans.map(s => s.className)"
    )
    assert statuses and all("status-awaiting_payment" in s for s in statuses)
    case_link.click()
    agent_page.wait_for_url(f"{base}/agent/requests/{reference}/")
    assert _status_class(agent_page) == "status-awaiting_payment"

    # Counter payment against a receipt number → in review.
    agent_page.fill("#id_receipt", "Q-2026-000342")
    _submit(agent_page, f"main form[action='/agent/requests/{reference}/pay/']")
    assert agent_page.locator("main .messages li.error").count() == 0, agent_page.locator(
        "main .messages"
    ).inner_text()
    assert _status_class(agent_page) == "status-in_review"

    # Assign to self.
    _submit(agent_page, f"main form[action='/agent/requests/{reference}/take/']")
    assert agent_page.locator("main .messages li.error").count() == 0
    pending.refresh_from_db()
    assert pending.assigned_to is not None and pending.assigned_to.phone == AGENT_PHONE

    # Grant.
    agent_page.fill("#issue-reason", "Casier vierge")
    _submit(agent_page, f"main form[action='/agent/requests/{reference}/issue/']")
    assert agent_page.locator("main .messages li.error").count() == 0
    assert _status_class(agent_page) == "status-issued"
    assert agent_page.locator(f"main form[action^='/agent/requests/{reference}/']").count() == 0
    pending.refresh_from_db()
    assert pending.status == "issued"
    assert list(pending.events.values_list("to_status", flat=True).order_by("at", "pk"))[-2:] == [
        "in_review",
        "issued",
    ]
    _screenshot(agent_page, tmp_path, "agent-case-issued.png")

    # Meanwhile, on the citizen's own phone.
    page = new_browser()
    _sign_in(page, base, CITIZEN_PHONE, read_code_in_browser=False)
    assert _path(page) == "/requests/"
    row = page.locator("main .cards li", has=page.locator(f"a[href='/requests/{reference}/']"))
    assert "status-issued" in (row.locator(".status").get_attribute("class") or "")
    row.locator(f"a[href='/requests/{reference}/']").click()
    page.wait_for_url(f"{base}/requests/{reference}/")
    assert _status_class(page) == "status-issued"
    _no_horizontal_scroll(page)

    # "Who accessed my data": the agent's organisation opened this request.
    page.locator("header nav a[href='/account/me/who-accessed/']").click()
    page.wait_for_url(f"{base}/account/me/who-accessed/")
    _screenshot(page, tmp_path, "citizen-who-accessed.png")
    rows = page.locator("main tbody tr").filter(has_text=format_reference(reference))
    assert rows.count() >= 1
    assert organisation_name in rows.first.inner_text()
    assert all(organisation_name in text for text in rows.all_inner_texts())
    _no_horizontal_scroll(page)
