"""Fetch and authorize in one step. Someone else's taxpayer account or assessment is reported
exactly like a missing one, so that tax numbers cannot be probed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jamana.core.errors import NotFound, PermissionDenied
from jamana.core.models import AdminArea
from jamana.core.references import InvalidReference, parse_reference
from jamana.identity.models import Account, Organisation, OrganisationKind, Role
from jamana.identity.queries import list_agent_roles
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
    """Tax offices where ``account`` is a tax officer, each once."""
    found = {
        agent.organisation_id: agent.organisation
        for agent in list_agent_roles(account).filter(
            role=Role.TAX_OFFICER, organisation__kind=OrganisationKind.TAX_OFFICE
        )
    }
    return list(found.values())


def require_tax_officer(
    account: Account, tax_office: Organisation, area: AdminArea | None = None
) -> None:
    """Assessing is a tax officer's act in the taxpayer's own tax office, within the agent's
    jurisdiction. Checked on the role itself: the generic permissions (``decide_request``…) are
    also held by heads of service and registrars, who do not assess taxes."""
    for agent in list_agent_roles(account).filter(organisation=tax_office, role=Role.TAX_OFFICER):
        if area is None or agent.jurisdiction is None or agent.jurisdiction.contains(area):
            return
    raise PermissionDenied("permission_denied", _("Your role does not allow this action here."))


def access_roll_for_agent(account: Account, roll_id: int) -> AssessmentRoll:
    roll = AssessmentRoll.objects.select_related("tax_office").filter(pk=roll_id).first()
    if roll is None or roll.tax_office not in tax_officer_offices(account):
        raise NotFound("roll_not_found", _("No roll with this number."))
    return roll
