"""The offline verifier page: the trusted seal keys it embeds, and, in Debian's Chromium, that
it tells a valid seal from an altered, expired or foreign one with the network cut off.

Elements are found by ids and data attributes, not interface text (translated elsewhere).
The phone-screen screenshot goes to pytest's tmp_path; set JAMANA_SCREENSHOTS to keep a copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse
from django.utils import timezone

from jamana.documents.actions import issue_document
from jamana.pki.actions import do_revoke_certificate
from jamana.pki.models import CertificateRecord
from jamana.pki.queries import trusted_seal_map
from jamana.testing import chromium_browser
from jamana.trust.seal2d import PREFIX, SealClaims, kid_for, make_seal, read_seal
from jamana.trust.testing import make_test_pki

PHONE_SCREEN = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 15_000
TRUSTED_JSON = re.compile(
    r'<script id="trusted-seals" type="application/json">(.*?)</script>', re.DOTALL
)


def _issue(issuer, holder):
    return issue_document(
        kind="residence_attestation",
        issuer=issuer,
        holder=holder,
        fields=[("Nom", holder.full_name), ("Adresse", "Kati, quartier Malibougou")],
    )


def _embedded(client) -> dict:
    response = client.get(reverse("documents:offline_verify"))
    assert response.status_code == 200
    found = TRUSTED_JSON.search(response.content.decode())
    assert found, "no trusted-seals JSON block"
    return json.loads(found.group(1))


def _forged(document) -> str:
    """A well-formed seal for the same document, signed by a key nobody trusts."""
    stranger = make_test_pki(country="ML")
    return make_seal(
        SealClaims(
            issuer_code="ML-CEC-TEST",
            issuer_country="ML",
            kind="residence_attestation",
            number=document.number,
            holder_given_names="Aminata",
            holder_family_name="Traoré",
            holder_birth_date="1987-03-12",
            issued_at=timezone.now(),
            expires_at=None,
            pdf_sha256=bytes(32),
        ),
        signer=stranger.seal.key,
        kid=kid_for(stranger.seal.certificate),
    )


def _with_other_family_name(seal: str, family_name: str) -> str:
    """The same seal with the holder's family name changed and the signature kept: a
    well-formed seal whose content does not match its signature."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(seal[len(PREFIX) :])))
    protected, unprotected, payload, signature = message.value
    claims = cbor2.loads(payload)
    claims[-65537][6] = family_name
    message.value = [protected, unprotected, cbor2.dumps(claims, canonical=True), signature]
    return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(message), 9)).decode("ascii")


# --------------------------------------------------------------------------- the page


@pytest.mark.django_db
def test_page_embeds_the_key_of_the_seal_it_must_verify(client, pki, issuer, holder):
    document = _issue(issuer, holder)
    reading = read_seal(document.seal2d, trusted=trusted_seal_map(), now=timezone.now())
    assert reading.kid is not None and reading.signer_certificate is not None
    embedded = _embedded(client)
    keys = {key["kid"]: key for key in embedded["keys"]}
    key = keys[base64.b64encode(reading.kid).decode()]
    spki = reading.signer_certificate.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64decode(key["spki"]) == spki
    assert key["organisation"] == "Centre d'état civil de Kati"
    assert key["country"] == "ML"
    assert dt.datetime.fromisoformat(key["not_before"]) <= document.issued_at
    assert dt.datetime.fromisoformat(key["not_after"]) > document.issued_at
    assert dt.datetime.fromisoformat(embedded["generated_at"]) <= timezone.now()


@pytest.mark.django_db
def test_page_works_as_a_plain_form_and_may_be_kept_in_the_browser_cache(client, pki):
    response = client.get(reverse("documents:offline_verify"))
    html = response.content.decode()
    # Without JavaScript the form sends the seal to the online check.
    assert f'action="{reverse("documents:verify")}"' in html
    assert 'name="code"' in html
    assert 'aria-live="polite"' in html
    assert "documents/offline-verify.js" in html
    assert "private" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]
    # The online verification page links to it.
    online = client.get(reverse("documents:verify")).content.decode()
    assert reverse("documents:offline_verify") in online


@pytest.mark.django_db
def test_a_compromised_seal_key_is_not_embedded(client, pki, issuer, holder, pki_admin):
    document = _issue(issuer, holder)
    kid = base64.b64encode(
        read_seal(document.seal2d, trusted=trusted_seal_map(), now=timezone.now()).kid or b""
    ).decode()
    assert kid in {key["kid"] for key in _embedded(client)["keys"]}
    record = CertificateRecord.objects.get(organisation=issuer, role="seal")
    do_revoke_certificate(agent=pki_admin, name=record.name, reason="key_compromise")
    assert kid not in {key["kid"] for key in _embedded(client)["keys"]}


def test_script_is_small_and_self_contained():
    script = Path(__file__).parents[1] / "static" / "documents" / "offline-verify.js"
    source = script.read_text()
    assert len(script.read_bytes()) < 15_000
    # No CDN, no module loading, no request of any kind.
    for forbidden in ("http://", "https://", "import ", "fetch(", "XMLHttpRequest"):
        assert forbidden not in source, forbidden


# --------------------------------------------------------------------------- in Chromium


@pytest.fixture
def sealed(live_pki, issuer, holder):
    """A document issued for the browser tests. Issuing runs pyHanko's event loop, which cannot
    run inside Playwright's: tests ask for this fixture before the browser."""
    return _issue(issuer, holder)


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def phone(browser):
    """A new page on an entry-level phone's screen, in its own browser profile."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(locale="fr-ML", **PHONE_SCREEN, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _load_then_cut_the_network(page, url: str) -> list[str]:
    """Open the verifier, then refuse every further request; returns the list of requests
    attempted after the cut (there must be none)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    attempted: list[str] = []
    # The browser fetches the page's icon (base.html) on its own schedule: not the verifier.
    page.on(
        "request",
        lambda request: None if "favicon" in request.url else attempted.append(request.url),
    )
    page.route("**/*", lambda route: route.abort())
    return attempted


def _check(page, seal: str) -> str:
    page.fill("#seal-text", seal)
    page.locator("#offline-result").evaluate("element => element.replaceChildren()")
    page.click("#seal-submit")
    verdict = page.locator("#offline-result [data-verdict]")
    verdict.wait_for()
    return verdict.get_attribute("data-verdict") or ""


def _fact(page, name: str) -> str:
    return page.locator(f'#offline-result [data-fact="{name}"]').inner_text()


@pytest.mark.browser
def test_verifies_seals_with_the_network_cut_off(sealed, live_pki, phone, tmp_path):
    document = sealed
    forged = _forged(document)
    altered = _with_other_family_name(document.seal2d, "Keïta")
    text = document.seal2d
    position = len(text) // 2
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    one_changed = (
        text[:position]
        + alphabet[(alphabet.index(text[position]) + 1) % len(alphabet)]
        + text[position + 1 :]
    )

    page = phone()
    attempted = _load_then_cut_the_network(page, f"{live_pki.url}/verify/offline/")
    assert page.locator("#offline-unsupported").is_hidden()
    # Headless Chromium on Linux has no BarcodeDetector: no camera button then.
    assert page.evaluate("'BarcodeDetector' in window") is False
    assert page.locator("#scan-start").is_hidden()

    assert _check(page, document.seal2d) == "valid"
    assert _fact(page, "holder") == "Aminata Traoré"
    assert _fact(page, "birth_date") == "1987-03-12"
    assert _fact(page, "number") == "-".join(re.findall("...", document.number))
    assert "Centre d'état civil de Kati" in _fact(page, "issuer")
    online = page.locator('#offline-result [data-fact="online"]').get_attribute("href")
    assert online == f"/verify/{_fact(page, 'number')}"
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than a 360px screen"
    # What the phone shows once the verdict has the focus, and the whole page.
    page.screenshot(path=tmp_path / "offline-verifier-screen.png")
    page.screenshot(path=tmp_path / "offline-verifier.png", full_page=True)
    keep = os.environ.get("JAMANA_SCREENSHOTS")
    for name in ("offline-verifier-screen.png", "offline-verifier.png") if keep else ():
        shutil.copy(tmp_path / name, Path(keep) / name)

    assert _check(page, one_changed) in ("tampered", "malformed")
    assert _check(page, altered) == "tampered"
    assert page.locator('#offline-result [data-fact="holder"]').count() == 0
    assert _check(page, forged) == "unknown_issuer"
    assert _check(page, "7K3-Q9P-X2M") == "malformed"
    assert _check(page, document.seal2d + "\n") == "valid"  # as pasted from a scanner app

    # The residence attestation is valid 90 days: a phone whose clock says 100 days later
    # finds the seal authentic but expired.
    page.clock.set_fixed_time(dt.datetime.now(dt.UTC) + dt.timedelta(days=100))
    assert _check(page, document.seal2d) == "expired"
    assert _fact(page, "holder") == "Aminata Traoré"

    assert attempted == [], "the verifier made requests after loading"


@pytest.mark.browser
def test_keys_kept_on_the_phone_are_used_when_newer_than_the_page(sealed, live_pki, phone):
    document = sealed
    page = phone()
    page.goto(f"{live_pki.url}/verify/offline/")
    stored = json.loads(page.evaluate("localStorage.getItem('jamana.trusted-seals.v1')"))
    kid = base64.b64encode(
        read_seal(document.seal2d, trusted=trusted_seal_map(), now=timezone.now()).kid or b""
    ).decode()
    assert kid in {key["kid"] for key in stored["keys"]}

    # A later visit stored a list without that key (its seal key was compromised, say):
    # an older copy of the page must not bring the key back.
    stored["keys"] = [key for key in stored["keys"] if key["kid"] != kid]
    stored["generated_at"] = "2999-01-01T00:00:00Z"
    page.evaluate(
        "list => localStorage.setItem('jamana.trusted-seals.v1', JSON.stringify(list))", stored
    )
    page.reload()
    page.route("**/*", lambda route: route.abort())
    assert _check(page, document.seal2d) == "unknown_issuer"
    assert page.locator("#trust-status + p time").get_attribute("datetime") == (
        "2999-01-01T00:00:00Z"
    )


# A browser that reads QR codes, with a camera that first sees the document's link code,
# then its 2D seal.
FAKE_CAMERA = """
const seen = [[{ rawValue: "http://127.0.0.1/verify/7K3Q9PX2M" }], [{ rawValue: SEAL }]];
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return seen.length > 1 ? seen.shift() : seen[0]; }
};
navigator.mediaDevices.getUserMedia = async () => document.createElement("canvas").captureStream();
"""


@pytest.mark.browser
def test_camera_button_reads_the_seal_where_the_browser_reads_qr_codes(sealed, live_pki, phone):
    page = phone()
    page.add_init_script(FAKE_CAMERA.replace("SEAL", json.dumps(sealed.seal2d)))
    _load_then_cut_the_network(page, f"{live_pki.url}/verify/offline/")
    page.locator("#scan-start").wait_for(state="visible")
    page.click("#scan-start")
    verdict = page.locator("#offline-result [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "valid"
    assert page.input_value("#seal-text") == sealed.seal2d
    assert page.locator("#scan-box").is_hidden()


@pytest.mark.browser
def test_without_javascript_the_form_asks_the_online_check(sealed, live_pki, phone):
    document = sealed
    page = phone(java_script_enabled=False)
    page.goto(f"{live_pki.url}/verify/offline/")
    page.fill("#seal-text", document.seal2d)
    with page.expect_navigation():
        page.click("#seal-submit")
    assert page.url == f"{live_pki.url}/verify/"
    assert page.locator(".verdict-valid").count() == 1


@pytest.mark.browser
def test_a_browser_that_cannot_check_says_so_and_asks_online(sealed, live_pki, phone):
    document = sealed
    page = phone()
    page.add_init_script("delete window.DecompressionStream")
    page.goto(f"{live_pki.url}/verify/offline/")
    page.locator("#offline-unsupported").wait_for(state="visible")
    page.fill("#seal-text", document.seal2d)
    with page.expect_navigation():
        page.click("#seal-submit")
    assert page.locator(".verdict-valid").count() == 1


@pytest.mark.browser
def test_agrees_with_the_python_reader_on_damaged_seals(sealed, live_pki, phone):
    text = sealed.seal2d
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    damaged = [
        text[:position] + alphabet[(alphabet.index(text[position]) + 7) % 45] + text[position + 1 :]
        for position in range(len(PREFIX), len(text), 13)
    ]
    damaged += [
        text[:-3],
        text + "00",
        text.lower(),
        "JM2:" + text[len(PREFIX) :],
        _with_other_family_name(text, "Traore"),
        _forged(sealed),
    ]
    trusted = trusted_seal_map()
    now = timezone.now()
    expected = [str(read_seal(seal, trusted=trusted, now=now).verdict) for seal in damaged]
    assert "valid" not in expected

    page = phone()
    _load_then_cut_the_network(page, f"{live_pki.url}/verify/offline/")
    assert [_check(page, seal) for seal in damaged] == expected
