"""Importing acts typed from an old paper register: a good file lands whole, with each date as
precise as the register; a file with any bad row, a file already imported, or a database error
half-way leaves nothing behind; spelling variants of known persons are queued for the
registrar, never merged."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jamana.audit.models import AuditEvent
from jamana.civil import imports
from jamana.civil.actions import RegisterEntry, do_record_register_act, find_duplicates
from jamana.civil.imports import (
    PartialDate,
    check_import_register,
    describe_error,
    parse_birth_date,
    read_register,
    validate_rows,
)
from jamana.civil.models import (
    ActSource,
    BirthAct,
    DuplicateCandidate,
    DuplicateStatus,
    ImportStatus,
    RegisterImport,
)
from jamana.core.errors import NotFound
from jamana.core.geography import find_area
from jamana.core.names import (
    NAME_MATCH_THRESHOLD,
    PROBABLE_DUPLICATE_THRESHOLD,
    NameRecord,
    generate_variant,
    match_score,
    name_similarity,
    normalize_name,
    phonetic_key,
)
from jamana.identity.actions import do_register_person
from jamana.identity.models import Person
from jamana.procedures.demo import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES


@pytest.fixture(autouse=True)
def english():
    """The report's wording is checked in English (the catalogue's source language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


HEADER = list(imports.COLUMNS)
REGISTRAR_PHONE = "+22376000051"


def _row(**values: str) -> dict[str, str]:
    row = {
        "year": "1985",
        "number": "1",
        "drawn_up_on": "1985-04-20",
        "given_names": "Awa",
        "family_name": "Traoré",
        "sex": "F",
        "birth_date": "1985-04-12",
        "birth_place": "Maternité de Hamdallaye",
        "birth_commune": "ML-00-03",
        "father_name": "Bakary Traoré",
        "mother_name": "Mariam Diarra",
        "father_profession": "Cultivateur",
        "mother_profession": "Ménagère",
        "father_domicile": "Badialan I",
        "mother_domicile": "Badialan I",
        "declarant_name": "Bakary Traoré",
        "officer_name": "Modibo Sidibé",
    }
    row.update(values)
    return row


def _csv(
    rows: list[dict[str, str]], *, sep: str = ",", bom: bool = False, eol: str = "\n"
) -> bytes:
    out = io.StringIO()
    out.write(sep.join(HEADER) + eol)
    for row in rows:
        out.write(sep.join(_quoted(row.get(column, ""), sep) for column in HEADER) + eol)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def _quoted(value: str, sep: str) -> str:
    return f'"{value}"' if sep in value or '"' in value else value


def _import(centre, data: bytes, actor=None, **kwargs) -> RegisterImport:
    return check_import_register(
        centre=centre, file_name="registre-1985.csv", data=data, actor=actor, **kwargs
    )


def _codes(record: RegisterImport) -> list[tuple[int | None, str, str]]:
    return [(error["line"], error["column"], error["code"]) for error in record.errors]


# ---------------------------------------------------------------- a good file


@pytest.mark.django_db
def test_good_register_imports_every_act_with_its_date_precision(bamako_centre, registrar):
    data = _csv(
        [
            _row(number="1", given_names="Awa", birth_date="1985-04-12"),
            _row(number="2", given_names="Oumar", sex="M", birth_date="03/04/1985"),
            _row(number="3", given_names="Sitan", birth_date="02/1985", birth_commune=""),
            _row(
                number="4",
                given_names="Rokia",
                birth_date="1985",
                birth_commune="Bamako Commune II",
            ),
            _row(number="5", given_names="Seydou", sex="masculin", birth_date="vers 1985"),
            _row(number="6", given_names="Tenin", birth_date="~1984"),
        ]
    )
    calls: list[tuple[str, int, int]] = []

    record = _import(
        bamako_centre, data, actor=registrar, progress=lambda *call: calls.append(call)
    )

    assert record.status == ImportStatus.IMPORTED, record.errors
    assert (record.rows, record.imported, record.errors) == (6, 6, [])
    acts = {act.number: act for act in BirthAct.objects.filter(register_import=record)}
    assert sorted(acts) == [1, 2, 3, 4, 5, 6]
    assert [(acts[n].birth_date, acts[n].birth_date_precision) for n in sorted(acts)] == [
        (dt.date(1985, 4, 12), "day"),
        (dt.date(1985, 4, 3), "day"),
        (dt.date(1985, 2, 1), "month"),
        (dt.date(1985, 1, 1), "year"),
        (dt.date(1985, 1, 1), "about"),
        (dt.date(1984, 1, 1), "about"),
    ]
    awa = acts[1]
    assert (awa.year, awa.drawn_up_on, awa.source) == (1985, dt.date(1985, 4, 20), "register")
    assert (awa.mother_name, awa.father_profession, awa.officer_name) == (
        "Mariam Diarra",
        "Cultivateur",
        "Modibo Sidibé",
    )
    assert awa.recorded_by == registrar
    assert acts[4].birth_commune == find_area("ML-00-02")
    # No commune in the register: the act says the centre's, the person record says nothing.
    assert acts[3].birth_commune == bamako_centre.commune
    assert acts[3].person.birth_commune is None
    assert acts[5].child_sex == "M"
    seydou = acts[5].person
    assert (seydou.full_name, seydou.birth_date_precision, seydou.family_key) == (
        "Seydou Traoré",
        "about",
        "trr",
    )
    assert seydou.mother_name == "Mariam Diarra"
    # Register rows are all the same family: the search ran, and found no probable duplicate.
    assert record.duplicates_found == 0
    event = AuditEvent.objects.get(action="civil.register_imported")
    assert event.actor == registrar
    assert event.detail["imported"] == 6 and event.detail["rows"] == 6
    assert {step for step, _done, _total in calls} == {"check", "match", "write"}
    assert calls[-1] == ("write", 6, 6)


@pytest.mark.django_db
def test_semicolon_file_with_bom_crlf_and_quoted_fields_is_read(bamako_centre):
    place = "Quartier Missira; chez le chef de quartier"
    data = _csv([_row(birth_place=place)], sep=";", bom=True, eol="\r\n")

    record = _import(bamako_centre, data)

    assert record.status == ImportStatus.IMPORTED, record.errors
    assert BirthAct.objects.get(register_import=record).birth_place == place


def test_birth_dates_are_read_as_precisely_as_the_register_gives_them():
    day, month, year, about = "day", "month", "year", "about"
    assert parse_birth_date("1962-03-04") == PartialDate(dt.date(1962, 3, 4), day)
    assert parse_birth_date("4/3/1962") == PartialDate(dt.date(1962, 3, 4), day)
    assert parse_birth_date("03/1962") == PartialDate(dt.date(1962, 3, 1), month)
    assert parse_birth_date("1962") == PartialDate(dt.date(1962, 1, 1), year)
    assert parse_birth_date("Vers  1962") == PartialDate(dt.date(1962, 1, 1), about)
    assert parse_birth_date("~ 1962") == PartialDate(dt.date(1962, 1, 1), about)
    for impossible in ("31/02/1962", "13/1962", "1962-13-01", "62", "mars 1962", "1962/03/04"):
        assert parse_birth_date(impossible) is None, impossible


@pytest.mark.django_db
def test_the_documented_example_imports(bamako_centre):
    doc = (Path(settings.BASE_DIR) / "docs" / "civil" / "register-import.md").read_text()
    example = doc.split("### Example", 1)[1].split("```", 2)[1]

    record = _import(bamako_centre, example.strip().encode())

    assert (record.status, record.imported) == (ImportStatus.IMPORTED, 3), record.errors
    assert BirthAct.objects.get(number=3).birth_date_precision == "about"


# ---------------------------------------------------------------- refused files


@pytest.mark.django_db
def test_every_bad_row_is_reported_and_nothing_is_imported(bamako_centre, registrar):
    do_record_register_act(
        centre=bamako_centre,
        facts=validate_rows(read_register(_csv([_row(number="7")])), today=dt.date.today())
        .rows[0]
        .facts,
        entry=RegisterEntry(year=1985, number=7, drawn_up_on=dt.date(1985, 4, 20)),
    )
    persons_before = Person.objects.count()
    data = _csv(
        [
            _row(number="1"),  # line 2: fine
            _row(number="2", birth_date="31/02/1985"),  # line 3
            _row(number="3", given_names="", family_name="  "),  # line 4
            _row(number="1"),  # line 5: number already on line 2
            _row(number="7"),  # line 6: already in the register
            _row(number="8", birth_date="1985-05-01"),  # line 7: born after the act
            _row(number="9", year="1984"),  # line 8: not the year of drawn_up_on
            _row(number="10", sex="X", drawn_up_on="2999-01-01", year="2999"),  # line 9
            _row(number="0"),  # line 10
            _row(number="11", birth_commune="Atlantis"),  # line 11
            _row(number="12", birth_commune="Benkadi"),  # line 12: eight communes
            _row(number="13", birth_date="vers 85"),  # line 13
        ]
    )

    record = _import(bamako_centre, data, actor=registrar)

    assert record.status == ImportStatus.REFUSED
    assert (record.rows, record.imported) == (12, 0)
    assert _codes(record) == [
        (3, "birth_date", "invalid_birth_date"),
        (4, "given_names", "required"),
        (4, "family_name", "required"),
        (5, "number", "repeated_in_file"),
        (6, "number", "number_taken"),
        (7, "birth_date", "birth_after_act"),
        (8, "year", "year_mismatch"),
        (9, "drawn_up_on", "date_in_future"),
        (9, "sex", "invalid_sex"),
        (10, "number", "not_a_number"),
        (11, "birth_commune", "unknown_commune"),
        (12, "birth_commune", "ambiguous_commune"),
        (13, "birth_date", "invalid_birth_date"),
    ]
    assert describe_error(record.errors[3]) == "Act no. 1 of 1985 is already on line 2."
    assert describe_error(record.errors[5]) == (
        "The birth (01/05/1985) is after the act was drawn up (20/04/1985)."
    )
    assert BirthAct.objects.filter(centre=bamako_centre).count() == 1  # the one from before
    assert Person.objects.count() == persons_before
    assert RegisterImport.objects.get() == record
    event = AuditEvent.objects.get(action="civil.register_import_refused")
    assert event.detail["errors"] == 13


@pytest.mark.django_db
def test_a_file_with_an_unknown_column_is_refused_as_a_whole(bamako_centre):
    data = _csv([_row()]).replace(b"mother_name", b"mother_nam", 1)

    record = _import(bamako_centre, data)

    assert record.status == ImportStatus.REFUSED
    assert _codes(record) == [(None, "", "unknown_columns")]
    assert "mother_nam" in describe_error(record.errors[0])
    assert not BirthAct.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_with_its_line(bamako_centre):
    data = _csv([_row(), _row(number="2")]).replace(
        "Ménagère".encode(), "Ménagère".encode("latin-1")
    )

    record = _import(bamako_centre, data)

    assert _codes(record) == [(2, "", "not_utf8")]


@pytest.mark.django_db
def test_the_same_file_twice_is_refused_as_already_imported(bamako_centre):
    data = _csv([_row(number="1"), _row(number="2", given_names="Oumou")])
    first = _import(bamako_centre, data)

    second = _import(bamako_centre, data)

    assert first.status == ImportStatus.IMPORTED
    assert second.status == ImportStatus.REFUSED
    assert _codes(second) == [(None, "", "already_imported")]
    assert f"(import no. {first.pk})" in describe_error(second.errors[0])
    assert BirthAct.objects.count() == 2


@pytest.mark.django_db
def test_database_failure_mid_file_leaves_nothing_imported(bamako_centre, monkeypatch):
    # Act 5 of 1985 is drawn up after the file was checked: the register's unique number
    # makes the third chunk of two rows fail, after two chunks were written.
    rows = [
        _row(number=str(n), given_names=name)
        for n, name in enumerate(["Awa", "Oumou", "Hawa", "Sitan", "Nana", "Rokia"], start=1)
    ]
    first = validate_rows(read_register(_csv(rows)), today=dt.date.today()).rows[0]
    do_record_register_act(
        centre=bamako_centre,
        facts=first.facts,
        entry=RegisterEntry(year=1985, number=5, drawn_up_on=dt.date(1985, 4, 20)),
    )
    persons_before = Person.objects.count()
    monkeypatch.setattr(imports, "_taken_numbers", lambda centre, years: set())
    written: list[int] = []

    record = _import(
        bamako_centre,
        _csv(rows),
        batch_size=2,
        progress=lambda step, done, total: written.append(done) if step == "write" else None,
    )

    assert written == [2, 4]  # two chunks went in before the failure
    assert record.status == ImportStatus.REFUSED
    assert _codes(record) == [(6, "", "write_failed")]
    assert record.errors[0]["params"]["last"] == 7
    assert "lines 6 to 7" in describe_error(record.errors[0])
    assert BirthAct.objects.count() == 1
    assert Person.objects.count() == persons_before
    assert not DuplicateCandidate.objects.exists()
    assert RegisterImport.objects.get().status == ImportStatus.REFUSED
    assert AuditEvent.objects.filter(action="civil.register_import_refused").count() == 1
    assert not AuditEvent.objects.filter(action="civil.register_imported").exists()


@pytest.mark.django_db
def test_dry_run_checks_and_counts_but_writes_nothing(bamako_centre, registrar):
    record = _import(bamako_centre, _csv([_row(number="1"), _row(number="2")]), dry_run=True)

    assert (record.status, record.imported, record.pk) == (ImportStatus.IMPORTED, 2, None)
    assert not BirthAct.objects.exists()
    assert not RegisterImport.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="civil.register_import").exists()


@pytest.mark.django_db
def test_registrar_of_another_centre_cannot_import(bamako_centre, kati_registrar):
    with pytest.raises(NotFound):
        _import(bamako_centre, _csv([_row()]), actor=kati_registrar)
    assert not RegisterImport.objects.exists()


# ---------------------------------------------------------------- probable duplicates


def _known_persons() -> dict[str, Person]:
    return {
        "fatoumata": do_register_person(
            given_names="Fatoumata",
            family_name="Keïta",
            sex="F",
            birth_date=dt.date(1985, 4, 12),
            father_name="Bakary Keïta",
            mother_name="Awa Traoré",
        ),
        "moussa": do_register_person(
            given_names="Moussa",
            family_name="Coulibaly",
            sex="M",
            birth_date=dt.date(1979, 11, 2),
            mother_name="Mariam Diarra",
        ),
    }


def _register_with_variants() -> bytes:
    keita = {"father_name": "Bakary Keita", "mother_name": "Awa Traore"}
    return _csv(
        [
            # Line 2: Fatoumata Keïta, without the diaeresis.
            _row(number="1", given_names="Fatoumata", family_name="Keita", **keita),
            # Line 3: her twin sister: same parents and day, another person.
            _row(number="2", given_names="Aminata", family_name="Keita", **keita),
            # Line 4: Moussa Coulibaly in Bambara spelling, registered late.
            _row(
                year="1981",
                number="3",
                drawn_up_on="1981-01-15",
                given_names="Musa",
                family_name="Kulibali",
                sex="M",
                birth_date="02/11/1979",
                father_name="",
                mother_name="Mariam Jara",
            ),
            # Lines 5 and 6: one boy entered twice in the same register.
            _row(number="4", given_names="Oumar", family_name="Traoré", sex="M"),
            _row(number="5", given_names="Oumar", family_name="Tarawele", sex="M"),
            # Line 7: a namesake of Moussa Coulibaly ten years younger.
            _row(
                year="1989",
                number="6",
                drawn_up_on="1989-11-20",
                given_names="Moussa",
                family_name="Coulibaly",
                sex="M",
                birth_date="1989-11-02",
                mother_name="Mariam Diarra",
            ),
        ]
    )


@pytest.mark.django_db
def test_spelling_variants_of_known_persons_are_queued_never_merged(bamako_centre, registrar):
    known = _known_persons()

    record = _import(bamako_centre, _register_with_variants(), actor=registrar)

    assert record.status == ImportStatus.IMPORTED, record.errors
    acts = {act.number: act for act in BirthAct.objects.filter(register_import=record)}
    pairs = {
        (candidate.person_id, candidate.existing_id): candidate
        for candidate in DuplicateCandidate.objects.filter(register_import=record)
    }
    assert set(pairs) == {
        (acts[1].person_id, known["fatoumata"].pk),
        (acts[3].person_id, known["moussa"].pk),
        (acts[5].person_id, acts[4].person_id),
    }
    assert record.duplicates_found == 3
    for candidate in pairs.values():
        assert candidate.status == DuplicateStatus.OPEN
        assert candidate.centre == bamako_centre
        assert candidate.score >= PROBABLE_DUPLICATE_THRESHOLD
    assert "family_name_variant" in pairs[(acts[3].person_id, known["moussa"].pk)].reasons
    # Nothing merged: every act keeps its own new person; no record points at another.
    assert len({act.person_id for act in acts.values()}) == 6
    assert not Person.objects.filter(merged_into__isnull=False).exists()
    assert not BirthAct.objects.filter(person__in=known.values()).exists()


@pytest.mark.django_db
def test_duplicate_search_finds_what_find_duplicates_finds(bamako_centre):
    _known_persons()
    record = _import(bamako_centre, _register_with_variants())
    imported = Person.objects.filter(birth_acts__register_import=record)

    by_import = {
        frozenset((c.person_id, c.existing_id))
        for c in DuplicateCandidate.objects.filter(register_import=record)
    }
    one_by_one = {
        frozenset((c.person_id, c.existing_id))
        for person in imported
        for c in find_duplicates(person, centre=bamako_centre)
    }

    assert by_import == one_by_one


def test_pairs_skipped_before_scoring_could_not_be_probable_duplicates():
    """The import only scores pairs whose names may match and whose full dates are at most a
    year apart; this holds match_score to what makes that safe."""
    best = NameRecord(
        given_names="Fatoumata",
        family_name="Keïta",
        birth_date=dt.date(1985, 4, 12),
        sex="F",
        father_name="Bakary Keïta",
        mother_name="Awa Traoré",
    )

    def with_(**changes) -> NameRecord:
        fields = {**best.__dict__, **changes}
        return NameRecord(**fields)

    assert match_score(best, best).is_probable_duplicate
    for other in (
        with_(birth_date=best.birth_date + dt.timedelta(days=367)),
        with_(birth_date=best.birth_date - dt.timedelta(days=367)),
        with_(given_names="Aminata"),
        with_(family_name="Konaté"),
    ):
        assert match_score(best, other).score < PROBABLE_DUPLICATE_THRESHOLD, other


def test_name_filter_asks_name_similarity_whenever_it_could_say_same_name():
    rng = random.Random(11)
    singles = FEMALE_NAMES + MALE_NAMES + FAMILY_NAMES + ["Kané", "Sissako", "Tangana"]
    names = [
        *singles,
        *(generate_variant(rng.choice(singles), rng) for _ in range(80)),
        *(f"{rng.choice(FEMALE_NAMES)} {rng.choice(FEMALE_NAMES)}" for _ in range(20)),
        "Abdoul Karim",
        "Abdoulkarim",
        "Fatoumatou",  # a letter added to a long name
        "Korotoumo",
    ]
    normalized = sorted({normalize_name(name) for name in names} - {""})
    for i, a in enumerate(normalized):
        for b in normalized[i + 1 :]:
            same = name_similarity(a, b) >= NAME_MATCH_THRESHOLD
            shared = bool(set(phonetic_key(a).split()) & set(phonetic_key(b).split()))
            assert imports.names_may_match(a, b, partial=False) == same, (a, b)
            assert imports.names_may_match(a, b, partial=True) == (same or shared), (a, b)


# ---------------------------------------------------------------- one path, two writers


@pytest.mark.django_db
def test_bulk_import_writes_what_do_record_register_act_writes(
    bamako_centre, kati_centre, registrar
):
    data = _csv(
        [_row(birth_date="02/1985", given_names=" Awa  Djénéba", mother_name="Mariam  Diarra")]
    )
    row = validate_rows(read_register(data), today=dt.date.today()).rows[0]
    record = _import(bamako_centre, data, actor=registrar)
    bulk = BirthAct.objects.get(register_import=record)

    single = do_record_register_act(
        centre=kati_centre, facts=row.facts, entry=row.entry, actor=registrar
    )

    def fields(instance, *skip: str) -> dict[str, object]:
        return {
            f.attname: getattr(instance, f.attname)
            for f in type(instance)._meta.concrete_fields
            if f.attname not in ("id", *skip)
        }

    skip = ("centre_id", "person_id", "register_import_id", "recorded_at")
    assert fields(bulk, *skip) == fields(single, *skip)
    assert fields(bulk.person, "created_at") == fields(single.person, "created_at")
    assert bulk.source == ActSource.REGISTER


# ---------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_imports_and_reports_counts(bamako_centre, registrar, tmp_path):
    _known_persons()
    path = tmp_path / "registre-1985.csv"
    path.write_bytes(_register_with_variants())
    out = io.StringIO()

    call_command(
        "import_birth_register",
        str(path),
        "--centre",
        "ML-CEC-BKO-C3",
        "--by",
        REGISTRAR_PHONE,
        "--language",
        "en",
        stdout=out,
        stderr=io.StringIO(),
    )

    text = out.getvalue()
    assert "File: registre-1985.csv (SHA-256 " in text
    assert "Rows read: 6" in text
    assert "6 acts imported." in text
    assert "3 probable duplicates queued for the registrar" in text
    assert RegisterImport.objects.get().run_by == registrar


@pytest.mark.django_db
def test_command_lists_refused_rows_with_line_and_reason(bamako_centre, tmp_path):
    path = tmp_path / "registre.csv"
    path.write_bytes(_csv([_row(number="1"), _row(number="1", birth_date="31/02/1985")]))
    out = io.StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_birth_register",
            str(path),
            "--centre=ML-CEC-BKO-C3",
            "--language=en",
            stdout=out,
            stderr=io.StringIO(),
        )

    text = out.getvalue()
    assert "Refused: nothing was imported. 2 problems:" in text
    assert (
        "line 3, birth_date: “31/02/1985” is not a date: write YYYY-MM-DD, DD/MM/YYYY, "
        "MM/YYYY, YYYY or “vers YYYY”." in text
    )
    assert "line 3, number: Act no. 1 of 1985 is already on line 2." in text
    assert not BirthAct.objects.exists()


@pytest.mark.django_db
def test_command_refuses_an_unknown_centre(geography, tmp_path):
    path = tmp_path / "registre.csv"
    path.write_bytes(_csv([_row()]))

    with pytest.raises(CommandError, match="ML-CEC-NOWHERE"):
        call_command("import_birth_register", str(path), "--centre=ML-CEC-NOWHERE")
    assert not RegisterImport.objects.exists()
