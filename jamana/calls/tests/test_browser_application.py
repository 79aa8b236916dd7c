"""The applicant's pages in Debian's Chromium on a small phone screen: from the open calls to
an application ready to pay and sign — the real forms (fill in, consent, file upload), CSRF
tokens and redirects fitting together, nothing wider than the screen. Elements are found by
ids and names, not by interface text (the catalogues are translated separately)."""

from __future__ import annotations

import pytest

from jamana.calls.models import Application, DocumentSource, ScanStatus
from jamana.calls.tests.conftest import small_pdf
from jamana.identity.models import Account
from jamana.procedures.demo import CITIZEN_PHONE, seed_demo
from jamana.procedures.tests.test_browser_journeys import (
    PHONE_SCREEN,
    TIMEOUT_MS,
    _no_horizontal_scroll,
    _path,
    _screenshot,
    _sign_in,
    _submit,
)
from jamana.testing import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_applicant_fills_in_consents_uploads_and_reaches_the_fee(live_server, tmp_path):
    seed_demo(seed=1, persons=5)
    base = live_server.url
    citizen = Account.objects.get(phone=CITIZEN_PHONE)
    diploma = tmp_path / "licence.pdf"
    diploma.write_bytes(small_pdf())
    with chromium_browser() as browser:
        context = browser.new_context(locale="fr-ML", **PHONE_SCREEN)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _sign_in(page, base, CITIZEN_PHONE, read_code_in_browser=False)
        page.goto(f"{base}/calls/")
        _no_horizontal_scroll(page)
        page.locator("main .cards a[href^='/calls/FP-']").first.click()
        page.wait_for_url(f"{base}/calls/FP-*/")
        _no_horizontal_scroll(page)
        page.select_option("main select[name=post]", "ADM")
        _submit(page, "main form[action$='/apply/']")
        assert _path(page).startswith("/calls/applications/")
        application = Application.objects.get(person=citizen.person)

        # 1. Fill in.
        page.select_option("#id_exam_centre", index=1)
        page.select_option("#id_diploma_level", "master")
        page.check("#id_declared_not_civil_servant")
        page.fill("#id_q_motivation", "Servir l'administration de mon pays.")
        _submit(page, "form#details")
        # 2. Consent: the State's documents are fetched; 3. the diploma is uploaded.
        _submit(page, "form#fetch")
        page.locator("form.upload input[type=file]").first.set_input_files(str(diploma))
        _submit(page, "form.upload")
        _no_horizontal_scroll(page)
        _screenshot(page, tmp_path, "application-ready-to-pay.png")

        application.refresh_from_db()
        assert application.answers == {"motivation": "Servir l'administration de mon pays."}
        assert application.diploma_level == "master" and application.exam_centre_id
        documents = {d.kind: d for d in application.documents.all()}
        assert documents["birth_act"].source == DocumentSource.FETCHED
        assert documents["diploma"].scan_status in (ScanStatus.PENDING, ScanStatus.CLEAN)
        # All that stops her now is the fee: the checklist has one line, and the pay button.
        assert page.locator("#problems li").count() == 1
        page.locator("#pay").click()
        page.wait_for_url(f"{base}/calls/applications/{application.reference}/pay/")
        assert page.locator("main select[name=provider]").count() == 1
        _no_horizontal_scroll(page)
        context.close()
