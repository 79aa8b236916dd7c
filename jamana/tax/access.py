"""Fetch and authorize in one step. Someone else's taxpayer account or assessment is reported
exactly like a missing one, so that tax numbers cannot be probed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jamana.core.errors import NotFound
from jamana.core.models import AdminArea
from jamana.core.references import InvalidReference, parse_reference
from jamana.identity.models import Account, Organisation, OrganisationKind
from jamana.identity.permissions import ASSESS_TAX
from jamana.identity.queries import agent_organisations, require_permission
from jamana.tax.models import Assessment, AssessmentRoll, TaxpayerAccount


def parse_tax_number(text: str) -> str:
    try:
        return parse_reference(text)
    except InvalidReference:
        raise NotFound("not_found", _("No tax account or assessment with this number.")) from None


def access_own_taxpayer(account: Account, nif: str) -> TaxpayerAccount:
    taxpayer = (
        TaxpayerAccount.objects.select_related("person", "tax_office", "commune")
        .filter(nif=parse_tax_number(nif), person_id=account.person_id or 0)
        .first()
    )
    if taxpayer is None:
        raise NotFound("taxpayer_not_found", _("No tax account with this number."))
    return taxpayer


def access_own_assessment(account: Account, number: str) -> Assessment:
    assessment = (
        Assessment.objects.select_related("taxpayer", "taxpayer__tax_office", "taxpayer__person")
        .filter(number=parse_tax_number(number), taxpayer__person_id=account.person_id or 0)
        .first()
    )
    if assessment is None:
        raise NotFound("assessment_not_found", _("No assessment with this number."))
    return assessment


def tax_officer_offices(account: Account) -> list[Organisation]:
    """Tax offices where ``account`` may assess taxes, each once."""
    return [
        office
        for office in agent_organisations(account, ASSESS_TAX)
        if office.kind == OrganisationKind.TAX_OFFICE
    ]


def require_tax_officer(
    account: Account, tax_office: Organisation, area: AdminArea | None = None
) -> None:
    """Assessing is a tax officer's act (``assess_tax``, which only that role holds) in the
    taxpayer's own tax office, within the agent's jurisdiction."""
    require_permission(account, ASSESS_TAX, tax_office, area)


def access_roll_for_agent(account: Account, roll_id: int) -> AssessmentRoll:
    roll = AssessmentRoll.objects.select_related("tax_office").filter(pk=roll_id).first()
    if roll is None or roll.tax_office not in tax_officer_offices(account):
        raise NotFound("roll_not_found", _("No roll with this number."))
    return roll
