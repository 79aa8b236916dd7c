"""The attestation de régularité fiscale: refused while a tax is overdue, issued as a sealed,
independently verifiable document once nothing is overdue, to the account holder only."""

from __future__ import annotations

import pytest

from jamana.core.errors import NotFound
from jamana.core.references import format_reference
from jamana.documents.actions import read_document_file
from jamana.documents.models import Document
from jamana.documents.verification import Verdict, verify_pdf
from jamana.tax.actions import (
    TaxError,
    check_assess,
    check_issue_tax_clearance,
    check_record_counter_payment,
)

pytestmark = pytest.mark.django_db


def test_clearance_refused_while_overdue_then_issued_once_paid(
    pki, taxpayer, tax_officer, citizen, yesterday
):
    overdue = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer, due_date=yesterday)
    with pytest.raises(TaxError) as error:
        check_issue_tax_clearance(citizen, taxpayer.nif)
    assert error.value.code == "tax_overdue"
    assert format_reference(overdue.number) in error.value.message
    assert not Document.objects.filter(kind="tax_clearance").exists()

    check_record_counter_payment(
        agent=tax_officer, number=overdue.number, amount_xof=3000, receipt="Q-77"
    )
    document = check_issue_tax_clearance(citizen, format_reference(taxpayer.nif))
    assert document.kind == "tax_clearance" and document.holder == citizen.person
    assert document.issuer == taxpayer.tax_office and document.expires_at is not None
    assert verify_pdf(read_document_file(document)).verdict == Verdict.VALID


def test_an_open_assessment_not_yet_due_does_not_prevent_clearance(
    pki, taxpayer, tax_officer, citizen
):
    from jamana.tax.models import Assessment

    check_assess(taxpayer, "tdrl", 2026, agent=tax_officer)  # no due date set yet
    assert Assessment.objects.get().status == "open"
    assert check_issue_tax_clearance(citizen, taxpayer.nif).kind == "tax_clearance"


def test_only_the_holder_gets_the_clearance(pki, taxpayer, other_citizen):
    with pytest.raises(NotFound):
        check_issue_tax_clearance(other_citizen, taxpayer.nif)


def test_clearance_from_my_taxes_lands_in_my_documents(
    pki, taxpayer, tax_officer, citizen, client, yesterday
):
    client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
    overdue = check_assess(taxpayer, "tdrl", 2025, agent=tax_officer, due_date=yesterday)
    page = client.get("/tax/").content.decode()
    assert "Overdue" in page or "retard" in page.lower()
    response = client.post(f"/tax/accounts/{taxpayer.nif}/clearance/", follow=True)
    assert format_reference(overdue.number) in response.content.decode()
    assert not Document.objects.exists()

    check_record_counter_payment(
        agent=tax_officer, number=overdue.number, amount_xof=3000, receipt="Q-78"
    )
    response = client.post(f"/tax/accounts/{taxpayer.nif}/clearance/")
    assert response.url == "/documents/"
    document = Document.objects.get(kind="tax_clearance")
    assert document.number in client.get("/documents/").content.decode()
