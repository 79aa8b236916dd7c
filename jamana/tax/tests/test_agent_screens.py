"""The tax officer's desk, end to end through the pages: finding a person by NINA and opening
their account, assessing, cash at the counter, cancelling; refusals shown on the form with
nothing written; another office's taxpayer reported as missing; the person sees the read."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from jamana.audit.models import AccessEvent, AuditEvent
from jamana.audit.queries import list_accesses_to_person
from jamana.core.money import format_xof
from jamana.core.references import format_reference
from jamana.payments.models import PaymentIntent
from jamana.tax.actions import check_assess
from jamana.tax.models import Assessment, AssessmentStatus, TaxpayerAccount

pytestmark = pytest.mark.django_db

CITIZEN_NINA = "19870312000045K"  # the ``citizen`` persona's, born 12 March 1987


@pytest.fixture(autouse=True)
def march_2025():
    # Before the vignette's 31 March due date, and a year the TDRL tables cover.
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        yield


def _login(client, account):
    client.force_login(account, backend="jamana.identity.backends.AccountBackend")
    # Pages in English (the messages' source text), whatever the account's language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _page(taxpayer):
    return f"/tax/agent/taxpayers/{taxpayer.nif}/"


def _assess(client, taxpayer, **fields):
    data = {"action": "assess", **{f"assess-{k}": v for k, v in fields.items()}}
    return client.post(_page(taxpayer), data)


def test_officer_opens_an_account_by_nina_assesses_tdrl_and_takes_part_in_cash(
    client, citizen, tax_officer, tax_office, bamako_c3
):
    _login(client, tax_officer)
    home = client.get("/tax/agent/")
    assert home.status_code == 200 and tax_office.name in home.content.decode()

    found = client.post("/tax/agent/", {"nina": CITIZEN_NINA}).content.decode()
    assert "Aminata" in found and 'action="/tax/agent/taxpayers/new/"' in found

    opened = client.post(
        "/tax/agent/taxpayers/new/",
        {
            "kind": "person",
            "nina": CITIZEN_NINA,
            "tax_office": tax_office.pk,
            "commune": bamako_c3.pk,
            "phone": "",
        },
    )
    taxpayer = TaxpayerAccount.objects.get(person=citizen.person)
    assert opened.status_code == 302 and opened.url == _page(taxpayer)
    assert (taxpayer.kind, taxpayer.tax_office, taxpayer.commune) == (
        "person",
        tax_office,
        bamako_c3,
    )
    assert taxpayer.phone == citizen.person.phone

    response = _assess(client, taxpayer, tax="tdrl", year="2025", due_date="2025-06-30")
    assert response.status_code == 302
    tdrl = Assessment.objects.get(taxpayer=taxpayer, tax="tdrl", year=2025)
    assert (tdrl.amount_xof, tdrl.status, tdrl.issued_by) == (3000, "open", tax_officer)
    assert tdrl.due_date == dt.date(2025, 6, 30)

    paid = client.post(
        _page(taxpayer),
        {
            "action": "pay",
            "pay-number": tdrl.number,
            "pay-amount_xof": "1000",
            "pay-receipt": "Q-417",
        },
        follow=True,
    )
    tdrl.refresh_from_db()
    assert (tdrl.paid_xof, tdrl.remaining_xof, tdrl.status) == (1000, 2000, "open")
    intent = PaymentIntent.objects.get(purpose_ref=tdrl.number)
    assert (intent.amount_xof, intent.provider_reference) == (1000, "Q-417")
    page = paid.content.decode()
    assert "Q-417" in page  # the success message
    assert f"<strong>{format_xof(2000)}</strong>" in page  # what remains, in the table
    assert format_reference(tdrl.number) in page


def test_officer_cancels_an_assessment_only_with_a_reason(client, taxpayer, tax_officer):
    keep = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    wrong = check_assess(
        taxpayer,
        "vignette",
        2025,
        agent=tax_officer,
        subject="AB-1234",
        category="moto",
        engine_cc=125,
    )
    _login(client, tax_officer)

    refused = client.post(
        _page(taxpayer), {"action": "cancel", "cancel-number": wrong.number, "cancel-reason": " "}
    )
    assert refused.status_code == 200
    assert "A cancellation must give its reason." in refused.content.decode()
    wrong.refresh_from_db()
    assert wrong.status == AssessmentStatus.OPEN
    assert not AuditEvent.objects.filter(action="tax.assessment_cancelled").exists()

    done = client.post(
        _page(taxpayer),
        {"action": "cancel", "cancel-number": wrong.number, "cancel-reason": "Moto vendue en 2024"},
        follow=True,
    )
    wrong.refresh_from_db()
    keep.refresh_from_db()
    assert (wrong.status, wrong.cancel_reason) == (
        AssessmentStatus.CANCELLED,
        "Moto vendue en 2024",
    )
    assert keep.status == AssessmentStatus.OPEN
    assert "Moto vendue en 2024" in done.content.decode()
    # A cancelled assessment is no longer offered for payment nor for cancelling.
    pay_choices = [n for n, _ in done.context["pay_form"].fields["number"].choices]
    cancel_choices = [n for n, _ in done.context["cancel_form"].fields["number"].choices]
    assert pay_choices == cancel_choices == [keep.number]


def test_an_unknown_nina_is_reported_on_the_form_and_nothing_is_opened(
    client, tax_officer, tax_office, bamako_c3
):
    _login(client, tax_officer)
    data = {"kind": "person", "nina": "19990101000099X", "tax_office": tax_office.pk}
    response = client.post("/tax/agent/taxpayers/new/", {**data, "commune": bamako_c3.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["nina"] == ["No person is registered with this NINA."]
    assert not TaxpayerAccount.objects.exists()
    assert not AuditEvent.objects.filter(action="tax.taxpayer_opened").exists()

    home = client.post("/tax/agent/", {"nina": "19990101000099X"})
    assert "No person is registered with this NINA." in home.content.decode()


def test_a_business_account_needs_its_name(client, tax_officer, tax_office, bamako_c3):
    _login(client, tax_officer)
    data = {"kind": "business", "tax_office": tax_office.pk, "commune": bamako_c3.pk}
    refused = client.post("/tax/agent/taxpayers/new/", data)
    assert refused.context["form"].errors["business_name"] == [
        "A business tax account needs its name."
    ]
    assert not TaxpayerAccount.objects.exists()

    opened = client.post("/tax/agent/taxpayers/new/", {**data, "business_name": "Quincaillerie"})
    shop = TaxpayerAccount.objects.get()
    assert opened.url == _page(shop)
    assert (shop.kind, shop.business_name, shop.person) == ("business", "Quincaillerie", None)


def test_assessing_the_same_tax_twice_is_refused_on_the_form(client, taxpayer, tax_officer):
    _login(client, tax_officer)
    assert _assess(client, taxpayer, tax="tdrl", year="2025").status_code == 302
    again = _assess(client, taxpayer, tax="tdrl", year="2025")
    assert again.status_code == 200
    assert again.context["assess_form"].non_field_errors() == [
        "This tax is already assessed for this taxpayer and year."
    ]
    assert Assessment.objects.filter(taxpayer=taxpayer).count() == 1


def test_an_unconfirmed_tariff_is_refused_on_the_form(client, taxpayer, tax_officer):
    _login(client, tax_officer)
    response = _assess(
        client,
        taxpayer,
        tax="vignette",
        year="2025",
        subject="CD-1",
        category="voiture_particuliere",
        fiscal_power="7",
    )
    assert response.status_code == 200
    assert "awaits confirmation by the DGI" in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_form_asks_for_what_the_chosen_tax_needs(client, taxpayer, tax_officer):
    _login(client, tax_officer)
    moto = _assess(client, taxpayer, tax="vignette", year="2025", category="moto")
    assert moto.context["assess_form"].errors == {
        "subject": ["Enter the plate of the vehicle."],
        "engine_cc": ["Enter the engine size of the motorcycle."],
    }
    shop = _assess(client, taxpayer, tax="impot_synthetique", year="2025")
    assert shop.context["assess_form"].errors == {"turnover": ["Enter the yearly turnover."]}
    assert not Assessment.objects.exists()


def test_tdrl_exemptions_ticked_by_the_officer_are_applied(client, taxpayer, tax_officer):
    _login(client, tax_officer)
    # The vignette's fields, filled in by mistake, are not passed to the TDRL.
    _assess(
        client,
        taxpayer,
        tax="tdrl",
        year="2025",
        exemptions=["student"],
        subject="AB-1",
        category="moto",
        engine_cc="125",
    )
    assessment = Assessment.objects.get()
    assert (assessment.amount_xof, assessment.status) == (0, AssessmentStatus.PAID)
    assert assessment.exempt_reason == "student"
    assert assessment.details["exemptions"] == ["student"]
    assert assessment.subject == "" and "category" not in assessment.details


def test_a_cash_payment_above_what_remains_is_refused_and_nothing_is_written(
    client, taxpayer, tax_officer
):
    tdrl = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    _login(client, tax_officer)
    response = client.post(
        _page(taxpayer),
        {
            "action": "pay",
            "pay-number": tdrl.number,
            "pay-amount_xof": "5000",
            "pay-receipt": "Q-1",
        },
    )
    assert response.status_code == 200
    assert response.context["pay_form"].errors["amount_xof"] == [
        "Enter a whole number of francs between 1 and 3000."
    ]
    tdrl.refresh_from_db()
    assert tdrl.paid_xof == 0
    assert not PaymentIntent.objects.exists()


def test_the_taxpayer_of_another_office_is_not_found(
    client, taxpayer, tax_officer, other_office_officer
):
    tdrl = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer)
    _login(client, other_office_officer)
    assert client.get(_page(taxpayer)).status_code == 404
    posted = client.post(
        _page(taxpayer),
        {"action": "cancel", "cancel-number": tdrl.number, "cancel-reason": "no"},
    )
    assert posted.status_code == 404
    searched = client.get("/tax/agent/", {"nif": format_reference(taxpayer.nif)})
    assert searched.status_code == 200
    assert searched.context["nif_form"].errors["nif"] == ["No tax account with this number."]
    tdrl.refresh_from_db()
    assert tdrl.status == AssessmentStatus.OPEN
    assert not AccessEvent.objects.filter(actor=other_office_officer).exists()


@pytest.mark.parametrize("who", ["citizen", "agent"])
def test_the_desk_is_only_for_tax_officers(client, request, who, taxpayer, my_taxes_link):
    account = request.getfixturevalue(who)  # a citizen, a head of service of a civil registry
    _login(client, account)
    assert client.get("/tax/agent/").status_code == 404
    assert client.get("/tax/agent/taxpayers/new/").status_code == 404
    assert client.get(_page(taxpayer)).status_code == 404
    assert my_taxes_link not in client.get("/tax/").content.decode()


@pytest.fixture
def my_taxes_link():
    return 'href="/tax/agent/"'


def test_tax_officers_reach_the_desk_from_my_taxes_and_the_rolls(
    client, tax_officer, my_taxes_link
):
    _login(client, tax_officer)
    assert my_taxes_link in client.get("/tax/").content.decode()
    assert my_taxes_link in client.get("/tax/agent/rolls/").content.decode()


def test_the_desk_finds_an_account_by_nif_or_by_the_person_s_nina(client, taxpayer, tax_officer):
    _login(client, tax_officer)
    by_nif = client.get("/tax/agent/", {"nif": format_reference(taxpayer.nif).lower()})
    assert by_nif.status_code == 302 and by_nif.url == _page(taxpayer)
    by_nina = client.post("/tax/agent/", {"nina": CITIZEN_NINA})
    assert by_nina.status_code == 302 and by_nina.url == _page(taxpayer)


def test_the_person_sees_that_the_officer_opened_their_tax_account(
    client, citizen, taxpayer, tax_officer, tax_office
):
    _login(client, tax_officer)
    assert client.get(_page(taxpayer)).status_code == 200
    assert client.get(_page(taxpayer)).status_code == 200  # a reload is the same consultation
    reads = [
        e
        for e in list_accesses_to_person(citizen.person_id)
        if (e.object_type, e.object_ref) == ("taxpayer", taxpayer.nif)
    ]
    assert len(reads) == 1
    assert (reads[0].actor, reads[0].organisation) == (tax_officer, tax_office)
    assert format_reference(taxpayer.nif) in reads[0].purpose

    _login(client, citizen)
    page = client.get(reverse("identity:who_accessed")).content.decode()
    assert reads[0].purpose in page
