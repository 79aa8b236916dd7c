"""Fetch and authorize in one step. What belongs to another centre is reported exactly like
something missing, so that declarations and acts cannot be probed."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from jamana.civil.models import BirthAct, BirthDeclaration, RegistryCentre
from jamana.core.errors import NotFound
from jamana.identity.models import Account
from jamana.identity.queries import has_permission


def access_centre_for_agent(account: Account, centre: RegistryCentre, permission: str) -> None:
    """``account`` holds ``permission`` in ``centre`` (within its jurisdiction), else 404."""
    if not has_permission(account, permission, centre.organisation, centre.commune):
        raise NotFound("not_found", _("Nothing with this reference here."))


def access_declaration_for_agent(
    account: Account, reference: str, permission: str
) -> BirthDeclaration:
    declaration = (
        BirthDeclaration.objects.select_related(
            "centre", "centre__organisation", "birth_commune", "father", "mother"
        )
        .filter(reference=reference)
        .first()
    )
    if declaration is None:
        raise NotFound("declaration_not_found", _("No declaration with this reference."))
    access_centre_for_agent(account, declaration.centre, permission)
    return declaration


def access_act_for_agent(account: Account, act_id: int, permission: str) -> BirthAct:
    act = (
        BirthAct.objects.select_related("centre", "centre__organisation", "person", "birth_commune")
        .filter(pk=act_id)
        .first()
    )
    if act is None:
        raise NotFound("act_not_found", _("No birth act with this number."))
    access_centre_for_agent(account, act.centre, permission)
    return act


def may_request_certificate(account: Account, act: BirthAct, today: dt.date) -> bool:
    """The person the act is about, or a parent named on it while the child is a minor."""
    person_id = account.person_id
    if person_id is None:
        return False
    if act.person_id == person_id or act.person.merged_into_id == person_id:
        return True
    born = act.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return person_id in (act.father_id, act.mother_id) and age < 18


def access_own_act(account: Account, act_id: int, today: dt.date) -> BirthAct:
    act = (
        BirthAct.objects.select_related("centre", "centre__organisation", "person", "birth_commune")
        .filter(pk=act_id)
        .first()
    )
    if act is None or not may_request_certificate(account, act, today):
        raise NotFound("act_not_found", _("No birth act with this number."))
    return act
