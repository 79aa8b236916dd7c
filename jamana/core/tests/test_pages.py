"""Pages stay light, work without JavaScript and meet basic accessibility."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from jamana.procedures.demo import seed_demo

pytestmark = pytest.mark.django_db


class _FormAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.inputs: list[str] = []
        self.scripts = 0
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.inputs.append(a.get("id", ""))
        if tag == "script":
            self.scripts += 1


@pytest.fixture
def demo(db):
    return seed_demo(seed=1, persons=5)


@pytest.mark.parametrize(
    "url_name", ["home", "identity:sign_in", "identity:sign_up", "identity:reset_request"]
)
def test_public_pages_label_every_field_and_need_no_script(client, demo, url_name):
    response = client.get(reverse(url_name))
    audit = _FormAudit()
    audit.feed(response.content.decode())
    assert audit.lang == "fr"
    assert audit.scripts == 0
    assert audit.inputs, "expected a form"
    unlabelled = [i for i in audit.inputs if not i or i not in audit.labels]
    assert unlabelled == []


def test_first_page_with_its_assets_is_under_100_kb(client, demo):
    page = client.get(reverse("home"))
    total = len(page.content)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.content.decode()):
        response = client.get(asset)
        assert response.status_code == 200
        assert "max-age" in response["Cache-Control"]
        total += len(b"".join(response.streaming_content))
    assert total < 100_000, total


def test_focus_is_visible_and_text_contrast_is_high():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "static" / "jamana" / "site.css").read_text()
    assert ":focus" in css and "outline" in css

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    # text on background, header text on accent, muted text: WCAG AA needs 4.5:1
    assert contrast("#111111", "#ffffff") >= 4.5
    assert contrast("#ffffff", "#14532d") >= 4.5
    assert contrast("#444444", "#ffffff") >= 4.5
    assert contrast("#7f1d1d", "#ffffff") >= 4.5


def test_language_switch_works_without_javascript(client, demo):
    response = client.post(reverse("set_language"), {"language": "bm", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="bm">' in page


def test_signed_in_language_choice_is_remembered_on_the_account(client, demo):
    from jamana.identity.models import Account

    account = Account.objects.get(phone=demo.citizen_phone)
    client.force_login(account, backend="jamana.identity.backends.AccountBackend")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    account.refresh_from_db()
    assert account.language == "en"


def test_health_endpoint(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_dev_sms_inbox_is_off_unless_enabled(client, db, settings):
    settings.SMS_DEV_INBOX = False
    assert client.get(reverse("dev_sms")).status_code == 404
