"""The assistant in Debian's Chromium on a 360 px phone, JavaScript off (the journey must work
without it): a Bambara question typed in the box every page carries, the answer with the
catalogue's fee and a start button, and a question handed over to a person."""

from __future__ import annotations

import pytest

from jamana.assistant.models import HandedOverQuestion
from jamana.procedures.tests.test_browser_journeys import (
    PHONE_SCREEN,
    TIMEOUT_MS,
    _no_horizontal_scroll,
    _path,
    _screenshot,
    _submit,
)
from jamana.testing import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_asks_on_a_phone_and_hands_a_question_over(live_server, tmp_path):
    from jamana.procedures.demo import load_catalogue

    load_catalogue()
    base = live_server.url
    with chromium_browser() as browser:
        context = browser.new_context(locale="fr-ML", java_script_enabled=False, **PHONE_SCREEN)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{base}/")
        page.fill("form.ask input[name=q]", "n be se ka jalakiya sebe soro cogo di")
        _submit(page, "form.ask")
        assert _path(page) == "/assistant/"
        answer = page.locator("section.assistant-answer")
        assert answer.get_attribute("lang") == "bm"
        assert "750\u00a0FCFA" in answer.inner_text()
        start = answer.locator("a.button").first
        assert start.get_attribute("href") == "/justice/"
        _no_horizontal_scroll(page)
        _screenshot(page, tmp_path, "assistant-answer-bm.png")

        # Something the catalogue does not offer: the assistant says so; a person answers.
        page.fill("#assistant-q", "Comment obtenir un passeport ?")
        _submit(page, "form[role=search]")
        assert page.locator("#ask-a-person[open]").count() == 1
        page.fill("#id_phone", "76 00 00 43")
        _submit(page, "#ask-a-person form")
        _no_horizontal_scroll(page)
        assert page.locator(".messages li").count() == 1
        question = HandedOverQuestion.objects.get()
        assert question.phone == "+22376000043" and question.text.endswith("passeport ?")
        _screenshot(page, tmp_path, "assistant-handed-over.png")
