"""Reads of the état civil. Agents see only their centres' declarations and acts; opening a
person's act records an access event that the person sees."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from jamana.audit.actions import record_access
from jamana.civil.access import access_act_for_agent, may_request_certificate
from jamana.civil.models import (
    BirthAct,
    BirthDeclaration,
    DeclarationStatus,
    DuplicateCandidate,
    DuplicateStatus,
    RegistryCentre,
)
from jamana.identity.models import Account, Organisation, Person
from jamana.identity.permissions import DECLARE_BIRTH, DRAW_UP_ACT
from jamana.identity.queries import agent_organisations, person_and_merged_ids


def agent_centres(account: Account, permission: str = DRAW_UP_ACT) -> list[RegistryCentre]:
    """Registry centres where ``account`` holds ``permission``."""
    organisations = agent_organisations(account, permission)
    return list(
        RegistryCentre.objects.filter(organisation__in=organisations).select_related(
            "organisation", "commune"
        )
    )


def list_centre_queue(account: Account) -> QuerySet[BirthDeclaration]:
    """Pending declarations of the centres where the agent draws up acts, oldest first."""
    centres = agent_centres(account, DRAW_UP_ACT)
    return (
        BirthDeclaration.objects.filter(centre__in=centres, status=DeclarationStatus.PENDING)
        .select_related("centre", "centre__organisation", "birth_commune")
        .order_by("created_at", "pk")
    )


def list_counter_centres(account: Account) -> list[RegistryCentre]:
    return agent_centres(account, DECLARE_BIRTH)


def list_duplicate_queue(account: Account) -> QuerySet[DuplicateCandidate]:
    centres = agent_centres(account, DRAW_UP_ACT)
    return (
        DuplicateCandidate.objects.filter(centre__in=centres, status=DuplicateStatus.OPEN)
        .select_related("person", "existing", "centre__organisation")
        .order_by("-score", "pk")
    )


def get_act_for_agent(
    account: Account, act_id: int, *, purpose: str, permission: str = DRAW_UP_ACT
) -> BirthAct:
    """An agent of the act's centre opens it: recorded as a read of the person's data."""
    act = access_act_for_agent(account, act_id, permission)
    record_access(
        person=act.person,
        object_type="birth_act",
        object_ref=f"{act.centre.organisation.code}/{act.year}/{act.number}",
        purpose=purpose,
        actor=account,
        organisation=act.centre.organisation,
    )
    return act


def find_acts_for_agent(
    account: Account,
    centre: RegistryCentre,
    *,
    year: int | None = None,
    number: int | None = None,
    name: str = "",
) -> QuerySet[BirthAct]:
    """Search a centre's register by number or by name (the caller records the access when
    an act is opened)."""
    acts = BirthAct.objects.filter(centre=centre).select_related("centre__organisation")
    if year is not None:
        acts = acts.filter(year=year)
    if number is not None:
        acts = acts.filter(number=number)
    for word in name.split():
        acts = acts.filter(
            Q(child_given_names__icontains=word) | Q(child_family_name__icontains=word)
        )
    return acts.order_by("-year", "-number")


def list_my_acts(account: Account, today: dt.date) -> list[BirthAct]:
    """The acts a signed-in person may ask certificates of: their own, and their minor
    children's. Their own data: no access event."""
    if account.person_id is None:
        return []
    person_id = account.person_id
    candidates = (
        BirthAct.objects.filter(
            Q(person_id__in=person_and_merged_ids(account.person))
            | Q(father_id=person_id)
            | Q(mother_id=person_id)
        )
        .select_related("centre__organisation", "person", "birth_commune")
        .order_by("-birth_date")
    )
    return [act for act in candidates if may_request_certificate(account, act, today)]


def list_my_declarations(account: Account) -> QuerySet[BirthDeclaration]:
    return (
        BirthDeclaration.objects.filter(submitted_by=account)
        .select_related("centre__organisation")
        .order_by("-created_at")
    )


def get_birth_act_of_person(
    person: Person, *, actor: Account | None, organisation: Organisation, purpose: str
) -> BirthAct | None:
    """Another administration reads a person's birth act instead of asking them for a paper
    ("tell us once"): the read is recorded and shown to the person."""
    act = (
        BirthAct.objects.filter(person_id__in=person_and_merged_ids(person))
        .select_related("centre__organisation", "birth_commune")
        .order_by("drawn_up_on", "pk")
        .first()
    )
    if act is not None:
        record_access(
            person=person,
            object_type="birth_act",
            object_ref=f"{act.centre.organisation.code}/{act.year}/{act.number}",
            purpose=purpose,
            actor=actor,
            organisation=organisation,
        )
    return act
