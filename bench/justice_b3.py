"""Benchmark: bulletins n°3 issued per second, end to end, over a casier of 1,000,000 persons.

Builds a throw-away production-configured instance (SQLite with WAL in a temp dir, key store
and media there too, ``JAMANA_ENV=production``, ``DEBUG=false``): migrate, the geography, the
courts and their competence rules (born in the District of Bamako → Commune III, born abroad →
Cour d'appel, born in the cercle of Kati → Kati, elsewhere → the regional court whose area
contains the birth commune), a counter agent per court, the PKI and the catalogue's
``justice.b3`` service. Then ``bulk_create``, in chunks: 1,000,000 persons born across Mali
(a fifth in Bamako) and abroad, and convictions for ~5 % of them (realistic offences and
sentences; some appealed, served, paid, rehabilitated, amnestied, cancelled…).

Then, for N requesting persons (half with a clean casier, half with entries the rules decide
alone), interleaved request by request:

- **end to end**: ``justice.requests.check_request_bulletin`` (request awaiting payment, 750
  FCFA) → ``procedures.actions.check_record_counter_payment`` by the court's counter agent (in
  review; the sealed receipt is issued on commit, in this process) → the fulfilment *run
  synchronously here* with ``procedures.actions.do_fulfil_request(reference)`` instead of the
  task worker (the enqueued task row is left unrun) → request issued with its sealed bulletin
  (PAdES B-LT). Rate, latency p50/p99 and the split by step and by part: compute_bulletin
  (``casier_of``: the casier's reads among 1M persons; the rules) vs issue_document (render +
  seal), timed by bench-side wrappers around those functions;
- **baselines, same run**: ``justice.casier.compute_bulletin`` alone (no PDF) for other
  persons of the same kinds, and a bare ``documents.actions.issue_document`` of a document of
  the same content as the requester's bulletin (no request, no payment);
- the casier SELECT alone (the SQL ``casier_of`` runs, captured) beside a what-if rewrite, and
  the EXPLAIN QUERY PLAN of both.

    .venv/bin/python bench/justice_b3.py                          # ~7 minutes on 2 cores
    .venv/bin/python bench/justice_b3.py --persons 100000 --requests 40 --no-write  # ~1 min
    .venv/bin/python bench/justice_b3.py --help

Figures go to bench/results/justice_b3-<timestamp>.json and bench/results/justice_b3-latest.md
(and stdout). No network; the temp dir is removed on exit (``--keep-tmp`` keeps it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _support import cpu_model, git_state, percentile, raise_system_exit, version, write_atomically

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

CONVICTED_SHARE = 0.05
CHUNK = 20_000  # persons per bulk_create round (and per transaction)
FIRST_BIRTH, LAST_BIRTH = dt.date(1940, 1, 1), dt.date(2008, 12, 31)
# Where the 1,000,000 were born (shares of the population, not of the requesters' courts).
BORN_BAMAKO, BORN_KATI, BORN_ABROAD = 0.20, 0.04, 0.04
ABROAD = [
    ("CI", "Abidjan, Côte d'Ivoire"),
    ("SN", "Dakar, Sénégal"),
    ("GN", "Conakry, Guinée"),
    ("BF", "Ouagadougou, Burkina Faso"),
    ("NE", "Niamey, Niger"),
    ("FR", "Paris, France"),
    ("GA", "Libreville, Gabon"),
    ("MR", "Nouakchott, Mauritanie"),
]
C3, APPEAL, KATI = "ML-TGI-BKO-C3", "ML-CA-BKO", "ML-TGI-KATI"
FOREIGN_COURT = "BF-TGI-OUAGA"
SELECT_SAMPLE = 50  # persons of each group whose casier SELECT is timed alone


# --------------------------------------------------------------------------- environment


def machine_info() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "versions": {
            dist: version(dist) for dist in ("Django", "pyHanko", "cryptography", "reportlab")
        },
        "loadavg_start": list(os.getloadavg()),
    }


def setup_instance(tmp: Path) -> None:
    """Production environment first (the variables a deployment sets), then Django, then a
    migrated database with the geography."""
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "DATABASE_", "JAMANA_", "SECURE_", "DB_", "MEDIA_")):
            del os.environ[name]
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
            "JAMANA_ENV": "production",
            "DEBUG": "false",  # also: DEBUG would keep every SQL query in memory
            "SECRET_KEY": secrets.token_urlsafe(45),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "JAMANA_KEY_DIR": str(tmp / "keys"),
            "JAMANA_KEY_PASSPHRASE": secrets.token_urlsafe(24),
            "MEDIA_ROOT": str(tmp / "media"),
        }
    )
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.core.management import call_command

    from jamana.core.geography import load_geography

    call_command("migrate", verbosity=0)
    call_command("compile_translations", verbosity=0)
    load_geography()


# --------------------------------------------------------------------------- courts, agents


@dataclass
class World:
    courts: dict[str, Any]  # code → Organisation
    counter: dict[int, Any]  # court pk → its counter agent
    clerk: Any
    bamako: list[int]  # AdminArea pks of birth communes, by kind of place
    kati: list[int]
    elsewhere: list[int]


def make_world() -> World:
    from jamana.core.geography import find_area, valid_on
    from jamana.core.models import AdminArea
    from jamana.identity.actions import do_create_organisation
    from jamana.identity.models import Role
    from jamana.justice.actions import do_set_competence_rule
    from jamana.justice.demo import ABROAD_RULE, BAMAKO_RULE, SINCE
    from jamana.pki.actions import do_trust_init
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE
    from jamana.testing import make_agent

    today = dt.date.today()
    courts = {
        C3: do_create_organisation(
            code=C3, name="Tribunal de Grande Instance de la Commune III de Bamako", kind="court"
        ),
        APPEAL: do_create_organisation(code=APPEAL, name="Cour d'appel de Bamako", kind="court"),
        KATI: do_create_organisation(code=KATI, name="Tribunal de Kati", kind="court"),
        FOREIGN_COURT: do_create_organisation(
            code=FOREIGN_COURT,
            name="Tribunal de Grande Instance de Ouagadougou",
            kind="court",
            country="BF",
        ),
    }
    regions = valid_on(today).filter(country="ML", level="region").order_by("code")
    for region in regions:
        code = f"ML-TGI-{region.code[3:]}"
        town = region.name.removeprefix("Région de ").removeprefix("Région du ")
        # No competence rule: found through the court's area (competent_court's fallback).
        courts[code] = do_create_organisation(
            code=code, name=f"Tribunal de Grande Instance de {town}", kind="court", area=region
        )
    do_set_competence_rule(
        court=courts[C3], birth_area=find_area("ML-00"), valid_from=SINCE, reference=BAMAKO_RULE
    )
    do_set_competence_rule(
        court=courts[APPEAL], born_abroad=True, valid_from=SINCE, reference=ABROAD_RULE
    )
    do_set_competence_rule(
        court=courts[KATI],
        birth_area=find_area("ML-02-KATI"),
        valid_from=SINCE,
        reference="Ressort du Tribunal de Kati (bench)",
    )
    counter = {}
    for n, court in enumerate(c for c in courts.values() if c.country == "ML"):
        counter[court.pk] = make_agent(
            organisation=court,
            role=Role.COUNTER_AGENT,
            extra_roles=(),
            phone=f"+2237610{n:04d}",
            nina=f"19700101{n + 100:06d}A",
        )
    clerk = make_agent(
        organisation=courts[C3],
        role=Role.COURT_CLERK,
        extra_roles=(),
        phone="+22376199999",
        nina="19700101999999A",
    )
    for spec in CATALOGUE:
        if spec["code"] == "justice.b3":
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=courts[C3], **fields)
    do_trust_init()

    communes = valid_on(today).filter(country="ML", level="commune").select_related("parent")
    bamako, kati, elsewhere = [], [], []
    current_regions = {r.pk for r in regions}  # every such commune has a regional court
    for commune in communes:
        if commune.code.startswith("ML-00-"):
            bamako.append(commune.pk)
        elif commune.parent is not None and commune.parent.code == "ML-02-KATI":
            kati.append(commune.pk)
        elif commune.parent is not None and commune.parent.parent_id in current_regions:
            elsewhere.append(commune.pk)
    assert bamako and kati and elsewhere, (len(bamako), len(kati), len(elsewhere))
    assert AdminArea.objects.filter(pk__in=bamako).count() == 6
    return World(courts, counter, clerk, bamako, kati, elsewhere)


# --------------------------------------------------------------------------- the population

# Offences as a greffe writes them. The article numbers are illustrative bench data, not
# checked against the Code pénal in force. (label, reference, category, weight, profile)
OFFENCES = [
    ("Vol simple", "Code pénal, art. 252", "delit", 24, "theft"),
    ("Escroquerie", "Code pénal, art. 258", "delit", 9, "fraud"),
    ("Abus de confiance", "Code pénal, art. 262", "delit", 6, "fraud"),
    ("Coups et blessures volontaires", "Code pénal, art. 207", "delit", 12, "violence"),
    (
        "Homicide involontaire (accident de la circulation)",
        "Code pénal, art. 211",
        "delit",
        3,
        "traffic",
    ),
    ("Conduite en état d'ivresse", "Code de la route, art. 94", "delit", 4, "traffic"),
    (
        "Détention et usage de stupéfiants",
        "Loi n°01-078 du 18 juillet 2001, art. 95",
        "delit",
        8,
        "drugs",
    ),
    ("Faux et usage de faux", "Code pénal, art. 102", "delit", 4, "fraud"),
    ("Vol qualifié", "Code pénal, art. 253", "crime", 4, "crime"),
    (
        "Trafic international de stupéfiants",
        "Loi n°01-078 du 18 juillet 2001, art. 96",
        "crime",
        2,
        "crime",
    ),
    ("Atteinte aux biens publics", "Code pénal, art. 106", "crime", 2, "crime"),
    ("Meurtre", "Code pénal, art. 199", "crime", 1, "murder"),
    ("Tapage nocturne", "Code pénal, art. 318", "contravention", 8, "petty"),
    ("Divagation d'animaux", "Code pénal, art. 320", "contravention", 4, "petty"),
    ("Défaut de permis de conduire", "Code de la route, art. 72", "contravention", 5, "petty"),
]
EDUCATIONAL = ["Remise à parents", "Placement dans un centre de rééducation", "Liberté surveillée"]


def _sentence(kind: str, **values: Any) -> dict[str, Any]:
    """The shape ``justice.actions.SentenceInput.as_data`` records."""
    return {
        "kind": kind,
        "months": values.get("months"),
        "suspended": values.get("suspended", False),
        "probation": values.get("probation", False),
        "amount_xof": values.get("amount_xof"),
        "description": values.get("description", ""),
    }


def _fine(rng: random.Random, low: int, high: int) -> dict[str, Any]:
    return _sentence("fine", amount_xof=rng.randrange(low, high, 5_000 if low >= 25_000 else 500))


def _prison(rng: random.Random, low: int, high: int, suspended_share: float) -> dict[str, Any]:
    suspended = rng.random() < suspended_share
    return _sentence(
        "imprisonment",
        months=rng.randint(low, high),
        suspended=suspended,
        probation=suspended and rng.random() < 0.08,
    )


def sentences_for(profile: str, rng: random.Random) -> list[dict[str, Any]]:
    r = rng.random()
    if profile == "petty":
        return [_fine(rng, 3_000, 20_000)]
    if profile == "theft":
        if r < 0.45:
            out = [_prison(rng, 1, 12, 1.0)]
        elif r < 0.78:
            out = [_prison(rng, 2, 24, 0.0)]
        elif r < 0.90:
            out = [_prison(rng, 25, 48, 0.0)]
        elif r < 0.95:  # partly suspended: two sentences
            out = [_prison(rng, 6, 18, 0.0), _prison(rng, 6, 18, 1.0)]
        else:
            out = [_sentence("community_service", description=f"{rng.choice([60, 120, 200])} h")]
        if rng.random() < 0.25:
            out.append(_fine(rng, 25_000, 200_000))
        return out
    if profile == "fraud":
        out = [_prison(rng, 6, 60, 0.35)]
        if rng.random() < 0.7:
            out.append(_fine(rng, 100_000, 5_000_000))
        return out
    if profile == "violence":
        out = [_prison(rng, 1, 36, 0.5)]
        if rng.random() < 0.4:
            out.append(_fine(rng, 25_000, 300_000))
        return out
    if profile == "traffic":
        out = [_prison(rng, 1, 12, 1.0), _fine(rng, 50_000, 500_000)]
        if rng.random() < 0.7:
            out.append(_sentence("suspended_licence", months=rng.choice([6, 12, 18, 24, 36])))
        return out
    if profile == "drugs":
        out = [_prison(rng, 6, 60, 0.1)]
        if rng.random() < 0.5:
            out.append(_fine(rng, 100_000, 2_000_000))
        return out
    if profile == "crime":
        out = [_prison(rng, 60, 240, 0.0)]
        if rng.random() < 0.1:
            out.append(_sentence("other_penalty", description="Interdiction de séjour, 5 ans"))
        return out
    if profile == "murder":
        if r < 0.05:
            return [_sentence("imprisonment", description="réclusion à perpétuité")]
        return [_prison(rng, 120, 360, 0.0)]
    raise ValueError(profile)


def _day_between(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    if high <= low:
        return low
    return low + dt.timedelta(days=rng.randrange((high - low).days + 1))


def _years(day: dt.date, years: float) -> dt.date:
    return day + dt.timedelta(days=round(365.25 * years))


class Population:
    """Generates persons and their casiers; remembers who is convicted."""

    def __init__(self, world: World, seed: int, today: dt.date) -> None:
        from jamana.core.names import blocking_key
        from jamana.identity.models import Person
        from jamana.procedures.demo import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES

        self.Person = Person
        self.world = world
        self.rng = random.Random(seed)
        self.today = today
        self.now = dt.datetime.now(dt.UTC)
        self.families = FAMILY_NAMES
        self.family_key = {name: blocking_key(name) for name in FAMILY_NAMES}
        self.given = {"F": FEMALE_NAMES, "M": MALE_NAMES}
        self.offences = OFFENCES
        self.offence_weights = [o[3] for o in OFFENCES]
        ml_courts = [c for c in world.courts.values() if c.country == "ML"]
        self.court_weights = [(c, 8 if c.code == C3 else 1) for c in ml_courts]
        self.references: set[str] = set()
        self.decision_seq: Counter[tuple[int, int]] = Counter()
        self.person_ids = array("q")
        self.convicted_ids = array("q")
        self.counts: Counter[str] = Counter()

    def person(self) -> Any:
        rng = self.rng
        sex = rng.choice("FM")
        family = rng.choice(self.families)
        given = rng.choice(self.given[sex])
        if rng.random() < 0.12:
            second = rng.choice(self.given[sex])
            if second != given:
                given = f"{given} {second}"
        born = _day_between(rng, FIRST_BIRTH, LAST_BIRTH)
        precision = "day"
        if rng.random() < 0.08:  # "né vers 1962", "né en 1962"
            precision = rng.choice(["year", "about"])
            born = born.replace(month=1, day=1)
        place = rng.random()
        commune, country, abroad = None, "ML", ""
        if place < BORN_BAMAKO:
            commune = rng.choice(self.world.bamako)
        elif place < BORN_BAMAKO + BORN_KATI:
            commune = rng.choice(self.world.kati)
        elif place < BORN_BAMAKO + BORN_KATI + BORN_ABROAD:
            country, abroad = rng.choice(ABROAD)
        else:
            commune = rng.choice(self.world.elsewhere)
        return self.Person(
            given_names=given,
            family_name=family,
            sex=sex,
            birth_date=born,
            birth_date_precision=precision,
            birth_commune_id=commune,
            birth_country=country,
            birth_place_abroad=abroad,
            father_name=f"{rng.choice(self.given['M'])} {family}",
            mother_name=f"{rng.choice(self.given['F'])} {rng.choice(self.families)}",
            # bulk_create skips Person.save(), which derives the key.
            family_key=self.family_key[family],
        )

    def reference(self) -> str:
        from jamana.core.references import new_reference

        while True:
            ref = new_reference()
            if ref not in self.references:
                self.references.add(ref)
                return ref

    def casier(self, person: Any) -> list[tuple[Any, list[Any]]]:
        """One to three convictions with their events, consistent with the person's dates."""
        rng = self.rng
        count = rng.choices([1, 2, 3], weights=[75, 18, 7])[0]
        out = []
        earliest = _years(person.birth_date, 13)
        for _ in range(count):
            minor = rng.random() < 0.03
            if minor:
                low, high = _years(person.birth_date, 13), _years(person.birth_date, 17.9)
            else:
                low, high = _years(person.birth_date, 18), _years(person.birth_date, 60)
            low = max(low, earliest)
            high = min(high, self.today - dt.timedelta(days=20))
            if high <= low:
                break
            decided = _day_between(rng, low, high)
            out.append(self.conviction(person, decided, minor))
            earliest = decided + dt.timedelta(days=30)
        return out

    def conviction(self, person: Any, decided: dt.date, minor: bool) -> tuple[Any, list[Any]]:
        from jamana.justice.models import Conviction

        rng = self.rng
        label, reference, category, _w, profile = rng.choices(
            self.offences, weights=self.offence_weights
        )[0]
        if minor and rng.random() < 0.7:
            sentences = [_sentence("educational_measure", description=rng.choice(EDUCATIONAL))]
        else:
            sentences = sentences_for(profile, rng)
        if category == "crime" and rng.random() < 0.6:
            court = self.world.courts[APPEAL]  # the cour d'assises sits at the Cour d'appel
        elif rng.random() < 0.01:
            court = self.world.courts[FOREIGN_COURT]
        else:
            courts, weights = zip(*self.court_weights, strict=True)
            court = rng.choices(courts, weights=weights)[0]
        recent = (self.today - decided).days < 120
        final = not (recent and rng.random() < 0.5) and rng.random() > 0.01
        self.decision_seq[(court.pk, decided.year)] += 1
        number = (
            f"{court.code[3:]}/{decided.year}/{self.decision_seq[(court.pk, decided.year)]:05d}"
        )
        conviction = Conviction(
            reference=self.reference(),
            person_id=person.pk,
            court=court,
            decided_on=decided,
            decision_number=number,
            offence_label=label,
            offence_reference=reference,
            category=category,
            sentences=sentences,
            final=final,
            minor_at_offence=minor,
            by_default=rng.random() < 0.02,
            court_ordered_b3=rng.random() < 0.02,
            recorded_by=self.world.clerk,
            recorded_at=self.now,
        )
        events = self.events(conviction) if final else []
        self.counts["convictions"] += 1
        self.counts[f"category:{category}"] += 1
        self.counts["events"] += len(events)
        for event in events:
            self.counts[f"event:{event.kind}"] += 1
        return conviction, events

    def events(self, c: Any) -> list[Any]:
        from jamana.justice.models import ConvictionEvent

        rng, today, decided = self.rng, self.today, c.decided_on
        out: list[Any] = []

        def add(kind: str, on: dt.date, reference: str, **more: Any) -> None:
            out.append(
                ConvictionEvent(
                    kind=kind,
                    on=min(max(on, decided), today),
                    reference=reference,
                    recorded_by=self.world.clerk,
                    recorded_at=self.now,
                    **more,
                )
            )

        sentences = c.sentences
        if rng.random() < 0.05:
            on = decided + dt.timedelta(days=rng.randint(60, 400))
            roll = rng.random()
            if roll < 0.15:
                add("appeal", on, f"Arrêt CA Bamako n°{rng.randint(1, 999)}", quashed=True)
                return out
            if roll < 0.75:
                reduced = [
                    {**s, "months": max(1, s["months"] // 2)}
                    if s["kind"] == "imprisonment" and s["months"]
                    else s
                    for s in sentences
                ]
                add(
                    "appeal",
                    on,
                    f"Arrêt CA Bamako n°{rng.randint(1, 999)}",
                    new_sentences=reduced,
                )
                sentences = reduced
            else:
                add("appeal", on, f"Arrêt CA Bamako n°{rng.randint(1, 999)} (confirmation)")
        if rng.random() < 0.003:
            add(
                "cancellation",
                _day_between(rng, decided, today),
                "Ordonnance de rectification",
                note="Inscrite par erreur au casier d'un homonyme.",
            )
            return out
        to_serve = sum(
            s["months"] or 0
            for s in sentences
            if s["kind"] == "imprisonment" and not s["suspended"]
        )
        if to_serve and rng.random() < 0.7:
            end = _years(decided, to_serve / 12)
            if end < today:
                add("sentence_served", end, "Levée d'écrou")
        if any(s["kind"] == "fine" for s in sentences) and rng.random() < 0.5:
            add("fine_paid", decided + dt.timedelta(days=rng.randint(10, 200)), "Quittance Trésor")
        fully_suspended = all(s["suspended"] for s in sentences if s["kind"] == "imprisonment")
        if any(s["suspended"] for s in sentences) and fully_suspended:
            five = _years(decided, 5)
            roll = rng.random()
            if five < today and roll < 0.15:
                add("suspension_completed", five + dt.timedelta(days=1), "Mention du greffe")
            elif roll > 0.98:
                add(
                    "suspension_revoked",
                    _day_between(rng, decided, today),
                    "Jugement de révocation",
                )
        if decided < today - dt.timedelta(days=6 * 365) and rng.random() < 0.12:
            add(
                "rehabilitation",
                _day_between(rng, _years(decided, 5), today),
                "Réhabilitation de plein droit",
            )
        if rng.random() < 0.01:
            add("amnesty", _day_between(rng, decided, today), "Loi d'amnistie")
        if to_serve and rng.random() < 0.01:
            add("pardon", _day_between(rng, decided, today), "Décret de grâce présidentielle")
        return out

    def populate(self, total: int, progress: Callable[[int], None]) -> None:
        from django.db import transaction

        from jamana.identity.models import Person
        from jamana.justice.models import Conviction, ConvictionEvent

        done = 0
        while done < total:
            batch = [self.person() for _ in range(min(CHUNK, total - done))]
            with transaction.atomic():
                created = Person.objects.bulk_create(batch)
                convictions, pending = [], []
                for person in created:
                    self.person_ids.append(person.pk)
                    if self.rng.random() < CONVICTED_SHARE:
                        entries = self.casier(person)
                        if entries:
                            self.convicted_ids.append(person.pk)
                        for conviction, events in entries:
                            convictions.append(conviction)
                            pending.append((conviction, events))
                Conviction.objects.bulk_create(convictions)
                events = []
                for conviction, evs in pending:
                    for event in evs:
                        event.conviction_id = conviction.pk
                        events.append(event)
                ConvictionEvent.objects.bulk_create(events)
            done += len(batch)
            progress(done)


# --------------------------------------------------------------------------- probes


class Probe:
    """Wall time spent in a few application functions, by phase of the request. The wrappers
    replace module attributes (bench-side only) and cost about a microsecond per call."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.spent: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.originals: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = f"{self.phase}.{label}"
                self.spent[key] += time.perf_counter() - t0
                self.calls[key] += 1

        setattr(module, name, timed)
        self.originals.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self.originals):
            setattr(module, name, original)

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        """Milliseconds and calls since the last take."""
        spent = {k: v * 1000 for k, v in self.spent.items()}
        calls = dict(self.calls)
        self.spent.clear()
        self.calls.clear()
        return spent, calls


def install_probe() -> Probe:
    import jamana.documents.actions as documents
    import jamana.justice.casier as casier
    import jamana.justice.requests as requests

    probe = Probe()
    probe.wrap(requests, "competent_court", "competent_court")
    probe.wrap(requests, "compute_bulletin", "compute_bulletin")
    probe.wrap(casier, "casier_of", "casier_of")
    probe.wrap(casier, "rules_in_force", "rules_in_force")
    # issue_document is imported at call time by both its callers here (the bulletin and the
    # payment receipt), so the wrapped attribute is what they call.
    probe.wrap(documents, "issue_document", "issue_document")
    probe.wrap(documents, "render_pdf", "render_pdf")
    probe.wrap(documents, "seal_pdf", "seal_pdf")
    probe.wrap(documents, "sealing_material", "sealing_material")
    return probe


# --------------------------------------------------------------------------- requesters


@dataclass
class Subject:
    """A person in the sample, with the bulletin the rules give them (computed untimed)."""

    person_id: int
    group: str  # clean | entries
    blank: bool
    lines: int
    account: Any = None
    person: Any = None
    court: Any = None


def choose_subjects(
    opts: argparse.Namespace, pop: Population, today: dt.date
) -> tuple[dict[str, list[Subject]], dict[str, Any]]:
    """Requesters and baseline persons: clean casiers drawn from the whole population, casiers
    with entries among the convicted whose bulletin the rules decide alone (the others go to
    the greffe's review and get no PDF: counted, not timed)."""
    from jamana.identity.models import Person
    from jamana.justice.casier import compute_bulletin

    rng = random.Random(opts.seed + 7)
    half = opts.requests // 2
    need = {"clean": 2 * (opts.requests - half) + 2, "entries": 2 * half + 2}
    convicted = set(pop.convicted_ids)
    subjects: dict[str, list[Subject]] = {"clean": [], "entries": []}
    chosen: set[int] = set()
    while len(subjects["clean"]) < need["clean"]:
        pid = pop.person_ids[rng.randrange(len(pop.person_ids))]
        if pid not in convicted and pid not in chosen:
            chosen.add(pid)  # no conviction: a blank bulletin (run_checks verifies it)
            subjects["clean"].append(Subject(pid, "clean", True, 0))
    candidates = list(pop.convicted_ids)
    rng.shuffle(candidates)
    reviews: Counter[str] = Counter()
    checked = needing_review = 0
    for pid in candidates:
        if len(subjects["entries"]) >= need["entries"]:
            break
        checked += 1
        result = compute_bulletin(Person.objects.get(pk=pid), 3, today)
        if result.needs_review:
            needing_review += 1
            reviews.update({r.reason for r in result.reviews})  # persons, by reason
            continue
        subjects["entries"].append(Subject(pid, "entries", result.is_blank, len(result.lines)))
    if len(subjects["entries"]) < need["entries"]:
        raise SystemExit(f"only {len(subjects['entries'])} decidable casiers; use fewer requests")
    stats = {
        "convicted_checked": checked,
        "needing_review": needing_review,
        "needing_review_share": round(needing_review / checked, 4) if checked else None,
        "review_reasons": dict(reviews.most_common()),
        # The B3 of a convicted person is often blank: B3 keeps only what is serious enough.
        "entries_blank": sum(s.blank for s in subjects["entries"]),
        "entries_with_lines": sum(not s.blank for s in subjects["entries"]),
    }
    return subjects, stats


def make_accounts(subjects: list[Subject]) -> None:
    """Accounts for the requesters, bulk-created with an unusable password: hashing one with
    Argon2 costs ~0.1 s and is no part of what is measured."""
    from django.contrib.auth.hashers import make_password

    from jamana.identity.models import Account, Person

    persons = Person.objects.in_bulk([s.person_id for s in subjects])
    Account.objects.bulk_create(
        [
            Account(
                phone=f"+2236{n:07d}",
                person_id=s.person_id,
                password=make_password(None),
                display_name=persons[s.person_id].full_name,
                language="fr",
            )
            for n, s in enumerate(subjects)
        ]
    )
    by_person = {a.person_id: a for a in Account.objects.filter(person_id__in=list(persons))}
    for s in subjects:
        s.account = by_person[s.person_id]


# --------------------------------------------------------------------------- measuring


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    total = sum(ordered)
    return {
        "n": len(ordered),
        "per_s": len(ordered) / (total / 1000) if total else float("nan"),
        "mean": statistics.fmean(ordered) if ordered else float("nan"),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else float("nan"),
    }


@contextmanager
def clock(into: dict[str, float], name: str) -> Iterator[None]:
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        into[f"{name}.wall"] = (time.perf_counter() - w0) * 1000
        into[f"{name}.cpu"] = (time.process_time() - c0) * 1000


def end_to_end(subject: Subject, n: int, probe: Probe, counters: dict[int, Any]) -> dict[str, Any]:
    """One bulletin n°3, from the request to the issued sealed PDF."""
    from jamana.justice.requests import check_request_bulletin
    from jamana.procedures.actions import check_record_counter_payment, do_fulfil_request

    row: dict[str, Any] = {"group": subject.group}
    with clock(row, "total"):
        probe.phase = "request"
        with clock(row, "request"):
            request = check_request_bulletin(account=subject.account)
        probe.phase = "payment"
        with clock(row, "payment"):
            check_record_counter_payment(
                agent=counters[request.organisation_id],
                reference=request.reference,
                receipt=f"Q-B3-{n:06d}",
            )
        probe.phase = "fulfil"
        with clock(row, "fulfil"):
            # What the task worker would run (procedures.tasks.fulfil_request), run here.
            do_fulfil_request(request.reference)
    spent, calls = probe.take()
    row.update(spent)
    row.update({f"calls.{k}": v for k, v in calls.items()})
    row["_reference"] = request.reference
    row["_subject"] = subject
    return row


def interleave(first: list[Subject], second: list[Subject]) -> list[Subject]:
    """first[0], second[0], first[1], … then the rest of the longer one."""
    out = [s for pair in zip(first, second, strict=False) for s in pair]
    return out + first[len(second) :] + second[len(first) :]


def bulletin_content(subject: Subject, today: dt.date) -> dict[str, Any]:
    """The fields and paragraphs issue_bulletin_document would give ``issue_document``."""
    from django.utils import formats, translation
    from django.utils.translation import gettext

    from jamana.justice.casier import compute_bulletin
    from jamana.justice.requests import LANGUAGE, _identity_fields, bulletin_paragraphs

    result = compute_bulletin(subject.person, 3, today)
    with translation.override(LANGUAGE):
        fields = [
            (gettext("Bulletin"), gettext("No. 3 (for the person concerned)")),
            *_identity_fields(subject.person),
            (gettext("Situation on"), formats.date_format(result.on, "j F Y")),
        ]
        paragraphs = bulletin_paragraphs(result)
    return {"fields": fields, "paragraphs": paragraphs}


def run_timed(
    opts: argparse.Namespace,
    world: World,
    subjects: dict[str, list[Subject]],
    today: dt.date,
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jamana.documents.actions import issue_document
    from jamana.identity.models import Organisation, Person
    from jamana.justice.casier import competent_court, compute_bulletin
    from jamana.justice.requests import B3_KIND, check_request_bulletin
    from jamana.pki.queries import sealing_material
    from jamana.procedures.actions import check_record_counter_payment, do_fulfil_request

    half = opts.requests // 2
    groups = {"clean": opts.requests - half, "entries": half}
    # Per group: [requesters …, baseline persons …, one for counting queries, one warm-up].
    requesters = {g: subjects[g][: groups[g]] for g in groups}
    others = {g: subjects[g][groups[g] : 2 * groups[g]] for g in groups}
    spare = {g: subjects[g][2 * groups[g] :] for g in groups}
    everyone = [s for g in groups for s in subjects[g]]
    persons = Person.objects.select_related("birth_commune").in_bulk(
        [s.person_id for s in everyone]
    )
    for s in everyone:
        s.person = persons[s.person_id]
    make_accounts(
        [*requesters["clean"], *requesters["entries"], *spare["clean"], *spare["entries"]]
    )

    # Every court's seal certificate is issued on its first document: do that now, untimed.
    courts = Organisation.objects.filter(kind="court", country="ML")
    for court in courts:
        sealing_material(court)
    probe = install_probe()
    try:
        print("Warm-up: one request per group, untimed …", flush=True)
        for g in groups:
            end_to_end(spare[g][1], 900_000 + len(g), probe, world.counter)
        # Bare issue_document contents, built before the loop (not timed).
        contents = {id(s): bulletin_content(s, today) for g in groups for s in requesters[g]}
        issuer_of = {}
        for g in groups:
            for s in requesters[g]:
                issuer_of[id(s)] = competent_court(s.person, today)
        probe.take()

        # Clean and with entries alternate, so a disturbance of the machine hits both alike.
        order = interleave(requesters["clean"], requesters["entries"])
        baseline_order = interleave(others["clean"], others["entries"])
        rows: list[dict[str, Any]] = []
        compute_rows: list[dict[str, Any]] = []
        bare_rows: list[dict[str, Any]] = []
        gc.collect()
        print(
            f"Timed: {len(order)} requests end to end, interleaved with as many compute_bulletin "
            "and bare issue_document …",
            flush=True,
        )
        loop_t0, loop_c0 = time.perf_counter(), time.process_time()
        for n, subject in enumerate(order):
            rows.append(end_to_end(subject, n, probe, world.counter))

            other = baseline_order[n]
            probe.phase = "compute_only"
            brow: dict[str, Any] = {"group": other.group}
            with clock(brow, "total"):
                compute_bulletin(other.person, 3, today)
            brow.update(probe.take()[0])
            compute_rows.append(brow)

            probe.phase = "bare_issue"
            irow: dict[str, Any] = {"group": subject.group}
            with clock(irow, "total"):
                issue_document(
                    kind=B3_KIND,
                    issuer=issuer_of[id(subject)],
                    holder=subject.person,
                    language="fr",
                    **contents[id(subject)],
                )
            irow.update(probe.take()[0])
            bare_rows.append(irow)
            if (n + 1) % 50 == 0:
                print(f"  {n + 1}/{len(order)}", flush=True)
        loop_wall = time.perf_counter() - loop_t0
        loop_cpu = time.process_time() - loop_c0

        # Statements per phase, on one more request of each group (untimed).
        queries: dict[str, dict[str, int]] = {}
        for g in groups:
            subject = spare[g][0]
            with CaptureQueriesContext(connection) as captured:
                marks = []
                request = check_request_bulletin(account=subject.account)
                marks.append(len(captured))
                check_record_counter_payment(
                    agent=world.counter[request.organisation_id],
                    reference=request.reference,
                    receipt=f"Q-B3-Q-{g}",
                )
                marks.append(len(captured))
                do_fulfil_request(request.reference)
                marks.append(len(captured))
            with CaptureQueriesContext(connection) as alone:
                compute_bulletin(subject.person, 3, today)
            queries[g] = {
                "request": marks[0],
                "payment": marks[1] - marks[0],
                "fulfil": marks[2] - marks[1],
                "compute_bulletin_alone": len(alone),
            }
        probe.take()
    finally:
        probe.restore()
    return {
        "rows": rows,
        "compute_rows": compute_rows,
        "bare_rows": bare_rows,
        "loop_wall_s": loop_wall,
        "loop_cpu_s": loop_cpu,
        "queries": queries,
        "groups": groups,
        "requesters": requesters,
        "others": others,
    }


# --------------------------------------------------------------------------- the casier query


def casier_query(entries: list[Subject], clean: list[Subject]) -> dict[str, Any]:
    """The SELECT ``casier_of`` runs (captured from a real call), its query plan, its time
    alone, and the same for a what-if rewrite of its merged-records condition."""
    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from jamana.identity.models import Person
    from jamana.justice.casier import casier_of
    from jamana.justice.models import Conviction

    def app_qs(person: Any) -> Any:
        """The queryset casier_of builds (its prefetch of events is a second query)."""
        return (
            Conviction.objects.filter(Q(person=person) | Q(person__merged_into=person))
            .select_related("court")
            .order_by("decided_on", "pk")
        )

    def whatif_qs(person: Any) -> Any:
        """Bench-side rewrite: both terms of the OR on justice_conviction.person_id."""
        merged = Person.objects.filter(merged_into=person).values("pk")
        return (
            Conviction.objects.filter(Q(person=person) | Q(person__in=merged))
            .select_related("court")
            .order_by("decided_on", "pk")
        )

    def explain(sql: str, params: Any) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return [str(row[-1]) for row in cursor.fetchall()]

    def as_run(qs: Any) -> str:
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            return str(connection.ops.last_executed_query(cursor, sql, params))

    person = entries[0].person
    with CaptureQueriesContext(connection) as captured:
        casier_of(person)
    app_sql = next(q["sql"] for q in captured.captured_queries if "justice_conviction" in q["sql"])
    out: dict[str, Any] = {
        "app_sql": app_sql,
        # The rebuilt queryset is the very statement casier_of ran (so its timing below is).
        "rebuilt_matches_captured": as_run(app_qs(person)) == app_sql,
        "app_plan": explain(*app_qs(person).query.sql_with_params()),
        "whatif_sql": as_run(whatif_qs(person)),
        "whatif_plan": explain(*whatif_qs(person).query.sql_with_params()),
    }

    def time_sql(build: Callable[[Any], Any], people: list[Subject]) -> tuple[list[float], int]:
        times, rows = [], 0
        with connection.cursor() as cursor:
            for s in people:
                sql, params = build(s.person).query.sql_with_params()
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
                times.append((time.perf_counter() - t0) * 1000)
        return times, rows

    sample = [*entries[:SELECT_SAMPLE], *clean[:SELECT_SAMPLE]]
    for build in (app_qs, whatif_qs):  # one warm pass each
        time_sql(build, sample[:5])
    app_t, app_rows = time_sql(app_qs, sample)
    whatif_t, whatif_rows = time_sql(whatif_qs, sample)
    out["app_select_ms"] = {**summarize(app_t), "rows": app_rows}
    out["whatif_select_ms"] = {**summarize(whatif_t), "rows": whatif_rows}
    out["same_rows"] = app_rows == whatif_rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM justice_conviction")
        out["conviction_rows"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        out["analyzed"] = bool(cursor.fetchone()[0])
        # Would planner statistics change the plan? Last, so nothing above is affected.
        t0 = time.perf_counter()
        cursor.execute("ANALYZE")
        out["analyze_s"] = round(time.perf_counter() - t0, 2)
    out["app_plan_after_analyze"] = explain(*app_qs(person).query.sql_with_params())
    time_sql(app_qs, sample[:5])
    after, _rows = time_sql(app_qs, sample)
    out["app_select_after_analyze_ms"] = summarize(after)
    return out


# --------------------------------------------------------------------------- checks


def run_checks(timed: dict[str, Any]) -> dict[str, bool]:
    """Every timed request issued, with one bulletin and one sealed receipt; blank exactly
    where expected; one bulletin of each group verifies (seal and registry)."""
    from jamana.audit.models import AuditEvent
    from jamana.documents.actions import read_document_file
    from jamana.documents.models import Document
    from jamana.documents.verification import Verdict, verify_pdf
    from jamana.justice.requests import B3_KIND
    from jamana.payments.models import PaymentIntent
    from jamana.procedures.models import RequestStatus, ServiceRequest

    expected_blank = {row["_reference"]: row["_subject"].blank for row in timed["rows"]}
    refs = list(expected_blank)
    issued = ServiceRequest.objects.filter(reference__in=refs, status=RequestStatus.ISSUED)
    bulletins = Document.objects.filter(request__reference__in=refs, kind=B3_KIND)
    receipts = PaymentIntent.objects.filter(purpose_ref__in=refs).exclude(receipt_number="")
    blank = {
        e.object_ref: e.detail.get("blank")
        for e in AuditEvent.objects.filter(action="justice.bulletin_issued", object_ref__in=refs)
    }
    first: dict[str, str] = {}
    for row in timed["rows"]:
        first.setdefault(row["group"], row["_reference"])
    verdicts = [
        verify_pdf(read_document_file(bulletins.get(request__reference=ref))).verdict
        for ref in first.values()
    ]
    return {
        "all_requests_issued": issued.count() == len(refs),
        "one_bulletin_each": bulletins.count() == len(refs),
        "one_sealed_receipt_each": receipts.count() == len(refs),
        "blank_exactly_where_expected": blank == expected_blank,
        "sample_bulletins_verify": all(v == Verdict.VALID for v in verdicts),
    }


# --------------------------------------------------------------------------- figures


# (key in the per-request row, label, indent) for the end-to-end breakdown.
PARTS = [
    ("request.wall", "request: check_request_bulletin", 1),
    ("request.competent_court", "competent_court", 2),
    ("payment.wall", "payment: check_record_counter_payment (+ sealed receipt on commit)", 1),
    ("payment.issue_document", "issue_document (the receipt)", 2),
    ("fulfil.wall", "fulfil: do_fulfil_request (run here, not by the worker)", 1),
    ("fulfil.compute_bulletin", "compute_bulletin", 2),
    ("fulfil.casier_of", "casier_of (the casier's SELECTs)", 3),
    ("fulfil.rules_in_force", "rules_in_force", 3),
    ("fulfil.issue_document", "issue_document (the bulletin)", 2),
    ("fulfil.render_pdf", "render_pdf ×2 (original, printable copy)", 3),
    ("fulfil.seal_pdf", "seal_pdf ×2 (PAdES B-LT)", 3),
    ("fulfil.sealing_material", "sealing_material", 3),
    ("fulfil.rest", "the rest (request lookup, audit, close as issued, SMS)", 2),
]


def figures(timed: dict[str, Any]) -> dict[str, Any]:
    rows = timed["rows"]
    for row in rows:
        row["fulfil.rest"] = (
            row["fulfil.wall"]
            - row.get("fulfil.compute_bulletin", 0.0)
            - row.get("fulfil.issue_document", 0.0)
        )
    out: dict[str, Any] = {"end_to_end": {}, "parts_ms": {}, "baselines": {}}
    for group in ("clean", "entries", "all"):
        chosen = [r for r in rows if group in ("all", r["group"])]
        out["end_to_end"][group] = {
            **summarize([r["total.wall"] for r in chosen]),
            "cpu_mean": statistics.fmean(r["total.cpu"] for r in chosen),
        }
        out["parts_ms"][group] = {
            key: summarize([r.get(key, 0.0) for r in chosen]) for key, _label, _i in PARTS
        }
    out["end_to_end"]["all"]["loop_per_s"] = len(rows) / timed["loop_wall_s"]
    for name, source in (
        ("compute_bulletin", "compute_rows"),
        ("bare_issue_document", "bare_rows"),
    ):
        for group in ("clean", "entries", "all"):
            chosen = [r for r in timed[source] if group in ("all", r["group"])]
            out["baselines"][f"{name}.{group}"] = summarize([r["total.wall"] for r in chosen])
        if name == "compute_bulletin":
            out["baselines"]["compute_bulletin.casier_of"] = summarize(
                [r.get("compute_only.casier_of", 0.0) for r in timed[source]]
            )
        else:
            out["baselines"]["bare_issue_document.seal_pdf"] = summarize(
                [r.get("bare_issue.seal_pdf", 0.0) for r in timed[source]]
            )
    e2e = out["end_to_end"]["all"]["mean"]
    parts = out["parts_ms"]["all"]
    sealing = parts["payment.issue_document"]["mean"] + parts["fulfil.issue_document"]["mean"]
    out["shares_of_end_to_end"] = {
        "compute_bulletin": parts["fulfil.compute_bulletin"]["mean"] / e2e,
        "casier_of": parts["fulfil.casier_of"]["mean"] / e2e,
        "issue_document_bulletin": parts["fulfil.issue_document"]["mean"] / e2e,
        "issue_document_receipt": parts["payment.issue_document"]["mean"] / e2e,
        "issue_document_both": sealing / e2e,
        "seal_pdf_both": (
            parts["fulfil.seal_pdf"]["mean"]
            + statistics.fmean(r.get("payment.seal_pdf", 0.0) for r in rows)
        )
        / e2e,
    }
    return out


def fmt(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def table(result: dict[str, Any]) -> list[list[str]]:
    f = result["figures"]
    rows = []
    labels = {
        "clean": "end to end, clean casier",
        "entries": "end to end, casier with entries",
        "all": "end to end, all",
    }
    for group, label in labels.items():
        s = f["end_to_end"][group]
        rows.append([label, str(s["n"]), fmt(s["per_s"]), *ms(s), f"{s['cpu_mean']:.1f}"])
    for key, label, indent in PARTS:
        s = f["parts_ms"]["all"][key]
        rows.append(["  " * indent + label, str(s["n"]), "", *ms(s), ""])
    b = f["baselines"]
    for key, label in (
        ("compute_bulletin.clean", "baseline: compute_bulletin alone, clean"),
        ("compute_bulletin.entries", "baseline: compute_bulletin alone, with entries"),
        ("compute_bulletin.casier_of", "  casier_of in it"),
        ("bare_issue_document.all", "baseline: bare issue_document, same content"),
        ("bare_issue_document.seal_pdf", "  seal_pdf ×2 in it"),
    ):
        s = b[key]
        rate = "" if key.endswith(("casier_of", "seal_pdf")) else fmt(s["per_s"])
        rows.append([label, str(s["n"]), rate, *ms(s), ""])
    q = result["casier_query"]
    for key, label in (
        ("app_select_ms", "casier SELECT alone (casier_of's SQL)"),
        ("whatif_select_ms", "  what-if: OR on person_id only"),
        ("app_select_after_analyze_ms", "  casier_of's SQL after ANALYZE"),
    ):
        s = q[key]
        rows.append([label, str(s["n"]), fmt(s["per_s"]), *ms(s), ""])
    return rows


def ms(s: dict[str, float]) -> list[str]:
    return [f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['mean']:.2f}"]


HEADERS = ["what", "n", "per s", "p50 ms", "p99 ms", "mean ms", "CPU ms"]


def findings(result: dict[str, Any]) -> list[str]:
    f, q = result["figures"], result["casier_query"]
    sh = f["shares_of_end_to_end"]
    e2e = f["end_to_end"]["all"]
    b = f["baselines"]
    # If casier_of's SELECT cost what the what-if costs: an estimate from the medians (less
    # moved than the means when other processes share the CPU), not a measurement.
    saved = q["app_select_ms"]["p50"] - q["whatif_select_ms"]["p50"]
    projected = 1000 / (e2e["p50"] - saved)
    compute_projected = 1000 / (b["compute_bulletin.all"]["p50"] - saved)
    return [
        f"{e2e['per_s']:.1f} bulletins n°3 issued per second end to end on one process "
        f"(mean {e2e['mean']:.0f} ms, p50 {e2e['p50']:.0f} ms, p99 {e2e['p99']:.0f} ms); clean "
        f"{f['end_to_end']['clean']['per_s']:.1f}/s, with entries "
        f"{f['end_to_end']['entries']['per_s']:.1f}/s; {e2e['cpu_mean']:.0f} ms of CPU per "
        f"request, i.e. ~{1000 / e2e['cpu_mean']:.1f} per CPU-second.",
        f"issue_document takes {sh['issue_document_both']:.0%} of a request (bulletin "
        f"{sh['issue_document_bulletin']:.0%}, payment receipt "
        f"{sh['issue_document_receipt']:.0%}); "
        f"seal_pdf alone {sh['seal_pdf_both']:.0%}. compute_bulletin takes "
        f"{sh['compute_bulletin']:.1%} (casier_of {sh['casier_of']:.1%}).",
        f"Baselines: compute_bulletin alone {b['compute_bulletin.all']['per_s']:,.0f}/s "
        f"(clean {b['compute_bulletin.clean']['per_s']:,.0f}/s, with entries "
        f"{b['compute_bulletin.entries']['per_s']:,.0f}/s); a bare issue_document of the same "
        f"content {b['bare_issue_document.all']['per_s']:.1f}/s.",
        f"casier query alone: p50 {q['app_select_ms']['p50']:.2f} ms over "
        f"{q['conviction_rows']:,} convictions; the what-if with both OR terms on person_id "
        f"p50 {q['whatif_select_ms']['p50']:.3f} ms (same rows: {q['same_rows']}). Saving "
        f"{saved:.1f} ms per casier would give ~{projected:.1f} bulletins/s end to end and "
        f"~{compute_projected:,.0f} compute_bulletin/s (estimate from the medians). After "
        f"ANALYZE the plan changes and the query takes p50 "
        f"{q['app_select_after_analyze_ms']['p50']:.0f} ms.",
    ]


def print_report(result: dict[str, Any]) -> None:
    rows = table(result)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    p = result["population"]
    print()
    print(
        f"{p['persons']:,} persons, {p['convicted']:,} convicted ({p['convictions']:,} "
        f"convictions, {p['events']:,} events), built in {p['build_s']:.0f} s; database "
        f"{p['db_mib']:,.0f} MiB"
    )
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(HEADERS, widths, strict=True))
        )
    )
    for row in rows:
        print(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    sel = result["selection"]
    print(
        f"Of {sel['convicted_checked']:,} convicted persons drawn, {sel['needing_review']:,} "
        f"({(sel['needing_review_share'] or 0):.0%}) have a bulletin for the greffe's review "
        f"(not timed), persons by reason: {sel['review_reasons']}; of the decidable ones "
        f"chosen, {sel['entries_blank']} have a blank B3 and {sel['entries_with_lines']} a B3 "
        "with lines"
    )
    loop = result["loop"]
    print(
        f"Timed loop: {loop['wall_s']} s wall, {loop['cpu_s']} s CPU of this process "
        f"(CPU/wall {loop['cpu_share']}; under ~0.95, other processes shared the CPU)"
    )
    q = result["casier_query"]
    print("\nEXPLAIN QUERY PLAN of casier_of's SELECT:")
    for line in q["app_plan"]:
        print(f"  {line}")
    print("what-if (OR on person_id only):")
    for line in q["whatif_plan"]:
        print(f"  {line}")
    print(f"after ANALYZE ({q['analyze_s']} s), casier_of's SELECT:")
    for line in q["app_plan_after_analyze"]:
        print(f"  {line}")
    print()
    for line in findings(result):
        print(f"- {line}")
    print(f"SQL statements: {result['queries']}")
    print(f"Checks: {result['checks']}")


def markdown(result: dict[str, Any], json_name: str) -> str:
    m, p, s = result["machine"], result["population"], result["selection"]
    out = [
        f"# Bulletins n°3 end to end over {p['persons']:,} persons — {result['started_at']}",
        "",
        f"`bench/justice_b3.py`, raw figures in `{json_name}`. {m['nproc']} CPUs, "
        f"{m['cpu_model']}; Python {m['python']}, SQLite {m['sqlite']}, Django "
        f"{m['versions']['Django']}, pyHanko {m['versions']['pyHanko']}. Git "
        f"{result['git']['commit'][:12]}{' (dirty tree)' if result['git']['dirty'] else ''}. "
        f"Load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end. "
        f"Total {result['total_s']:.0f} s.",
        "",
        f"Population: {p['persons']:,} persons, {p['convicted']:,} convicted, "
        f"{p['convictions']:,} convictions, {p['events']:,} events; bulk-created in "
        f"{p['build_s']:.0f} s ({p['persons'] / p['build_s']:,.0f} persons/s with their "
        f"casiers); database {p['db_mib']:,.0f} MiB. Of {s['convicted_checked']:,} convicted "
        f"persons drawn, {s['needing_review']:,} ({(s['needing_review_share'] or 0):.0%}) have "
        "a bulletin that goes to the greffe's review (no PDF; not timed); persons by reason: "
        f"{s['review_reasons']}. Of the decidable casiers with entries chosen, "
        f"{s['entries_blank']} give a blank B3 and {s['entries_with_lines']} a B3 with lines.",
        "",
        "One process, sequential; the fulfilment is `do_fulfil_request(reference)` called "
        "in-process after the payment, not the task worker. Each request issues two sealed "
        "documents (the payment receipt and the bulletin), each sealed twice (original and "
        "printable copy).",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| " + " | ".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + " |",
    ]
    for row in table(result):
        label = row[0]
        indent = len(label) - len(label.lstrip(" "))
        out.append("| " + " | ".join(["&nbsp;" * indent + label.strip(), *row[1:]]) + " |")
    q = result["casier_query"]
    out += [
        "",
        "`per s` is n ÷ the sum of the timed calls (one process, one at a time); latencies are "
        "wall clock; CPU ms is this process's CPU time per request. Timed loop: "
        f"{result['loop']['wall_s']} s wall, {result['loop']['cpu_s']} s CPU "
        f"(CPU/wall {result['loop']['cpu_share']}; under ~0.95, other processes shared the CPU).",
        "",
        f"**casier_of's SELECT** (captured; {q['conviction_rows']:,} convictions; "
        f"{'ANALYZE run' if q['analyzed'] else 'no ANALYZE, as in production'}):",
        "",
        "```sql",
        q["app_sql"],
        "```",
        "",
        "EXPLAIN QUERY PLAN:",
        "",
        "```",
        *q["app_plan"],
        "```",
        "",
        "What-if (bench-side rewrite, both OR terms on `person_id`):",
        "",
        "```sql",
        q["whatif_sql"],
        "```",
        "",
        "```",
        *q["whatif_plan"],
        "```",
        "",
        f"casier_of's SELECT after `ANALYZE` ({q['analyze_s']} s), at the very end:",
        "",
        "```",
        *q["app_plan_after_analyze"],
        "```",
        "",
        *[f"- {line}" for line in findings(result)],
        f"- SQL statements per phase: {result['queries']}.",
        f"- Checks: {result['checks']}.",
    ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the casier")
    parser.add_argument("--requests", type=int, default=300, help="requesting persons (timed)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir")
    parser.add_argument("--no-write", action="store_true", help="print only")
    opts = parser.parse_args(argv)
    if opts.persons < 20_000 or not 2 <= opts.requests <= 5_000:
        parser.error("--persons ≥ 20,000 and 2 ≤ --requests ≤ 5,000")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_system_exit)
    started_at = dt.datetime.now().astimezone()
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-b3bench-"))
    result: dict[str, Any] = {
        "benchmark": "justice_b3",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "git": git_state(),
        "params": {k: v for k, v in vars(opts).items()},
        "settings": {
            "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
            "JAMANA_ENV": "production",
            "DEBUG": False,
            "DATABASE": "SQLite in a temp dir, WAL, synchronous=NORMAL (the settings' pragmas)",
            "fulfilment": "do_fulfil_request called in-process after the payment (no worker)",
        },
    }
    try:
        setup_instance(tmp)
        from django.db import connection
        from django.utils import timezone

        today = timezone.localdate()
        world = make_world()
        print(
            f"Setup (migrate, geography, {len(world.courts)} courts, PKI) in "
            f"{time.perf_counter() - t0:.1f} s: {tmp}",
            flush=True,
        )

        pop = Population(world, opts.seed, today)
        b0 = time.perf_counter()
        step = max(CHUNK, opts.persons // 10)

        def progress(done: int) -> None:
            if done % step < CHUNK or done == opts.persons:
                rate = done / (time.perf_counter() - b0)
                print(f"  {done:>9,} persons ({rate:,.0f}/s)", flush=True)

        print(f"Population: bulk-creating {opts.persons:,} persons and their casiers …", flush=True)
        pop.populate(opts.persons, progress)
        build_s = time.perf_counter() - b0
        connection.close()  # back to the settings' connection (pragmas) for what is timed
        db = Path(tmp / "bench.sqlite3")
        result["population"] = {
            "persons": opts.persons,
            "convicted": len(pop.convicted_ids),
            "convictions": pop.counts["convictions"],
            "events": pop.counts["events"],
            "counts": dict(sorted(pop.counts.items())),
            "build_s": round(build_s, 1),
            "db_mib": round(sum(f.stat().st_size for f in tmp.glob("bench.sqlite3*")) / 2**20, 1),
        }
        assert db.exists()

        print("Choosing requesters (bulletins computed once, untimed) …", flush=True)
        subjects, selection = choose_subjects(opts, pop, today)
        result["selection"] = selection
        timed = run_timed(opts, world, subjects, today)
        print("Casier SELECT: plan and time alone …", flush=True)
        result["casier_query"] = casier_query(
            timed["requesters"]["entries"], timed["requesters"]["clean"]
        )
        result["checks"] = run_checks(timed)
        result["queries"] = timed["queries"]
        result["figures"] = figures(timed)
        result["loop"] = {
            "wall_s": round(timed["loop_wall_s"], 2),
            "cpu_s": round(timed["loop_cpu_s"], 2),
            "cpu_share": round(timed["loop_cpu_s"] / timed["loop_wall_s"], 3),
        }
        result["requests"] = [
            {k: v for k, v in row.items() if not k.startswith("_")} for row in timed["rows"]
        ]
    finally:
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["total_s"] = round(time.perf_counter() - t0, 1)
    print_report(result)
    if not opts.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path = RESULTS / f"justice_b3-{started_at:%Y%m%d-%H%M%S}.json"
        write_atomically(json_path, json.dumps(result, indent=2, default=str) + "\n")
        md_path = RESULTS / "justice_b3-latest.md"
        write_atomically(md_path, markdown(result, json_path.relative_to(REPO).as_posix()))
        print(f"\nWrote {json_path.relative_to(REPO)} and {md_path.relative_to(REPO)}")
    ok = all(result["checks"].values())
    print(f"Total {result['total_s']:.0f} s; checks {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
