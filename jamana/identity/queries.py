"""Reads of identity data. Reading a person's data as an agent goes through
``get_person_for_agent``, which records the access the person will see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access
from jamana.core.errors import JamanaError, NotFound, PermissionDenied
from jamana.core.models import AdminArea
from jamana.identity.models import Account, Agent, IdentifierKind, Organisation, Person
from jamana.identity.nina import is_valid_identifier, normalize_identifier
from jamana.identity.permissions import ROLE_PERMISSIONS, VIEW_PERSON


def list_agent_roles(account: Account) -> QuerySet[Agent]:
    return Agent.objects.filter(account=account, is_active=True).select_related(
        "organisation", "jurisdiction"
    )


def is_agent(account: Account) -> bool:
    return account.is_authenticated and list_agent_roles(account).exists()


def agent_organisations(account: Account, permission: str) -> list[Organisation]:
    """Organisations where one of the account's roles grants ``permission``, each once."""
    found = {
        agent.organisation_id: agent.organisation
        for agent in list_agent_roles(account)
        if permission in ROLE_PERMISSIONS.get(agent.role, frozenset())
    }
    return list(found.values())


def has_permission(
    account: Account, permission: str, organisation: Organisation, area: AdminArea | None = None
) -> bool:
    """True if one of the account's roles in ``organisation`` grants ``permission`` and its
    jurisdiction covers ``area`` (an agent limited to a cercle cannot act on another cercle)."""
    for agent in list_agent_roles(account).filter(organisation=organisation):
        if permission not in ROLE_PERMISSIONS.get(agent.role, frozenset()):
            continue
        if area is None or agent.jurisdiction is None or agent.jurisdiction.contains(area):
            return True
    return False


def require_permission(
    account: Account, permission: str, organisation: Organisation, area: AdminArea | None = None
) -> None:
    if not has_permission(account, permission, organisation, area):
        raise PermissionDenied("permission_denied", _("Your role does not allow this action here."))


def get_person_for_agent(
    *, account: Account, organisation: Organisation, person_id: int, purpose: str
) -> Person:
    """An agent opens a person's record: checked, then recorded as an access event."""
    require_permission(account, VIEW_PERSON, organisation)
    person = (
        Person.objects.select_related("birth_commune", "father", "mother")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise NotFound("person_not_found", _("No such person."))
    record_access(
        person=person,
        actor=account,
        organisation=organisation,
        object_type="person",
        object_ref=str(person.pk),
        purpose=purpose,
    )
    return person


def find_person_by_nina_for_agent(
    *, account: Account, organisation: Organisation, nina: str, purpose: str
) -> Person:
    value = normalize_identifier(nina)
    if not is_valid_identifier(IdentifierKind.NINA, value):
        raise JamanaError(
            "invalid_nina", _("A NINA is 14 digits followed by a letter, e.g. 12345678901234A.")
        )
    require_permission(account, VIEW_PERSON, organisation)
    person = Person.objects.filter(
        identifiers__kind=IdentifierKind.NINA, identifiers__value=value
    ).first()
    if person is None:
        raise NotFound("unknown_nina", _("No person is registered with this NINA."))
    return get_person_for_agent(
        account=account, organisation=organisation, person_id=person.pk, purpose=purpose
    )


def find_person_by_nina(nina: str) -> Person | None:
    """The person holding ``nina``, for linking records (a parent on a birth declaration):
    nothing of the person is shown to the caller, so no access event is recorded here."""
    value = normalize_identifier(nina)
    if not is_valid_identifier(IdentifierKind.NINA, value):
        return None
    return Person.objects.filter(
        identifiers__kind=IdentifierKind.NINA, identifiers__value=value
    ).first()


def nina_of(person: Person) -> str:
    """The person's NINA, or "" when none is registered."""
    identifier = person.identifiers.filter(kind=IdentifierKind.NINA).first()
    return identifier.value if identifier else ""


def get_own_person(account: Account) -> Person | None:
    """The signed-in citizen's own record (no access event: it is their own data)."""
    if account.person_id is None:
        return None
    return Person.objects.select_related("birth_commune").get(pk=account.person_id)


def list_identifiers(person: Person) -> list[tuple[str, str]]:
    return [(i.get_kind_display(), i.value) for i in person.identifiers.all()]


def search_persons_for_agent(
    *,
    account: Account,
    organisation: Organisation,
    given_names: str,
    family_name: str,
    birth_year: int | None = None,
    purpose: str,
    limit: int = 20,
) -> list[tuple[Person, float]]:
    """Find a person by identity when the NINA is unknown, tolerant of spelling variants
    (Keïta/Keita, Coulibaly/Kulibali…): candidates of the same family-name block, ranked by
    name similarity. Every person listed is a read the person will see."""
    from jamana.core.names import blocking_key, name_similarity

    require_permission(account, VIEW_PERSON, organisation)
    if not family_name.strip():
        raise JamanaError("family_name_required", _("Give at least the family name."))
    candidates = Person.objects.filter(
        family_key=blocking_key(family_name), merged_into__isnull=True
    ).select_related("birth_commune")
    if birth_year is not None:
        candidates = candidates.filter(birth_date__year__range=(birth_year - 2, birth_year + 2))
    scored = []
    for person in candidates[:2000]:
        score = name_similarity(family_name, person.family_name)
        if given_names.strip():
            score = (score + name_similarity(given_names, person.given_names)) / 2
        if score >= 0.8:
            scored.append((person, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].pk))
    found = scored[:limit]
    for person, _score in found:
        record_access(
            person=person,
            actor=account,
            organisation=organisation,
            object_type="person",
            object_ref=str(person.pk),
            purpose=purpose,
        )
    return found


def person_and_merged_ids(person: Person | None) -> list[int]:
    """The person's id and the ids of the records merged into it (a duplicate found later):
    what was recorded under either belongs to the person. Ids first, so that the caller's
    query uses its own ``person_id`` index instead of a join."""
    if person is None:
        return []
    return [person.pk, *Person.objects.filter(merged_into=person).values_list("pk", flat=True)]
