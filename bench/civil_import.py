"""Benchmark: importing a paper birth register (``civil.imports.check_import_register``).

Builds a throw-away instance (SQLite in a temp dir, WAL as in production, the geography), then:

1. **Duplicate quality.** 2,000 known persons are registered (``do_register_person``); a
   register file re-enters 1,000 of them as spelling variants (``names.generate_variant`` on
   given and family names, the same or a nearby birth date, sometimes only the year, parents'
   names varied or left out), adds 1,000 look-alikes that are other people (twins, namesakes
   born the same day or year to other parents, namesakes born years apart, family names one
   consonant away) and 3,000 unrelated acts. After the import: recall and precision of the
   queued duplicate candidates against the known pairs, per kind of variant and of
   look-alike; the baseline in the same run is a naive exact match on normalized names
   (with the same birth date, and names only), evaluated on the same pairs.
2. **Throughput.** 20,000 more existing persons, then a file of 100,000 acts with realistic
   Malian names and dates (some only "MM/YYYY", "YYYY", "vers YYYY"): acts per second of the
   whole import (read, check, duplicate search, write, commit) and of each step, CPU time and
   peak memory, the duplicate candidates it queued. Baselines in the same run, both rolled
   back: the floor (bulk_create of the same persons and acts, no check, no search) and the
   single-row path (``do_record_register_act`` + ``find_duplicates`` per act) on a sample.

    .venv/bin/python bench/civil_import.py                 # ~2-3 minutes on 2 cores
    .venv/bin/python bench/civil_import.py --rows 10000    # ~20 seconds
    .venv/bin/python bench/civil_import.py --help

Figures go to bench/results/civil_import.json (and stdout). No network; the temp dir is
removed on exit (``--keep-tmp`` keeps it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import cpu_model, git_state, version, write_atomically

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
FIRST_YEAR, LAST_YEAR = 1950, 2015

PLACES = [
    "Maternité de Hamdallaye",
    "CSRéf de la Commune III",
    "CSCom de Badalabougou",
    "Hôpital Gabriel Touré",
    "Hôpital du Point G",
    "Quartier Missira",
    "Quartier Bozola",
    "Niaréla, à domicile",
    "Bagadadji",
    "Médina Coura",
]
PROFESSIONS = [
    "Cultivateur",
    "Commerçant",
    "Ménagère",
    "Enseignant",
    "Chauffeur",
    "Tailleur",
    "Forgeron",
    "Infirmière",
    "Fonctionnaire",
    "Éleveur",
    "",
]
DOMICILES = [
    "Badialan I",
    "Badialan II",
    "Bagadadji",
    "Niaréla",
    "Bozola",
    "Missira",
    "Hippodrome",
    "Quinzambougou",
    "Dravéla",
    "Koulouba",
]
SHOWN = ("given_names", "family_name", "birth_date", "father_name", "mother_name")
BAMAKO_COMMUNES = [f"ML-00-0{n}" for n in range(1, 7)]
BAMAKO_COMMUNE_NAMES = [f"Bamako Commune {n}" for n in ("I", "II", "III", "IV", "V", "VI")]
# Family names a letter or two away from a demo family name: other families, not spellings
# (name_similarity below NAME_MATCH_THRESHOLD).
NEAR_FAMILIES = {
    "Koné": "Kané",
    "Konaté": "Kanté",
    "Kanté": "Konaté",
    "Diarra": "Diallo",
    "Diallo": "Diarra",
    "Sissoko": "Sissako",
    "Touré": "Traoré",
    "Traoré": "Touré",
    "Samaké": "Samassé",
    "Ballo": "Bello",
}


# --------------------------------------------------------------------------- environment


def machine_info() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "versions": {dist: version(dist) for dist in ("Django", "rapidfuzz")},
        "loadavg_start": list(os.getloadavg()),
    }


def setup_instance(tmp: Path) -> None:
    """Environment first, then Django, then a migrated database with the geography."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "jamana.config.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["JAMANA_KEY_DIR"] = str(tmp / "keys")
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    # DEBUG keeps every SQL query in memory (connection.queries).
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.core.management import call_command

    from jamana.core.geography import load_geography

    call_command("migrate", verbosity=0)
    load_geography()


def make_centre(code: str, name: str, commune: str) -> Any:
    from jamana.civil.actions import do_register_centre
    from jamana.civil.models import CentreKind
    from jamana.core.geography import find_area
    from jamana.identity.actions import do_create_organisation

    organisation = do_create_organisation(code=code, name=name, kind="civil_registry")
    return do_register_centre(
        organisation=organisation, kind=CentreKind.PRINCIPAL, commune=find_area(commune)
    )


def status_kib(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- people and rows


@dataclass
class Someone:
    given: str
    family: str
    sex: str
    born: dt.date
    precision: str = "day"
    father: str = ""
    mother: str = ""


@dataclass
class Line:
    """One act of a generated register, with what it is for the evaluation."""

    who: Someone
    birth_text: str
    kind: str  # variant:<how>, lookalike:<how>, filler
    source: int | None = None  # index of the known person it re-enters or resembles
    values: dict[str, str] = field(default_factory=dict)


class Generator:
    def __init__(self, seed: int) -> None:
        from jamana.procedures.demo import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES

        self.rng = random.Random(seed)
        self.families = FAMILY_NAMES
        self.given = {"F": FEMALE_NAMES, "M": MALE_NAMES}

    def given_names(self, sex: str) -> str:
        first = self.rng.choice(self.given[sex])
        if self.rng.random() < 0.15:  # Fatoumata Djénéba, Mamadou Seydou
            second = self.rng.choice(self.given[sex])
            if second != first:
                return f"{first} {second}"
        return first

    def parent(self, sex: str, family: str | None = None) -> str:
        return f"{self.rng.choice(self.given[sex])} {family or self.rng.choice(self.families)}"

    def someone(self, *, imprecise: float = 0.1) -> Someone:
        rng = self.rng
        sex = rng.choice("FM")
        family = rng.choice(self.families)
        born = dt.date(FIRST_YEAR, 1, 1) + dt.timedelta(
            days=rng.randrange((dt.date(LAST_YEAR, 12, 31) - dt.date(FIRST_YEAR, 1, 1)).days)
        )
        precision = "day"
        if rng.random() < imprecise:
            precision = rng.choice(["month", "year", "about"])
            born = born.replace(day=1) if precision == "month" else born.replace(month=1, day=1)
        return Someone(
            given=self.given_names(sex),
            family=family,
            sex=sex,
            born=born,
            precision=precision,
            father=self.parent("M", family) if rng.random() < 0.9 else "",
            mother=self.parent("F") if rng.random() < 0.9 else "",
        )

    def birth_text(self, who: Someone) -> str:
        if who.precision == "month":
            return who.born.strftime("%m/%Y")
        if who.precision == "year":
            return str(who.born.year)
        if who.precision == "about":
            return self.rng.choice(["vers ", "~"]) + str(who.born.year)
        return who.born.isoformat() if self.rng.random() < 0.5 else who.born.strftime("%d/%m/%Y")

    # A known person entered again, spelled differently.
    def variant(self, known: Someone) -> tuple[Someone, str]:
        rng = self.rng
        given = generate(known.given, rng) if rng.random() < 0.7 else known.given
        family = generate(known.family, rng)
        how = rng.choices(
            ["same_day", "day_typo", "day_month_swapped", "year_only", "about"],
            weights=[50, 20, 10, 10, 10],
        )[0]
        born, precision = known.born, "day"
        if known.precision != "day":
            how, born, precision = "imprecise_known", known.born, known.precision
        elif how == "day_typo":
            day = rng.choice([d for d in range(1, 29) if d != born.day])
            born = born.replace(day=day)
        elif how == "day_month_swapped":
            if born.day <= 12 and born.day != born.month:
                born = born.replace(month=born.day, day=born.month)
            else:
                how = "same_day"
        elif how == "year_only":
            born, precision = born.replace(month=1, day=1), "year"
        elif how == "about":
            born = dt.date(born.year + rng.choice([-1, 0, 1]), 1, 1)
            precision = "about"
        keep_parents = rng.random() < 0.7
        who = Someone(
            given=given,
            family=family,
            sex=known.sex,
            born=born,
            precision=precision,
            father=generate(known.father, rng) if keep_parents and known.father else "",
            mother=generate(known.mother, rng) if keep_parents and known.mother else "",
        )
        return who, how

    # Another person who resembles a known one.
    def lookalike(self, known: Someone) -> tuple[Someone, str]:
        rng = self.rng
        how = rng.choice(
            [
                "twin",
                "namesake_same_day",
                "namesake_same_year",
                "namesake_years_apart",
                "near_family",
            ]
        )
        who = Someone(
            given=known.given,
            family=known.family,
            sex=known.sex,
            born=known.born,
            precision=known.precision,
            father=self.parent("M", known.family),
            mother=self.parent("F"),
        )
        if how == "twin":
            # Same parents and day, a given name that is not a spelling of the sibling's.
            from jamana.core.names import phonetic_key

            theirs = set(phonetic_key(known.given).split())
            who.father, who.mother = known.father, known.mother
            who.given = rng.choice(
                [n for n in self.given[known.sex] if phonetic_key(n) not in theirs]
            )
        elif how == "namesake_same_year":
            month = (known.born.month + rng.randint(1, 10)) % 12 + 1
            who.born = known.born.replace(day=min(known.born.day, 28), month=month)
        elif how == "namesake_years_apart":
            apart = rng.choice([-1, 1]) * rng.randint(4, 12)
            if known.born.year + apart > LAST_YEAR:  # not born in the future
                apart = -apart
            who.born = known.born.replace(year=known.born.year + apart, day=min(known.born.day, 28))
        elif how == "near_family" and known.family in NEAR_FAMILIES:
            who.family = NEAR_FAMILIES[known.family]
            who.father = self.parent("M", who.family)
        elif how == "near_family":
            how = "namesake_same_day"
        while how != "twin" and who.father == known.father:
            who.father = self.parent("M", who.family)
        return who, how


def generate(name: str, rng: random.Random) -> str:
    from jamana.core.names import generate_variant

    return " ".join(generate_variant(name, rng).split())


def to_csv(lines: list[Line], rng: random.Random) -> bytes:
    """The register file: numbered from 1 in each year, in the order of the lines."""
    from jamana.civil.imports import COLUMNS

    numbers: Counter[int] = Counter()
    today = dt.date.today()
    out = io.StringIO()
    out.write(";".join(COLUMNS) + "\n")
    for line in lines:
        who = line.who
        if who.precision == "day":
            drawn_up_on = who.born + dt.timedelta(days=rng.randint(0, 30))
        else:  # a late registration: only the month or the year was known
            drawn_up_on = who.born + dt.timedelta(days=rng.randint(0, 12 * 365))
        drawn_up_on = min(drawn_up_on, today)
        numbers[drawn_up_on.year] += 1
        roll = rng.random()
        commune = (
            rng.choice(BAMAKO_COMMUNES)
            if roll < 0.7
            else rng.choice(BAMAKO_COMMUNE_NAMES)
            if roll < 0.9
            else ""
        )
        line.values = {
            "year": str(drawn_up_on.year),
            "number": str(numbers[drawn_up_on.year]),
            "drawn_up_on": drawn_up_on.strftime("%d/%m/%Y"),
            "given_names": who.given,
            "family_name": who.family,
            "sex": who.sex,
            "birth_date": line.birth_text,
            "birth_place": rng.choice(PLACES),
            "birth_commune": commune,
            "father_name": who.father,
            "mother_name": who.mother,
            "father_profession": rng.choice(PROFESSIONS) if who.father else "",
            "mother_profession": rng.choice(PROFESSIONS) if who.mother else "",
            "father_domicile": rng.choice(DOMICILES) if who.father else "",
            "mother_domicile": rng.choice(DOMICILES) if who.mother else "",
            "declarant_name": who.father or who.mother,
            "officer_name": "Modibo Sidibé",
        }
        out.write(";".join(line.values[column].replace(";", ",") for column in COLUMNS) + "\n")
    return out.getvalue().encode()


def bulk_persons(people: list[Someone]) -> list[int]:
    """Existing persons, as many as needed quickly (family_key set as Person.save does)."""
    from jamana.core.names import blocking_key
    from jamana.identity.models import Person

    created = Person.objects.bulk_create(
        [
            Person(
                given_names=p.given,
                family_name=p.family,
                sex=p.sex,
                birth_date=p.born,
                birth_date_precision=p.precision,
                father_name=p.father,
                mother_name=p.mother,
                family_key=blocking_key(p.family or p.given),
            )
            for p in people
        ],
        batch_size=2000,
    )
    return [int(p.pk) for p in created]


# --------------------------------------------------------------------------- 1. quality


@dataclass
class Confusion:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


def evaluate(
    pairs: set[tuple[int, int]], truth: dict[int, int], kinds: dict[int, str]
) -> dict[str, Any]:
    """``pairs``: (row, existing ref); ``truth``: row → known ref; kinds: row → kind."""
    overall = Confusion()
    by_kind: dict[str, Confusion] = {kind: Confusion() for kind in set(kinds.values())}
    for row, ref in pairs:
        hit = truth.get(row) == ref
        overall.true_positives += hit
        overall.false_positives += not hit
        by_kind[kinds[row]].true_positives += hit
        by_kind[kinds[row]].false_positives += not hit
    for row, ref in truth.items():
        if (row, ref) not in pairs:
            overall.false_negatives += 1
            by_kind[kinds[row]].false_negatives += 1
    return {
        "overall": overall.as_dict(),
        "by_kind": {kind: by_kind[kind].as_dict() for kind in sorted(by_kind)},
    }


def naive_pairs(
    known: list[tuple[int, Someone]], lines: list[Line], *, with_date: bool
) -> set[tuple[int, int]]:
    """Exact match on normalized given and family names and sex (and the stored birth date):
    each row against the known persons and the earlier rows. Known refs are their pks; rows
    are -1 - index, as in the import's search."""
    from jamana.core.names import normalize_name

    def key(who: Someone) -> tuple[Any, ...]:
        base = (normalize_name(who.given), normalize_name(who.family), who.sex)
        return (*base, who.born) if with_date else base

    index: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for pk, who in known:
        index[key(who)].append(pk)
    pairs: set[tuple[int, int]] = set()
    for row, line in enumerate(lines):
        k = key(line.who)
        pairs.update((row, ref) for ref in index[k])
        index[k].append(-1 - row)
    return pairs


def run_quality(opts: argparse.Namespace, registrar: Any, centre: Any) -> dict[str, Any]:
    from jamana.civil.imports import check_import_register
    from jamana.civil.models import BirthAct, DuplicateCandidate
    from jamana.identity.actions import do_register_person

    gen = Generator(opts.seed)
    print(f"Quality: registering {opts.known:,} known persons …", flush=True)
    known_people = [gen.someone(imprecise=0.15) for _ in range(opts.known)]
    known: list[tuple[int, Someone]] = []
    for who in known_people:
        person = do_register_person(
            given_names=who.given,
            family_name=who.family,
            sex=who.sex,
            birth_date=who.born,
            birth_date_precision=who.precision,
            father_name=who.father,
            mother_name=who.mother,
        )
        known.append((person.pk, who))
    sources = gen.rng.sample(range(len(known)), opts.variants + opts.lookalikes)
    lines: list[Line] = []
    for i in sources[: opts.variants]:
        who, how = gen.variant(known[i][1])
        lines.append(Line(who, gen.birth_text(who), f"variant:{how}", source=i))
    for i in sources[opts.variants :]:
        who, how = gen.lookalike(known[i][1])
        lines.append(Line(who, gen.birth_text(who), f"lookalike:{how}", source=i))
    for _ in range(opts.filler):
        who = gen.someone()
        lines.append(Line(who, gen.birth_text(who), "filler"))
    gen.rng.shuffle(lines)
    data = to_csv(lines, gen.rng)
    print(f"Quality: importing {len(lines):,} acts …", flush=True)
    t0 = time.perf_counter()
    record = check_import_register(
        centre=centre, file_name="quality.csv", data=data, actor=registrar
    )
    wall = time.perf_counter() - t0
    if record.status != "imported":
        raise SystemExit(f"quality import refused: {record.errors[:5]}")
    row_of_number = {
        (int(line.values["year"]), int(line.values["number"])): row
        for row, line in enumerate(lines)
    }
    row_of_person = {
        person: row_of_number[(year, number)]
        for year, number, person in BirthAct.objects.filter(register_import=record).values_list(
            "year", "number", "person_id"
        )
    }
    person_of_row = {row: person for person, row in row_of_person.items()}
    found: set[tuple[int, int]] = set()
    for person, existing in DuplicateCandidate.objects.filter(register_import=record).values_list(
        "person_id", "existing_id"
    ):
        row = row_of_person[person]
        ref = -1 - row_of_person[existing] if existing in row_of_person else existing
        found.add((row, ref))
    truth = {
        row: known[line.source][0]
        for row, line in enumerate(lines)
        if line.kind.startswith("variant:") and line.source is not None
    }
    kinds = {row: line.kind for row, line in enumerate(lines)}
    assert len(person_of_row) == len(lines)
    return {
        "known_persons": len(known),
        "rows": len(lines),
        "variants": opts.variants,
        "lookalikes": opts.lookalikes,
        "filler": opts.filler,
        "import_s": round(wall, 3),
        "rows_per_kind": dict(sorted(Counter(kinds.values()).items())),
        "duplicates_found": record.duplicates_found,
        "within_file_candidates": sum(1 for _row, ref in found if ref < 0),
        "import": evaluate(found, truth, kinds),
        "naive_names_and_birth_date": evaluate(
            naive_pairs(known, lines, with_date=True), truth, kinds
        ),
        "naive_names_only": evaluate(naive_pairs(known, lines, with_date=False), truth, kinds),
        "examples_missed": [
            {
                "kind": lines[row].kind,
                "known": {**vars(known[source][1]), "born": str(known[source][1].born)},
                "row": {column: lines[row].values[column] for column in SHOWN},
            }
            for row, ref in truth.items()
            if (row, ref) not in found and (source := lines[row].source) is not None
        ][:10],
    }


# --------------------------------------------------------------------------- 2. throughput


class StepClock:
    """Progress callback that notes when each step last reported."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.calls = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        self.last[step] = time.perf_counter()
        self.calls += 1


def run_throughput(opts: argparse.Namespace, registrar: Any, centre: Any) -> dict[str, Any]:
    from django.db import transaction

    from jamana.civil.actions import do_record_register_act, find_duplicates
    from jamana.civil.imports import (
        build_act,
        build_person,
        check_import_register,
        read_register,
        validate_rows,
    )
    from jamana.civil.models import BirthAct, DuplicateCandidate
    from jamana.identity.models import Person

    gen = Generator(opts.seed + 1)
    print(f"Throughput: {opts.existing:,} more existing persons …", flush=True)
    bulk_persons([gen.someone() for _ in range(opts.existing)])
    lines = []
    for _ in range(opts.rows):
        who = gen.someone()
        lines.append(Line(who, gen.birth_text(who), "filler"))
    data = to_csv(lines, gen.rng)
    del lines
    gc.collect()
    persons_before = Person.objects.count()
    print(f"Throughput: file of {opts.rows:,} acts, {len(data) / 1e6:.1f} MB", flush=True)

    parsed = validate_rows(read_register(data), today=dt.date.today())
    assert not parsed.errors, parsed.errors[:3]
    rows = parsed.rows

    # Baseline 1: the single-row path on a sample, rolled back.
    sample = rows[: opts.single_rows]
    print(f"Throughput: single-row path on {len(sample):,} acts (rolled back) …", flush=True)
    candidates = 0
    with transaction.atomic():
        t0, c0 = time.perf_counter(), time.process_time()
        for row in sample:
            act = do_record_register_act(
                centre=centre, facts=row.facts, entry=row.entry, actor=registrar
            )
            candidates += len(find_duplicates(act.person, centre=centre))
        single = {
            "rows": len(sample),
            "wall_s": round(time.perf_counter() - t0, 3),
            "cpu_s": round(time.process_time() - c0, 3),
            "candidates": candidates,
        }
        transaction.set_rollback(True)
    single["acts_per_s"] = round(single["rows"] / single["wall_s"], 1)

    # Baseline 2: the floor, bulk_create of the same persons and acts, rolled back.
    print("Throughput: floor (bulk_create only, rolled back) …", flush=True)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        t0, c0 = time.perf_counter(), time.process_time()
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            persons = Person.objects.bulk_create(
                [build_person(row.facts, row.entry) for row in chunk]
            )
            BirthAct.objects.bulk_create(
                [
                    build_act(
                        centre=centre,
                        facts=row.facts,
                        entry=row.entry,
                        person=person,
                        register_import=None,
                        actor=registrar,
                        recorded_at=now,
                    )
                    for row, person in zip(chunk, persons, strict=True)
                ]
            )
        floor = {
            "rows": len(rows),
            "wall_s": round(time.perf_counter() - t0, 3),
            "cpu_s": round(time.process_time() - c0, 3),
        }
        transaction.set_rollback(True)
    floor["acts_per_s"] = round(floor["rows"] / floor["wall_s"], 1)
    del parsed, rows, sample
    gc.collect()

    print(f"Throughput: importing {opts.rows:,} acts …", flush=True)
    clock = StepClock()
    rss_before = status_kib("VmRSS")
    peak_ok = reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    record = check_import_register(
        centre=centre, file_name="register.csv", data=data, actor=registrar, progress=clock
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_extra_mib = (status_kib("VmHWM") - rss_before) / 1024 if peak_ok else None
    if record.status != "imported":
        raise SystemExit(f"import refused: {record.errors[:5]}")
    steps = {
        "read_and_check_s": clock.last["check"] - t0,
        "duplicate_search_s": clock.last["match"] - clock.last["check"],
        "write_s": clock.last["write"] - clock.last["match"],
        "finish_and_commit_s": t0 + wall - clock.last["write"],
    }
    checks = {
        "acts": BirthAct.objects.filter(register_import=record).count() == opts.rows,
        "persons": Person.objects.count() == persons_before + opts.rows,
        "candidates": DuplicateCandidate.objects.filter(register_import=record).count()
        == record.duplicates_found,
    }
    return {
        "rows": opts.rows,
        "existing_persons": persons_before,
        "file_mb": round(len(data) / 1e6, 2),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "acts_per_s": round(opts.rows / wall, 1),
        "steps_s": {name: round(value, 3) for name, value in steps.items()},
        "steps_acts_per_s": {
            name: round(opts.rows / value, 1) for name, value in steps.items() if value > 0
        },
        "peak_extra_mib": round(peak_extra_mib, 1) if peak_extra_mib is not None else None,
        "duplicates_found": record.duplicates_found,
        "progress_calls": clock.calls,
        "checks": checks,
        "baseline_floor_bulk_create": floor,
        "baseline_single_row_path": single,
    }


# --------------------------------------------------------------------------- report


def pct(value: float) -> str:
    return f"{100 * value:5.1f} %"


def print_report(result: dict[str, Any]) -> None:
    q = result["quality"]
    print()
    print(
        f"Duplicate quality: {q['known_persons']:,} known persons; file of {q['rows']:,} acts "
        f"({q['variants']:,} variants of known persons, {q['lookalikes']:,} look-alikes, "
        f"{q['filler']:,} unrelated); imported in {q['import_s']:.1f} s"
    )
    print(f"  {'matcher':<34} {'recall':>8} {'precision':>10} {'TP':>6} {'FP':>6} {'FN':>6}")
    for label, key in (
        ("import (match_score)", "import"),
        ("baseline: exact names + birth date", "naive_names_and_birth_date"),
        ("baseline: exact names only", "naive_names_only"),
    ):
        o = q[key]["overall"]
        print(
            f"  {label:<34} {pct(o['recall']):>8} {pct(o['precision']):>10} "
            f"{o['true_positives']:>6} {o['false_positives']:>6} {o['false_negatives']:>6}"
        )
    print(
        "  by kind of row (import | exact names + birth date): recall for the variants, "
        "false positives for the others"
    )
    for kind, o in q["import"]["by_kind"].items():
        b = q["naive_names_and_birth_date"]["by_kind"][kind]
        rows = q["rows_per_kind"][kind]
        if kind.startswith("variant:"):
            print(f"    {kind:<30} {rows:>5} rows  recall {pct(o['recall'])} | {pct(b['recall'])}")
        else:
            print(
                f"    {kind:<30} {rows:>5} rows  FP {o['false_positives']:>6} | "
                f"{b['false_positives']:>6}"
            )
    t = result["throughput"]
    print()
    print(
        f"Throughput: {t['rows']:,} acts ({t['file_mb']} MB) into a register, "
        f"{t['existing_persons']:,} persons already known"
    )
    print(
        f"  import: {t['wall_s']:.1f} s wall, {t['cpu_s']:.1f} s CPU → "
        f"{t['acts_per_s']:,.0f} acts/s; peak +{t['peak_extra_mib']} MiB; "
        f"{t['duplicates_found']:,} candidates queued; checks {t['checks']}"
    )
    for name, value in t["steps_s"].items():
        rate = t["steps_acts_per_s"].get(name)
        print(f"    {name:<22} {value:7.2f} s" + (f"  ({rate:,.0f} acts/s)" if rate else ""))
    f, s = t["baseline_floor_bulk_create"], t["baseline_single_row_path"]
    print(
        f"  baseline floor (bulk_create only): {f['wall_s']:.1f} s → {f['acts_per_s']:,.0f} "
        f"acts/s; import is {t['wall_s'] / f['wall_s']:.1f}× the floor"
    )
    print(
        f"  baseline single-row path (do_record_register_act + find_duplicates), "
        f"{s['rows']} acts: {s['acts_per_s']:,.1f} acts/s → {t['rows']:,} acts in "
        f"~{t['rows'] / s['acts_per_s'] / 60:.0f} min"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="acts in the big file")
    parser.add_argument("--existing", type=int, default=20_000, help="persons known before it")
    parser.add_argument("--known", type=int, default=2_000, help="known persons (quality)")
    parser.add_argument("--variants", type=int, default=1_000, help="of them re-entered")
    parser.add_argument("--lookalikes", type=int, default=1_000, help="other people alike")
    parser.add_argument("--filler", type=int, default=3_000, help="unrelated acts (quality)")
    parser.add_argument("--single-rows", type=int, default=300, help="single-row path sample")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep-tmp", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    opts = parser.parse_args(argv)
    if not (1 <= opts.rows <= 1_000_000) or opts.variants + opts.lookalikes > opts.known:
        parser.error("1 ≤ --rows ≤ 1,000,000, and --variants + --lookalikes ≤ --known")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    started_at = dt.datetime.now().astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-civilbench-"))
    result: dict[str, Any] = {
        "benchmark": "civil_import",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "git": git_state(),
        "params": vars(opts),
    }
    try:
        t0 = time.perf_counter()
        setup_instance(tmp)
        from jamana.identity.models import Role
        from jamana.testing import make_agent

        quality_centre = make_centre("ML-CEC-BENCH-Q", "Centre de test (qualité)", "ML-00-04")
        bulk_centre = make_centre("ML-CEC-BENCH-T", "Centre de test (volume)", "ML-00-03")
        registrar = make_agent(
            organisation=bulk_centre.organisation, role=Role.REGISTRAR, extra_roles=()
        )
        from jamana.identity.actions import do_grant_role

        do_grant_role(
            account=registrar, organisation=quality_centre.organisation, role=Role.REGISTRAR
        )
        print(f"Setup in {time.perf_counter() - t0:.1f} s: {tmp}", flush=True)
        result["quality"] = run_quality(opts, registrar, quality_centre)
        result["throughput"] = run_throughput(opts, registrar, bulk_centre)
    finally:
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["total_s"] = round(time.perf_counter() - t0, 1)
    print_report(result)
    ok = all(result["throughput"]["checks"].values())
    if not opts.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / "civil_import.json"
        write_atomically(path, json.dumps(result, indent=2, default=str) + "\n")
        print(f"\nWrote {path.relative_to(REPO)}")
    print(f"Total {result['total_s']:.0f} s; checks {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
