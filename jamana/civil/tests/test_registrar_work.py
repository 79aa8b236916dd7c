"""The registrar's day: counter declarations, transcribed judgments, the register, and the
duplicate queue where nothing is merged without a decision and a merge can be undone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jamana.audit.models import AccessEvent, AuditEvent
from jamana.civil.actions import (
    BirthFacts,
    CivilError,
    ParentInput,
    RegisterEntry,
    check_decide_duplicate,
    check_undo_merge,
    do_record_register_act,
)
from jamana.civil.models import (
    ActSource,
    BirthAct,
    BirthDeclaration,
    DeclarationChannel,
    DuplicateCandidate,
    DuplicateStatus,
)
from jamana.core.errors import NotFound
from jamana.identity.actions import do_register_person
from jamana.identity.models import Person

BACKEND = "jamana.identity.backends.AccountBackend"
pytestmark = pytest.mark.django_db


def _facts(**changes) -> BirthFacts:
    values = dict(
        child_given_names="Moussa",
        child_family_name="Coulibaly",
        child_sex="M",
        birth_date=dt.date(1998, 4, 17),
        birth_commune=None,
        birth_place="Bamako",
        father=ParentInput(name="Seydou Coulibaly"),
        mother=ParentInput(name="Awa Diarra"),
    )
    values.update(changes)
    return BirthFacts(**values)  # type: ignore[arg-type]


def _old_act(centre, registrar, number: int, **changes) -> BirthAct:
    facts = _facts(**changes)
    return do_record_register_act(
        centre=centre,
        facts=facts,
        entry=RegisterEntry(
            year=facts.birth_date.year,
            number=number,
            drawn_up_on=facts.birth_date + dt.timedelta(days=5),
            officer_name="Mamadou Sidibé",
        ),
        actor=registrar,
    )


def test_counter_declaration_lands_in_the_queue(client, registrar, bamako_centre):
    client.force_login(registrar, backend=BACKEND)
    born = timezone.localdate() - dt.timedelta(days=2)
    page = client.post(
        "/civil/agent/declare/",
        {
            "centre": bamako_centre.pk,
            "child_given_names": "Bintou",
            "child_family_name": "Sangaré",
            "child_sex": "F",
            "birth_date": born.isoformat(),
            "birth_place": "Maternité de Badialan",
            "father_name": "",
            "mother_name": "Ramata Sangaré",
            "declarant_role": "health_worker",
            "declarant_name": "Oumou Traoré, sage-femme",
            "declarant_phone": "76 00 00 99",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    declaration = BirthDeclaration.objects.get()
    assert declaration.channel == DeclarationChannel.COUNTER
    assert declaration.declarant_phone == "+22376000099"
    assert "Bintou Sangaré" in client.get("/civil/agent/").content.decode()


def test_judgment_is_transcribed_into_an_act(client, registrar, bamako_centre):
    client.force_login(registrar, backend=BACKEND)
    page = client.post(
        "/civil/agent/judgment/",
        {
            "centre": bamako_centre.pk,
            "child_given_names": "Adama",
            "child_family_name": "Traoré",
            "child_sex": "M",
            "birth_date": "2015-06-01",
            "birth_place": "Kalaban Coura",
            "mother_name": "Sitan Koné",
            "court": "Tribunal de grande instance de la Commune III",
            "judgment_date": (timezone.localdate() - dt.timedelta(days=10)).isoformat(),
            "judgment_number": "JS-2026-1234",
            "declarant_role": "",
            "declarant_name": "",
            "declarant_phone": "",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    act = BirthAct.objects.get()
    assert act.source == ActSource.JUDGMENT and act.judgment_number == "JS-2026-1234"
    assert act.person.given_names == "Adama"
    html = client.get(f"/civil/agent/acts/{act.pk}/").content.decode()
    assert "JS-2026-1234" in html


def test_register_search_finds_an_act_and_opening_it_is_recorded(client, registrar, bamako_centre):
    act = _old_act(bamako_centre, registrar, 77)
    client.force_login(registrar, backend=BACKEND)
    found = client.get(
        "/civil/agent/acts/", {"centre": bamako_centre.pk, "year": 1998, "number": 77}
    ).content.decode()
    assert f"/civil/agent/acts/{act.pk}/" in found
    client.get(f"/civil/agent/acts/{act.pk}/")
    assert AccessEvent.objects.filter(person=act.person, actor=registrar).exists()


def test_probable_duplicates_are_queued_never_merged_and_a_merge_can_be_undone(
    client, registrar, bamako_centre, kati_registrar
):
    earlier = do_register_person(
        given_names="Moussa",
        family_name="Kulibali",
        sex="M",
        birth_date=dt.date(1998, 4, 17),
        father_name="Seydou Kulibali",
        mother_name="Awa Jara",
    )
    unrelated = do_register_person(
        given_names="Fanta", family_name="Coulibaly", sex="F", birth_date=dt.date(1998, 4, 17)
    )
    act = _old_act(bamako_centre, registrar, 12)
    from jamana.civil.actions import find_duplicates

    find_duplicates(act.person, centre=bamako_centre)
    candidate = DuplicateCandidate.objects.get()
    assert candidate.existing == earlier and candidate.person == act.person
    assert candidate.status == DuplicateStatus.OPEN
    assert unrelated.pk not in (candidate.existing_id, candidate.person_id)
    act.refresh_from_db()
    assert act.person_id != earlier.pk  # nothing merged by itself

    # Another centre's registrar can neither see nor decide it.
    with pytest.raises(NotFound):
        check_decide_duplicate(agent=kati_registrar, candidate_id=candidate.pk, same_person=True)

    client.force_login(registrar, backend=BACKEND)
    assert "Kulibali" in client.get("/civil/agent/duplicates/").content.decode()
    client.post("/civil/agent/duplicates/", {"candidate": candidate.pk, "decision": "same"})
    act.refresh_from_db()
    candidate.refresh_from_db()
    duplicate = Person.objects.get(pk=candidate.person_id)
    assert act.person_id == earlier.pk and duplicate.merged_into_id == earlier.pk
    assert candidate.status == DuplicateStatus.MERGED

    with pytest.raises(CivilError):
        check_undo_merge(agent=registrar, candidate_id=candidate.pk, reason=" ")
    check_undo_merge(
        agent=registrar, candidate_id=candidate.pk, reason="Homonymes, pères différents"
    )
    act.refresh_from_db()
    duplicate.refresh_from_db()
    assert act.person_id == duplicate.pk and duplicate.merged_into_id is None
    assert list(
        AuditEvent.objects.filter(action__startswith="civil.").values_list("action", flat=True)
    )[-2:] == ["civil.duplicate_decided", "civil.merge_undone"]


def test_twins_are_not_proposed_as_duplicates(registrar, bamako_centre):
    first = _old_act(bamako_centre, registrar, 1, child_given_names="Awa", child_sex="F")
    _old_act(bamako_centre, registrar, 2, child_given_names="Fatoumata", child_sex="F")
    from jamana.civil.actions import find_duplicates

    assert find_duplicates(first.person, centre=bamako_centre) == []


def test_outsiders_get_404_on_agent_pages(client, mother, bamako_centre):
    client.force_login(mother, backend=BACKEND)
    for url in (
        "/civil/agent/",
        "/civil/agent/declare/",
        "/civil/agent/judgment/",
        "/civil/agent/acts/",
        "/civil/agent/duplicates/",
    ):
        assert client.get(url).status_code == 404, url
