"""Benchmark: the deadline rush of a civil-service concours — 60,000 applications signed and
submitted through the public API against gunicorn + PostgreSQL, half of them in a compressed
"last two hours", each stored exactly once.

A concours draws 40,000 to 66,000 applicants, and many thousands sign in the last hours. This
script builds a throw-away production-configured instance on PostgreSQL (database
``bench_calls`` at 127.0.0.1:5432, made and dropped here; key store and media in a temp dir),
with a recruiting body, its officer, the PKI (software keys) and one recruitment call, and N
applicants (default 60,000), each with a person, a NINA, an account, a signed-in session and
a **ready-to-sign draft** (consent given, birth act, bulletin n°3 and certificate of
nationality fetched, diploma uploaded and scanned clean). Plain data is bulk-created; one
bulk-made draft is checked against one made through the real actions (same canonical JSON,
same eligibility, same document rows).

Then a separate load-generator process (asyncio + aiohttp) plays the applicants' phones
against gunicorn: ``POST /api/v1/me/applications/{ref}/signature`` (the SMS code bound to the
content's SHA-256 is queued), the code read from the SMS outbox in PostgreSQL as the phone
would receive it, ``POST …/submit {"code"}`` (detached CAdES signature with the person's
certificate, SUBMITTED, audit, receipt queued). About 3 % of the submits are sent twice: an
answer lost (the client gives up after 30 ms and sends again), sent again after the answer, or
two at once.

- phase A: the first half "over the weeks", at a modest concurrency;
- phase B: the second half "in the last two hours", compressed into minutes: a sweep of
  concurrencies, then the rest at the highest one the machine sustains (no error, p99 of
  ``/submit`` under a limit, throughput within 10 % of the best);
- baselines in the same run and gunicorn configuration: a trivial view answering the same
  authenticated POST (session + CSRF; ``bench.baseline_urls``), and ``GET`` of one's own
  application through the same API (ninja + session auth + one read);
- closing: a few submits one second before ``closes_at`` (accepted) and one second after
  (refused, ``call_closed``); a resend after closing of an application already submitted
  (the same application, nothing new).

Then the exactly-once proof from the database, an in-process sample (first-time signer vs
certificate already issued, with a sampling profile and query counts) and the cost of the sealed
receipts the worker will have to issue.

    .venv/bin/python bench/calls_rush.py                 # 60,000 applicants, 40-50 min on 2 CPUs
    .venv/bin/python bench/calls_rush.py --applicants 3000 --step-seconds 10 --no-write  # ~5 min
    .venv/bin/python bench/calls_rush.py --help

Figures go to bench/results/calls_rush-<timestamp>.json and bench/results/calls_rush-latest.md
(and stdout). Only 127.0.0.1 is contacted; the servers and the load generator started here are
stopped, the temp dir removed and the database dropped on exit (``--keep-db``, ``--keep-tmp``).
See bench/CALLS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import os
import queue
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from _support import (
    BenchError,
    cpu_model,
    git_state,
    gunicorn_args,
    http_request,
    manage,
    percentile,
    print_log_tails,
    raise_system_exit,
    scratch_env,
    stop_group,
    version,
    write_atomically,
)
from _support import wait_ready as _wait_ready

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
HOST = "127.0.0.1"  # the only address this script ever talks to
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")

RUSH_CALL, REF_CALL, SAMPLE_CALL = "FP-2026-RUSH", "FP-2026-REF", "FP-2026-SAMPLE"
CHUNK = 5_000  # applicants per bulk round (one transaction each)
LOST_AFTER_S = 0.030  # a "lost answer": the client gives up this soon and sends again
RETRY_KINDS = ("lost", "again", "double")  # each a third of --retry-share
CLOSING_EACH_SIDE_DEFAULT = 5
RESEND_AFTER_CLOSING = 2  # applicants of phase B who send their submit again after closing
NEVER_SIGNED_AFTER_CLOSING = 2  # applicants who ask for a code only after closing
ERROR_RETRIES = 2  # a phone app's retries after a 5xx or a broken connection, 1 s apart
MARK = "MARK "
PROGRESS = "PROGRESS "


def raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# =========================================================================== small helpers


def dist(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN) as conn:
        conn.autocommit = True
        conn.execute(sql)  # type: ignore[arg-type]


def pg_settings(dbname: str) -> dict[str, str]:
    import psycopg

    names = (
        "server_version",
        "max_connections",
        "shared_buffers",
        "synchronous_commit",
        "fsync",
        "wal_level",
    )
    with psycopg.connect(PG_ADMIN.replace("dbname=postgres", f"dbname={dbname}")) as conn:
        return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]


# --------------------------------------------------------------------------- CPU accounting


def _proc_table() -> list[tuple[int, int, str, int, int]]:
    """(pid, ppid, comm, own ticks, waited-for children's ticks) of every process."""
    rows = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        head, _, tail = raw.rpartition(")")
        comm = head.split("(", 1)[1] if "(" in head else ""
        fields = tail.split()
        try:
            rows.append(
                (
                    int(entry),
                    int(fields[1]),
                    comm,
                    int(fields[11]) + int(fields[12]),
                    int(fields[13]) + int(fields[14]),
                )
            )
        except (IndexError, ValueError):
            continue
    return rows


def cpu_snapshot(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process group (a root and its direct children:
    gunicorn master and workers), of PostgreSQL (every ``postgres`` process, plus the ended
    backends the postmaster has reaped), of this process, and of the whole machine."""
    table = _proc_table()
    comm_of = {pid: comm for pid, _ppid, comm, _t, _c in table}
    out: dict[str, float] = {}
    for name, root in roots.items():
        ticks = sum(t for pid, ppid, _c, t, _ct in table if pid == root or ppid == root)
        out[name] = ticks / CLK_TCK
    pg = 0
    for _pid, ppid, comm, ticks, cticks in table:
        if comm == "postgres":
            pg += ticks
            if comm_of.get(ppid) != "postgres":  # the postmaster: add its reaped children
                pg += cticks
    out["postgres"] = pg / CLK_TCK
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["bench"] = usage.ru_utime + usage.ru_stime
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(x) for x in stat.readline().split()[1:9]
        )
    out["machine"] = (user + nice + system + irq + softirq) / CLK_TCK
    out["steal"] = steal / CLK_TCK
    out["wall"] = time.time()
    return out


def cpu_delta(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Cores used by each part between two snapshots (CPU seconds ÷ wall seconds)."""
    wall = max(1e-9, b["wall"] - a["wall"])
    out = {k: (b[k] - a[k]) / wall for k in a if k != "wall"}
    known = sum(out.get(k, 0.0) for k in ("app", "baseline", "postgres", "loadgen", "bench"))
    out["other"] = max(0.0, out["machine"] - known)
    out["wall_s"] = wall
    return out


# =========================================================================== the instance


def make_env(tmp: Path, opts: argparse.Namespace) -> dict[str, str]:
    """The production environment a deployment sets, on the scratch database and dirs."""
    return scratch_env(
        tmp,
        f"postgres://postgres@127.0.0.1:5432/{opts.db}",
        # Persistent connections, as a production instance keeps them (and as ussd.py).
        DB_CONN_MAX_AGE=str(opts.conn_max_age),
    )


def setup_django(env: dict[str, str]) -> None:
    """This process becomes a Django client of the same database and settings. The reference
    applicant's diploma is scanned by clamscan with the development signature database (this
    process only; no scan runs in gunicorn during the rush)."""
    os.environ.update(env)
    os.environ["JAMANA_MALWARE_SCANNER"] = "clamscan"
    os.environ["JAMANA_CLAMAV_DATABASE"] = str(REPO / "jamana" / "calls" / "clamav")
    os.environ["LOG_LEVEL"] = "WARNING"  # production logs INFO per seal; not here
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


class World:
    """The organisations, agents and calls the rush needs (built through the real actions)."""

    def __init__(self) -> None:
        self.body: Any = None
        self.officer: Any = None
        self.calls: dict[str, Any] = {}
        self.courts: dict[str, Any] = {}
        self.cashier: Any = None
        self.magistrate: Any = None


def make_world() -> World:
    """PKI, geography, the court of Commune III with its cashier and magistrate (for the
    reference applicant's certificate of nationality), the recruiting body and its officer,
    and three calls of the same shape as ``testing.make_call``'s: the rush (a draft until the
    load starts, when its closing time is known), the reference applicant's, and the in-process
    sample's."""
    from django.utils import timezone

    # The tests' own personas and steps: the reference applicant goes exactly the way the
    # journey test does (jamana/calls/tests/test_application_journey.py).
    from jamana.calls.tests.conftest import make_calls_officer, make_recruiting_body
    from jamana.identity.models import Role
    from jamana.justice.tests.conftest import make_clerk, make_courts
    from jamana.pki.actions import do_trust_init
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE
    from jamana.testing import make_call

    world = World()
    do_trust_init()
    world.courts = make_courts()  # also loads the geography
    for spec in CATALOGUE:
        if spec["code"] in ("justice.b3", "justice.nationality"):
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=world.courts["c3"], **fields)
    world.cashier = make_clerk(
        world.courts["c3"], phone="+22376000072", nina="19700101000072B", role=Role.COUNTER_AGENT
    )
    world.magistrate = make_clerk(
        world.courts["c3"], phone="+22376000073", nina="19700101000073C", role=Role.MAGISTRATE
    )
    world.body = make_recruiting_body()
    world.officer = make_calls_officer(world.body)
    now = timezone.now()
    opens = now - dt.timedelta(days=30)  # open for a month before the rush
    for code, publish in ((RUSH_CALL, False), (REF_CALL, True), (SAMPLE_CALL, True)):
        world.calls[code] = make_call(
            organisation=world.body,
            agent=world.officer,
            code=code,
            opens_at=opens,
            closes_at=now + dt.timedelta(days=30),  # the rush call's is set before the load
            publish=publish,
        )
    return world


# --------------------------------------------------------------------------- reference


def make_reference_applicant(world: World) -> Any:
    """One applicant through the real actions, as the journey test: birth act in the register,
    certificate of nationality asked, paid and granted, then start, fill in, consent and fetch,
    upload the diploma, and the virus scan the worker would run. Returns the application."""
    from jamana.calls import actions
    from jamana.calls.models import ApplicationDocument
    from jamana.calls.tests.conftest import (
        grant_nationality,
        make_applicant,
        register_birth,
        small_pdf,
    )

    call = world.calls[REF_CALL]
    account = make_applicant(
        phone="+22376100001",
        nina="19980203000101A",
        given_names="Awa",
        family_name="Diallo",
        sex="F",
        birth_date=dt.date(1998, 2, 3),
    )
    register_birth(account, number=101)
    grant_nationality(account, world.courts, world.cashier, world.magistrate)
    application = actions.check_start_application(account=account, call=call, post_code="ADM")
    ref = application.reference
    actions.check_update_application(
        account=account,
        reference=ref,
        answers={q["code"]: "Réponse" for q in call.questions},
        diploma_level="licence",
        declared_not_civil_servant=True,
        exam_centre_id=call.centres.first().pk,
    )
    actions.check_consent_and_fetch(account=account, reference=ref)
    document = actions.check_upload_document(
        account=account,
        reference=ref,
        kind="diploma",
        data=small_pdf(),
        filename="diplome-licence.pdf",
    )
    result = actions.do_scan_document(document.pk)  # what the scan task runs
    if result != "clean":
        raise BenchError(f"the reference diploma was not scanned clean: {result}")
    assert ApplicationDocument.objects.filter(application=application).count() == 4
    application.refresh_from_db()
    return application


# --------------------------------------------------------------------------- bulk drafts


def diploma_template() -> tuple[bytes, bytes]:
    """A real one-page PDF (uncompressed, so a fixed-width placeholder can be replaced by each
    applicant's own text without moving the cross-reference offsets)."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    placeholder = b"X" * 40
    buffer = BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    page.drawString(72, 720, "Diplome de licence")
    page.drawString(72, 700, placeholder.decode())
    page.save()
    data = buffer.getvalue()
    if data.count(placeholder) != 1:
        raise BenchError("the diploma template's placeholder is not unique")
    return data, placeholder


class Facts:
    """What one bulk applicant's draft is made of: the person and the documents read for them
    (as the State's registers would answer) and their upload."""

    __slots__ = (
        "account",
        "act",
        "b3_on",
        "consent_at",
        "diploma",
        "diploma_name",
        "nationality_number",
        "nina",
        "person",
        "phone",
        "prep_at",
    )
    account: Any
    act: tuple[str, int, int]  # the birth act's centre, year and number
    b3_on: dt.date
    consent_at: dt.datetime
    diploma: bytes
    diploma_name: str
    nationality_number: str
    nina: str
    person: Any
    phone: str
    prep_at: dt.datetime


def draft_rows(
    call: Any, post: Any, centre: Any, facts: Facts, reference: str
) -> tuple[Any, list[Any]]:
    """The Application and ApplicationDocument rows the real actions leave for a ready-to-sign
    draft (check_start_application → check_update_application → check_consent_and_fetch →
    check_upload_document → do_scan_document), not yet saved. Eligibility is computed with the
    actions' own ``_facts`` and ``rules_of``."""
    from jamana.calls import actions
    from jamana.calls import eligibility as rules
    from jamana.calls.models import (
        DIPLOMA_ORDER,
        Application,
        ApplicationDocument,
        ApplicationStatus,
        Channel,
        DocumentKind,
        DocumentSource,
        ScanStatus,
    )

    t = facts.prep_at
    application = Application(
        reference=reference,
        call=call,
        post=post,
        exam_centre=centre,  # the call's only centre, chosen at start
        person=facts.person,
        account=facts.account,
        status=ApplicationStatus.DRAFT,
        channel=Channel.WEB,
        answers={},  # make_call's calls ask no question of their own
        diploma_level="licence",
        declared_not_civil_servant=True,
        consent_at=facts.consent_at,
        created_at=t,
        updated_at=t + dt.timedelta(minutes=6),
    )
    sha = hashlib.sha256(facts.diploma).hexdigest()
    documents = [
        ApplicationDocument(
            application=application,
            kind=DocumentKind.BIRTH_ACT,
            source=DocumentSource.FETCHED,
            summary={"centre": facts.act[0], "year": facts.act[1], "number": facts.act[2]},
            at=facts.consent_at,
        ),
        ApplicationDocument(
            application=application,
            kind=DocumentKind.CRIMINAL_RECORD,
            source=DocumentSource.FETCHED,
            summary={"blank": True, "review": False, "on": facts.b3_on.isoformat()},
            at=facts.consent_at,
        ),
        ApplicationDocument(
            application=application,
            kind=DocumentKind.NATIONALITY,
            source=DocumentSource.FETCHED,
            summary={"number": facts.nationality_number},
            service_request=None,
            at=facts.consent_at,
        ),
        ApplicationDocument(
            application=application,
            kind=DocumentKind.DIPLOMA,
            source=DocumentSource.UPLOADED,
            stored_file=f"calls/{reference}/diploma-{sha[:16]}.pdf",
            filename=facts.diploma_name,
            content_type="application/pdf",
            size=len(facts.diploma),
            sha256=sha,
            scan_status=ScanStatus.CLEAN,
            scan_detail="clamscan",
            at=t + dt.timedelta(minutes=5),
        ),
    ]
    # The actions' own eligibility code over these rows, held as if prefetched (a related
    # manager wants a primary key: a placeholder one, for the duration of the call).
    application.pk = 0
    application._prefetched_objects_cache = {"documents": documents}  # type: ignore[attr-defined]
    checks = rules.check_eligibility(
        actions.rules_of(application), actions._facts(application), DIPLOMA_ORDER
    )
    del application._prefetched_objects_cache  # type: ignore[attr-defined]
    application.pk = None
    application.eligibility = [
        {"code": c.code, "ok": c.ok, "params": dict(c.params)} for c in checks
    ]
    application.eligible = rules.verdict(checks)
    return application, documents


class Population:
    """Bulk creation of applicants: persons, NINA, accounts, signed-in sessions, drafts, their
    files, and the audit and access rows the real path would have left."""

    def __init__(self, world: World, seed: int) -> None:
        from django.utils import timezone

        from jamana.civil.models import RegistryCentre
        from jamana.core.geography import valid_on
        from jamana.procedures.demo import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES

        self.world = world
        self.rng = random.Random(seed)
        self.names = (FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES)
        today = timezone.localdate()
        self.communes = list(
            valid_on(today).filter(country="ML", level="commune").values_list("pk", flat=True)
        )
        self.bamako = [
            pk
            for pk, code in valid_on(today)
            .filter(country="ML", level="commune", code__startswith="ML-00-")
            .values_list("pk", "code")
        ]
        centre = RegistryCentre.objects.select_related("organisation").first()
        self.centre_name = centre.organisation.name if centre else "Centre principal d'état civil"
        self.template, self.placeholder = diploma_template()
        self.year = today.year
        self.now = timezone.now()
        self.next_index = 0
        self.media = Path(os.environ["MEDIA_ROOT"])

    def _facts(self, index: int, call: Any) -> Facts:
        from jamana.identity.models import Account, Person

        rng = self.rng
        family, female, male = self.names
        sex = rng.choice("FM")
        given = rng.choice(female if sex == "F" else male)
        if rng.random() < 0.12:
            given = f"{given} {rng.choice(female if sex == 'F' else male)}"
        # Ages 19 to 38 on 31 December: inside make_call's 18 to 40.
        birth = dt.date(self.year - rng.randint(19, 38), 1, 1) + dt.timedelta(
            days=rng.randrange(365)
        )
        commune = rng.choice(self.bamako) if rng.random() < 0.2 else rng.choice(self.communes)
        person = Person(
            given_names=given,
            family_name=rng.choice(family),
            sex=sex,
            birth_date=birth,
            birth_commune_id=commune,
            preferred_language="fr",
        )
        from jamana.core.names import blocking_key

        person.family_key = blocking_key(person.family_name)  # bulk_create skips save()
        f = Facts()
        f.person = person
        f.nina = f"{birth:%Y%m%d}{500_000 + index:06d}{'ABCDEFGHJK'[index % 10]}"
        f.phone = f"+22365{index:06d}"
        language = "fr" if rng.random() < 0.85 else rng.choice(["bm", "en"])
        f.account = Account(
            phone=f.phone,
            person=person,
            display_name=person.full_name,
            language=language,
            is_active=True,
        )
        # Prepared some time over the month the call has been open.
        opens = call.opens_at
        span = (self.now - dt.timedelta(hours=1) - opens).total_seconds()
        f.prep_at = opens + dt.timedelta(seconds=rng.random() * span)
        f.consent_at = f.prep_at + dt.timedelta(minutes=2)
        f.b3_on = f.consent_at.date()  # Bamako is UTC+0: the local date
        f.act = (self.centre_name, birth.year, 1 + rng.randrange(9_000))
        f.nationality_number = "".join(
            rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXY") for _ in "x" * 9
        )
        text = f"{person.full_name[:28]} {index:011d}".ljust(40)[:40].encode("latin-1", "replace")
        f.diploma = self.template.replace(self.placeholder, text)
        f.diploma_name = "diplome-licence.pdf"
        return f

    def create(self, call_code: str, count: int, *, label: str) -> list[dict[str, Any]]:
        """``count`` applicants with ready-to-sign drafts to ``call_code``; returns, for each,
        what a phone knows (reference, session key, phone number) and the ids."""
        from django.contrib.auth.hashers import make_password
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.db import transaction

        from jamana.audit.models import AccessEvent, AuditEvent
        from jamana.calls.models import Application, ApplicationDocument
        from jamana.core.references import new_reference
        from jamana.identity.models import Account, IdentifierKind, Person, PersonIdentifier

        call = self.world.calls[call_code]
        post = call.posts.get(code="ADM")
        centre = call.centres.get()
        org = call.organisation

        def purpose(ref: str) -> str:  # as actions._purpose words it
            return (
                f"Candidature {ref[0:3]}-{ref[3:6]}-{ref[6:9]} — {call.code} "
                "(avec le consentement du candidat)"
            )

        out: list[dict[str, Any]] = []
        store = SessionStore()
        expire = self.now + dt.timedelta(hours=24)
        references: set[str] = set(
            Application.objects.filter(call=call).values_list("reference", flat=True)
        )
        done = 0
        t0 = time.perf_counter()
        while done < count:
            n = min(CHUNK, count - done)
            facts = [self._facts(self.next_index + i, call) for i in range(n)]
            self.next_index += n
            with transaction.atomic():
                Person.objects.bulk_create([f.person for f in facts])
                PersonIdentifier.objects.bulk_create(
                    [
                        PersonIdentifier(person=f.person, kind=IdentifierKind.NINA, value=f.nina)
                        for f in facts
                    ]
                )
                for f in facts:
                    f.account.person = f.person
                    # Unusable password: hashing 60,000 Argon2 passwords is no part of the rush.
                    f.account.password = make_password(None)
                Account.objects.bulk_create([f.account for f in facts])
                sessions = []
                apps, docs, audit, access = [], [], [], []
                for f in facts:
                    key = secrets.token_hex(16)
                    data = {
                        "_auth_user_id": str(f.account.pk),
                        "_auth_user_backend": "jamana.identity.backends.AccountBackend",
                        "_auth_user_hash": f.account.get_session_auth_hash(),
                    }
                    sessions.append(
                        Session(
                            session_key=key, session_data=store.encode(data), expire_date=expire
                        )
                    )
                    ref = new_reference()
                    while ref in references:
                        ref = new_reference()
                    references.add(ref)
                    application, documents = draft_rows(call, post, centre, f, ref)
                    apps.append(application)
                    docs.append(documents)
                    out.append(
                        {
                            "reference": ref,
                            "session_key": key,
                            "phone": f.phone,
                            "account_id": f.account.pk,
                            "person_id": f.person.pk,
                        }
                    )
                    audit += self._audit_rows(f, ref, call, org)
                    access += [
                        AccessEvent(
                            at=f.consent_at,
                            person=f.person,
                            organisation=org,
                            object_type=kind,
                            object_ref=obj,
                            purpose=purpose(ref)[:200],
                        )
                        for kind, obj in (
                            ("birth_act", f"ML-CEC-BKO-C3/{f.act[1]}/{f.act[2]}"),
                            ("casier_b3", str(f.person.pk)),
                            ("document", f.nationality_number),
                        )
                    ]
                Session.objects.bulk_create(sessions)
                Application.objects.bulk_create(apps)
                for application, documents in zip(apps, docs, strict=True):
                    for d in documents:
                        d.application = application  # now with its pk
                ApplicationDocument.objects.bulk_create([d for ds in docs for d in ds])
                AuditEvent.objects.bulk_create(audit, batch_size=2_000)
                AccessEvent.objects.bulk_create(access, batch_size=2_000)
            for f, row in zip(facts, out[-n:], strict=True):
                path = self.media / "calls" / row["reference"]
                path.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256(f.diploma).hexdigest()
                (path / f"diploma-{sha[:16]}.pdf").write_bytes(f.diploma)
            done += n
            if count >= 4 * CHUNK and (done // CHUNK) % 4 == 0:
                rate = done / (time.perf_counter() - t0)
                print(f"    {label}: {done:,}/{count:,} ({rate:,.0f}/s)", flush=True)
        return out

    def _audit_rows(self, f: Facts, ref: str, call: Any, org: Any) -> list[Any]:
        """The audit events the real path writes for one applicant (person and account
        registered, application started, filled in, consent, upload, scan)."""
        from jamana.audit.models import AuditEvent

        t = f.prep_at
        sha = hashlib.sha256(f.diploma).hexdigest()
        rows = [
            ("person.registered", "person", str(f.person.pk), None, None, {}, t),
            ("account.created", "account", str(f.account.pk), None, None, {}, t),
            (
                "application.started",
                "application",
                ref,
                f.account,
                org,
                {"call": call.code, "post": "ADM", "channel": "web"},
                t,
            ),
            (
                "application.updated",
                "application",
                ref,
                f.account,
                None,
                {"diploma_level": "licence", "declared_not_civil_servant": True},
                t + dt.timedelta(minutes=1),
            ),
            (
                "application.consent_given",
                "application",
                ref,
                f.account,
                org,
                {"documents": ["birth_act", "criminal_record_b3", "nationality_certificate"]},
                f.consent_at,
            ),
            (
                "application.document_uploaded",
                "application",
                ref,
                f.account,
                None,
                {"kind": "diploma", "sha256": sha, "size": len(f.diploma)},
                t + dt.timedelta(minutes=5),
            ),
            (
                "application.document_scanned",
                "application",
                ref,
                None,
                None,
                {"kind": "diploma", "result": "clean", "engine": "clamscan"},
                t + dt.timedelta(minutes=6),
            ),
        ]
        return [
            AuditEvent(
                at=at,
                actor=actor,
                organisation=o,
                action=action,
                object_type=otype,
                object_ref=oref,
                detail=detail,
            )
            for action, otype, oref, actor, o, detail, at in rows
        ]


def twin_check(world: World, real: Any, population: Population) -> dict[str, Any]:
    """Bulk-make, for the reference applicant's own person and documents, a draft to the
    sample call, and compare it with the draft the real actions made on the reference call:
    the canonical JSON that will be signed (reference and call code aside), eligibility,
    document rows, and nothing left before signing."""
    from django.core.files.storage import default_storage

    from jamana.calls import actions
    from jamana.calls.models import Application, ApplicationDocument
    from jamana.core.references import new_reference

    real = Application.objects.select_related("person", "account").get(pk=real.pk)
    rows = {d.kind: d for d in real.documents.all()}
    facts = Facts()
    facts.person = real.person
    facts.account = real.account
    facts.prep_at = real.created_at
    facts.consent_at = real.consent_at
    birth = rows["birth_act"].summary
    facts.act = (birth["centre"], birth["year"], birth["number"])
    facts.b3_on = dt.date.fromisoformat(rows["criminal_record_b3"].summary["on"])
    facts.nationality_number = rows["nationality_certificate"].summary["number"]
    with default_storage.open(rows["diploma"].stored_file, "rb") as handle:
        facts.diploma = handle.read()
    facts.diploma_name = rows["diploma"].filename
    call = world.calls[SAMPLE_CALL]
    reference = new_reference()
    twin, documents = draft_rows(
        call, call.posts.get(code="ADM"), call.centres.get(), facts, reference
    )
    twin.save()
    for d in documents:
        d.application = twin
    ApplicationDocument.objects.bulk_create(documents)
    twin = Application.objects.get(pk=twin.pk)

    a = json.loads(actions.application_content(real))
    b = json.loads(actions.application_content(twin))
    differences = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    expected = ["call", "reference"]

    def doc_fields(app: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (
                d.kind,
                d.source,
                json.dumps(d.summary, sort_keys=True),
                d.sha256,
                d.size,
                d.content_type,
                d.filename,
                d.scan_status,
                d.service_request_id,
                d.stored_file.rsplit("/", 1)[-1],
            )
            for d in app.documents.all()
        )

    checks = {
        "content_differs_only_by_reference_and_call": differences == expected,
        "eligibility_equal": real.eligibility == twin.eligibility
        and real.eligible == twin.eligible,
        "document_rows_equal": doc_fields(real) == doc_fields(twin),
        "ready_to_sign": actions.readiness_problems(twin) == [],
        "real_ready_to_sign": actions.readiness_problems(real) == [],
        "fields_equal": all(
            getattr(real, f) == getattr(twin, f)
            for f in ("answers", "diploma_level", "declared_not_civil_servant", "status")
        ),
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "content_keys_differing": differences,
        "real_reference": real.reference,
        "twin_reference": twin.reference,
        "eligible": twin.eligible,
        "content_bytes": len(actions.application_content(twin)),
        "real_content": a,
    }


# --------------------------------------------------------------------------- in-process sample


class StackSampler:
    """A wall-clock sampling profiler of this thread: another thread reads this thread's
    Python stack every ``interval`` seconds while ``active``. cProfile is no use here: its
    per-call hook makes asn1crypto's serialisation ~2,000 times slower (a 37 ms submit took
    88 s under it), while sampling costs a few per cent and shows where wall time goes,
    waits on PostgreSQL included."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.target = threading.get_ident()
        self.active = False
        self.samples = 0
        self.own: Counter[tuple[str, int, str]] = Counter()
        self.cum: Counter[tuple[str, int, str]] = Counter()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            time.sleep(self.interval)
            if not self.active:
                continue
            frame = sys._current_frames().get(self.target)
            seen = set()
            top = True
            while frame is not None:
                code = frame.f_code
                key = (code.co_filename, code.co_firstlineno, code.co_name)
                if top:
                    self.own[key] += 1
                    top = False
                if key not in seen:
                    self.cum[key] += 1
                    seen.add(key)
                frame = frame.f_back
            self.samples += 1

    def stop(self) -> None:
        self._stop = True
        self._thread.join(timeout=1)

    def report(self, top: int = 30) -> dict[str, Any]:
        def name(key: tuple[str, int, str]) -> str:
            filename = key[0]
            for prefix in (str(REPO) + "/", "site-packages/", "lib/python3.11/"):
                if prefix in filename:
                    filename = filename.split(prefix, 1)[1]
            return f"{filename}:{key[1]}({key[2]})"

        n = max(1, self.samples)
        return {
            "samples": self.samples,
            "by_cumulative": [
                {"function": name(k), "cum_pct": 100 * c / n, "own_pct": 100 * self.own[k] / n}
                for k, c in self.cum.most_common(top)
            ],
            "by_own": [
                {"function": name(k), "own_pct": 100 * c / n} for k, c in self.own.most_common(top)
            ],
        }

    def reset(self) -> None:
        self.samples = 0
        self.own.clear()
        self.cum.clear()


class PartTimer:
    """Bench-side wrappers around module attributes the actions call (about a microsecond per
    call; no application code is changed): wall time spent in each, per flow."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, attr: str, label: str) -> None:
        original = getattr(module, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - t0

        setattr(module, attr, timed)
        self._undo.append((module, attr, original))

    def take(self) -> dict[str, float]:
        out = {k: v * 1000 for k, v in self.spent.items()}
        self.spent.clear()
        return out

    def restore(self) -> None:
        for module, attr, original in reversed(self._undo):
            setattr(module, attr, original)
        self._undo.clear()


def measure_sample(
    world: World, population: Population, twin_ref: str, per_group: int, profile_n: int
) -> dict[str, Any]:
    """In this process, on the same database (gunicorn idle): sign and submit applicants of
    the sample call through the actions the API calls, first-time signers (the certificate is
    issued in ``check_start_signing``) against signers whose certificate was issued before;
    time in the main parts; the queries of each step; a sampling profile of further
    first-time signers; and the sealed receipt the worker issues for each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import jamana.identity.actions as identity_actions
    import jamana.pki.actions as pki_actions
    import jamana.pki.queries as pki_queries
    import jamana.trust.cms as trust_cms
    from jamana.calls import actions
    from jamana.calls.models import Application, Channel
    from jamana.identity.models import Account, Person
    from jamana.testing import last_sms_code

    people = population.create(SAMPLE_CALL, 2 * per_group + 2 * profile_n + 1, label="sample")
    warm, people = people[0], people[1:]
    first, pre = people[:per_group], people[per_group : 2 * per_group]
    prof = people[2 * per_group :]
    accounts = {
        a.pk: a
        for a in Account.objects.select_related("person").filter(
            pk__in=[p["account_id"] for p in [warm, *people]]
        )
    }
    # Issue the certificates of the "pre-issued" group beforehand, timing each issuance.
    issue_ms = []
    for p in pre:
        person = Person.objects.get(pk=p["person_id"])
        t0 = time.perf_counter()
        pki_actions.do_ensure_personal_certificate(person)
        issue_ms.append((time.perf_counter() - t0) * 1000)

    parts = PartTimer()
    parts.wrap(pki_actions, "do_ensure_personal_certificate", "personal certificate (ensure)")
    parts.wrap(pki_actions, "_issue_personal", "certificate issuance")
    parts.wrap(pki_queries, "cms_signing_material", "cms_signing_material (key, chain, TSA)")
    parts.wrap(trust_cms, "sign_detached", "sign_detached (CAdES + timestamp)")
    parts.wrap(actions, "application_content", "application_content")
    parts.wrap(actions, "readiness_problems", "readiness checks")
    parts.wrap(actions, "do_refresh_eligibility", "eligibility refresh")
    parts.wrap(actions, "_locked", "lock the application (SELECT FOR UPDATE)")
    parts.wrap(actions, "check_code", "check_code")
    parts.wrap(actions, "do_send_code", "do_send_code (OTP + SMS queued)")
    parts.wrap(actions, "record_event", "audit events")
    del identity_actions  # (imported for clarity: check_code is called through calls.actions)

    def sign(p: dict[str, Any], queries: bool = False) -> dict[str, Any]:
        account = accounts[p["account_id"]]
        ref = p["reference"]
        out: dict[str, Any] = {}
        parts.take()
        t0, c0 = time.perf_counter(), time.process_time()
        if queries:
            with CaptureQueriesContext(connection) as q1:
                actions.check_start_signing(account=account, reference=ref)
        else:
            actions.check_start_signing(account=account, reference=ref)
        t1, c1 = time.perf_counter(), time.process_time()
        out["signature_parts"] = parts.take()
        code = last_sms_code(account.phone)
        t2, c2 = time.perf_counter(), time.process_time()
        if queries:
            with CaptureQueriesContext(connection) as q2:
                actions.check_sign_and_submit(
                    account=account, reference=ref, code=code, channel=Channel.API
                )
        else:
            actions.check_sign_and_submit(
                account=account, reference=ref, code=code, channel=Channel.API
            )
        t3, c3 = time.perf_counter(), time.process_time()
        out["submit_parts"] = parts.take()
        out.update(
            signature_ms=(t1 - t0) * 1000,
            signature_cpu_ms=(c1 - c0) * 1000,
            submit_ms=(t3 - t2) * 1000,
            submit_cpu_ms=(c3 - c2) * 1000,
        )
        if queries:
            out["signature_queries"] = [q["sql"] for q in q1.captured_queries]
            out["submit_queries"] = [q["sql"] for q in q2.captured_queries]
        return out

    twin = Application.objects.select_related("account__person").get(reference=twin_ref)
    accounts[twin.account_id] = twin.account
    sign(warm)  # warm-up: caches, the first signing material
    sign({"account_id": twin.account_id, "reference": twin_ref})  # the bulk-made twin signs too
    runs: dict[str, list[dict[str, Any]]] = {"first_time": [], "pre_issued": []}
    cpu0 = cpu_snapshot({})
    for i in range(per_group):  # interleaved, so that drift on a shared machine hits both
        runs["first_time"].append(sign(first[i], queries=i == 0))
        runs["pre_issued"].append(sign(pre[i], queries=i == 0))
    cpu1 = cpu_snapshot({})
    pg_ms_per_flow = (cpu1["postgres"] - cpu0["postgres"]) * 1000 / max(1, 2 * per_group)
    parts.restore()

    sampler = StackSampler()
    # A sampling thread only runs when the sampled one lets go of the GIL: by default every
    # 5 ms, or while it waits (on PostgreSQL). A shorter switch interval keeps CPU-bound Python
    # from being under-sampled next to those waits.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(sampler.interval)
    profiles = {}
    for step in ("signature", "submit"):
        sampler.reset()
        group = prof[:profile_n] if step == "signature" else prof[profile_n:]
        for p in group:
            account = accounts[p["account_id"]]
            sampler.active = step == "signature"
            actions.check_start_signing(account=account, reference=p["reference"])
            sampler.active = False
            code = last_sms_code(account.phone)
            sampler.active = step == "submit"
            actions.check_sign_and_submit(
                account=account, reference=p["reference"], code=code, channel=Channel.API
            )
            sampler.active = False
        profiles[step] = sampler.report()
    sampler.stop()
    sys.setswitchinterval(switch)

    # The sealed receipts the worker will issue (issue_receipt tasks, run here in-process).
    receipt_ms = []
    refs = [p["reference"] for p in first + pre]
    actions.do_issue_receipt(warm["reference"])  # the body's seal certificate, first use
    for ref in refs:
        t0 = time.perf_counter()
        actions.do_issue_receipt(ref)
        receipt_ms.append((time.perf_counter() - t0) * 1000)

    def summary(group: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: dist([r[k] for r in group]) for k in group[0] if k.endswith("_ms")
        }
        out["flow_cpu_ms"] = dist([r["signature_cpu_ms"] + r["submit_cpu_ms"] for r in group])
        for step in ("signature", "submit"):
            labels = sorted({k for r in group for k in r[f"{step}_parts"]})
            out[f"{step}_parts_p50_ms"] = {
                k: percentile(sorted(r[f"{step}_parts"].get(k, 0.0) for r in group), 50)
                for k in labels
            }
        q = group[0]
        out["signature_queries"] = len(q["signature_queries"])
        out["submit_queries"] = len(q["submit_queries"])
        out["slow_submits_over_1s"] = sum(1 for r in group if r["submit_ms"] > 1000)
        return out

    return {
        "per_group": per_group,
        "first_time": summary(runs["first_time"]),
        "pre_issued": summary(runs["pre_issued"]),
        "certificate_issue_ms": dist(issue_ms),
        "postgres_cpu_ms_per_flow": pg_ms_per_flow,
        "profile_n": profile_n,
        "profile_signature": profiles["signature"],
        "profile_submit": profiles["submit"],
        "receipt_ms": dist(receipt_ms),
        "signature_queries_sql": runs["first_time"][0]["signature_queries"],
        "submit_queries_sql": runs["first_time"][0]["submit_queries"],
    }


def verify_signatures(refs: list[str]) -> dict[str, Any]:
    """Verify detached signatures offline (no fetching) against our own root."""
    from jamana.calls.models import Application
    from jamana.pki.models import CrlRecord
    from jamana.pki.queries import own_root
    from jamana.trust.cms import verify_detached

    root = own_root()
    # Offline: the current CRL of each of our CAs stands for fetching them.
    crls = [
        bytes(
            CrlRecord.objects.filter(ca__name=ca)
            .order_by("-number")
            .values_list("der", flat=True)[0]
        )
        for ca in ("root", "seal-ca", "person-ca")
    ]
    ok = 0
    problems: list[str] = []
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # failures are reported below
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    for app in Application.objects.filter(reference__in=refs):
        report = verify_detached(
            bytes(app.signed_content),
            bytes(app.signature),
            trust_roots=[root],
            allow_fetching=False,
            crls=crls,
        )
        same = hashlib.sha256(bytes(app.signed_content)).hexdigest() == app.content_sha256
        if report.valid and same:
            ok += 1
        else:
            problems.append(f"{app.reference}: {report.problems} hash-ok={same}")
    return {"verified": ok, "of": len(refs), "problems": problems[:5]}


# =========================================================================== servers


class Server:
    def __init__(self, name: str, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.port, self.proc, self.log = name, port, proc, log


def start_server(
    servers: list[Server],
    name: str,
    settings_module: str,
    env: dict[str, str],
    opts: Any,
    tmp: Path,
) -> Server:
    from _support import free_port

    port = free_port()
    log = tmp / f"gunicorn-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "jamana.config.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--chdir",
                str(REPO),
                *gunicorn_args(opts),
            ],
            cwd=REPO,
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, proc, log)
    servers.append(server)
    return server


def http(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    status, _, data = http_request(port, method, path, headers, body)
    return status, data


def wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    _wait_ready(f"gunicorn ({server.name})", server.port, server.proc, server.log, path, timeout)


def preflight(
    app: Server, base: Server, who: dict[str, Any], names: dict[str, str], csrf: str
) -> dict[str, Any]:
    """Before anything is timed: the session cookie signs in (own application readable,
    without it 401); the API enforces CSRF on session-authenticated POSTs (403 without the
    header), so the load generator sends the CSRF cookie and header; the baseline answers."""
    from jamana.core.references import format_reference

    ref = format_reference(who["reference"])
    cookie = f"{names['session']}={who['session_key']}; {names['csrf']}={csrf}"
    path = f"/api/v1/me/applications/{ref}"
    status, body = http(app.port, "GET", path, {"Cookie": cookie})
    if status != 200 or json.loads(body)["status"] != "draft":
        raise BenchError(f"GET own application with the session: HTTP {status} {body[:200]!r}")
    status, _ = http(app.port, "GET", path)
    if status != 401:
        raise BenchError(f"GET own application without a session: HTTP {status}, expected 401")
    no_csrf = {
        "Cookie": f"{names['session']}={who['session_key']}",
        "Content-Type": "application/json",
    }
    status, body = http(app.port, "POST", f"{path}/signature", no_csrf, b"{}")
    if status != 403:
        raise BenchError(f"POST without CSRF token: HTTP {status} {body[:200]!r}, expected 403")
    headers = {"Cookie": cookie, "X-CSRFToken": csrf, "Content-Type": "application/json"}
    status, body = http(base.port, "POST", "/baseline/", headers, b'{"code": "123456"}')
    if status != 200 or body != b"ok":
        raise BenchError(f"baseline POST: HTTP {status} {body[:200]!r}")
    return {"session_read": 200, "without_session": 401, "post_without_csrf": 403}


# =========================================================================== load generator
# Runs in its own process (``--loadgen SPEC``): asyncio, aiohttp, psycopg. No Django here.


class SmsReader:
    """The phones' side of the SMS outbox: the latest message to a number, read from
    PostgreSQL (nothing delivers the outbox during the run: no worker runs)."""

    # notify_outboundmessage has no index on recipient (the app never looks messages up by
    # number): the phone looks among the latest 2,000 messages (primary key, backwards), which
    # hold every code sent in the last seconds, and only falls back to the filtered scan.
    SQL = (
        "SELECT body FROM (SELECT id, recipient, body FROM notify_outboundmessage "
        "ORDER BY id DESC LIMIT 2000) recent WHERE recipient = %s ORDER BY id DESC LIMIT 1"
    )
    SQL_ALL = (
        "SELECT body FROM notify_outboundmessage WHERE recipient = %s ORDER BY id DESC LIMIT 1"
    )

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn, self.size = dsn, size
        self.pool: asyncio.Queue[Any] = asyncio.Queue()

    async def start(self) -> None:
        import psycopg

        for _ in range(self.size):
            self.pool.put_nowait(await psycopg.AsyncConnection.connect(self.dsn, autocommit=True))

    async def close(self) -> None:
        while not self.pool.empty():
            await self.pool.get_nowait().close()

    async def code(self, phone: str, control: str) -> str | None:
        conn = await self.pool.get()
        try:
            for attempt in range(200):
                cur = await conn.execute(self.SQL if attempt < 5 else self.SQL_ALL, (phone,))
                row = await cur.fetchone()
                if row is not None and control in row[0]:
                    words = [w.strip(".,:;") for w in row[0].split()]
                    return next((w for w in words if len(w) == 6 and w.isdigit()), None)
                await asyncio.sleep(0.01)
            return None
        finally:
            self.pool.put_nowait(conn)

    async def closes_at(self, code: str) -> float:
        conn = await self.pool.get()
        try:
            cur = await conn.execute(
                "SELECT extract(epoch from closes_at) FROM calls_call WHERE code = %s", (code,)
            )
            row = await cur.fetchone()
            return float(row[0])  # type: ignore[index]
        finally:
            self.pool.put_nowait(conn)


class LoadGen:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.app_port: int = spec["app_port"]
        self.base_port: int = spec["baseline_port"]
        self.csrf: str = spec["csrf"]
        self.names: dict[str, str] = spec["cookie_names"]
        # (phase, what, t_end, ms, status, code)
        self.requests: list[tuple[str, str, float, float, int, str]] = []
        # (phase, t_start, t_end, ok)
        self.flows: list[tuple[str, float, float, bool]] = []
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.sms_ms: list[float] = []
        self.anomalies: list[str] = []
        self.kept: list[
            tuple[str, str, str]
        ] = []  # (ref, cookie, code) for the resend after closing
        self.client: Any = None
        self.sms: SmsReader = SmsReader(spec["pg_dsn"], spec["pg_connections"])
        self.done = 0

    # ---------------------------------------------------------------- plumbing

    def mark(self, name: str, **extra: Any) -> None:
        print(f"{MARK}{name} {time.time():.3f} {json.dumps(extra)}", flush=True)

    def cookie(self, session_key: str) -> str:
        return f"{self.names['session']}={session_key}; {self.names['csrf']}={self.csrf}"

    async def call(
        self,
        method: str,
        port: int,
        path: str,
        cookie: str,
        body: bytes | None,
        timeout: float | None = None,
    ) -> tuple[int, str, bytes, float]:
        """(status, error code, body, ms); status -1: no answer in time, -2: connection error."""
        import aiohttp

        headers = {"Cookie": cookie, "X-CSRFToken": self.csrf}
        if body is not None:
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            kwargs: dict[str, Any] = {}
            if timeout is not None:
                kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
            async with self.client.request(
                method, f"http://{HOST}:{port}{path}", data=body, headers=headers, **kwargs
            ) as resp:
                data = await resp.read()
                status = resp.status
        except TimeoutError:
            return -1, "no_answer", b"", (time.perf_counter() - t0) * 1000
        except aiohttp.ClientError as exc:
            return -2, type(exc).__name__, b"", (time.perf_counter() - t0) * 1000
        ms = (time.perf_counter() - t0) * 1000
        code = ""
        if status != 200:
            try:
                code = str(json.loads(data).get("code", ""))
            except (ValueError, AttributeError):
                code = {403: "forbidden", 401: "unauthorized"}.get(status, f"http_{status}")
        return status, code, data, ms

    def rec(self, phase: str, what: str, ms: float, status: int, code: str) -> None:
        self.requests.append((phase, what, time.time(), ms, status, code))

    # ---------------------------------------------------------------- one applicant

    async def submit(
        self, phase: str, what: str, ref: str, cookie: str, code: str, timeout: float | None = None
    ) -> int:
        path = f"/api/v1/me/applications/{ref}/submit"
        body = json.dumps({"code": code}).encode()
        out = self.outcomes[ref]
        for attempt in range(1 + ERROR_RETRIES):
            status, err, data, ms = await self.call(
                "POST", self.app_port, path, cookie, body, timeout
            )
            self.rec(phase, what if attempt == 0 else "submit_error_retry", ms, status, err)
            out["submits"].append(status if status != 400 else f"400:{err}")
            # A phone app sends again after a server error or a broken connection (not after
            # the deliberate give-up of a "lost answer", which its caller retries itself).
            if timeout is not None or not (status in (-1, -2) or status >= 500):
                break
            await asyncio.sleep(1.0)
        if status == 200:
            answer = json.loads(data)
            if answer.get("reference") != ref or answer.get("status") != "submitted":
                self.anomalies.append(f"{ref}: 200 with {answer}")
            out["ok"] = True
        return status

    async def flow(self, applicant: list[Any], phase: str) -> None:
        ref, session_key, phone, kind = applicant
        cookie = self.cookie(session_key)
        t0 = time.time()
        out = self.outcomes[ref] = {
            "sig": None,
            "submits": [],
            "ok": False,
            "kind": kind,
            "phase": phase,
        }
        for attempt in range(1 + ERROR_RETRIES):
            status, err, data, ms = await self.call(
                "POST", self.app_port, f"/api/v1/me/applications/{ref}/signature", cookie, b"{}"
            )
            self.rec(
                phase, "signature" if attempt == 0 else "signature_error_retry", ms, status, err
            )
            if not (status in (-1, -2) or status >= 500):
                break
            await asyncio.sleep(1.0)
        out["sig"] = status if status != 400 else f"400:{err}"
        if status == 200:
            control = json.loads(data)["control"]
            s0 = time.perf_counter()
            code = await self.sms.code(phone, control)
            self.sms_ms.append((time.perf_counter() - s0) * 1000)
            if code is None:
                out["sms"] = "missing"
            elif kind == "double":  # two at once: a double tap, or two devices
                await asyncio.gather(
                    self.submit(phase, "submit", ref, cookie, code),
                    self.submit(phase, "submit_twin", ref, cookie, code),
                )
            elif kind == "lost":  # the answer never reaches the phone: it sends again
                await self.submit(phase, "submit_lost", ref, cookie, code, timeout=LOST_AFTER_S)
                await self.submit(phase, "submit_retry", ref, cookie, code)
            elif kind == "again":  # answered, but the app sends it again (killed, reopened)
                await self.submit(phase, "submit", ref, cookie, code)
                await self.submit(phase, "submit_retry", ref, cookie, code)
            else:
                await self.submit(phase, "submit", ref, cookie, code)
                if phase == "B" and kind == "none" and len(self.kept) < RESEND_AFTER_CLOSING:
                    self.kept.append((ref, cookie, code))
        self.flows.append((phase, t0, time.time(), out["ok"]))
        self.done += 1

    # ---------------------------------------------------------------- phases

    async def run_phase(
        self, phase: str, items: list[list[Any]], levels: list[int], step_s: float
    ) -> dict[str, Any]:
        """Closed loop: ``levels[0]`` phones, then more at each step of ``step_s`` seconds
        (the sweep); the rest of the applicants at the level chosen from the sweep."""
        todo = deque(items)
        state = {"target": 0}
        tasks: list[asyncio.Task[None]] = []

        async def phone(i: int) -> None:
            while todo and i < state["target"]:
                await self.flow(todo.popleft(), phase)

        def grow(n: int) -> None:
            state["target"] = n
            while len(tasks) < n:
                tasks.append(asyncio.create_task(phone(len(tasks))))

        async def progress() -> None:
            while True:
                await asyncio.sleep(30)
                print(
                    f"{PROGRESS}{phase} {len(items) - len(todo):,}/{len(items):,} "
                    f"phones {min(state['target'], len(tasks))}",
                    flush=True,
                )

        reporter = asyncio.create_task(progress())
        self.mark(f"{phase}-start", applicants=len(items))
        steps = []
        chosen = levels[0]
        if len(levels) > 1:
            for level in levels:
                if not todo:
                    break
                t0 = time.time()
                grow(level)
                self.mark(f"{phase}-step", level=level)
                while time.time() < t0 + step_s and todo:
                    await asyncio.sleep(0.2)
                steps.append({"level": level, "t0": t0, "t1": time.time()})
            for step in steps:
                step.update(self.window_stats(phase, step["t0"] + step_s / 3, step["t1"]))
            chosen = self.choose(steps)
            self.mark(f"{phase}-main", level=chosen, done=len(items) - len(todo))
        grow(chosen)
        state["target"] = chosen
        await asyncio.gather(*tasks)
        reporter.cancel()
        flows = [f for f in self.flows if f[0] == phase]
        t_first = min(f[1] for f in flows)
        t_last = max(f[2] for f in flows)
        ok = sum(1 for f in flows if f[3])
        self.mark(f"{phase}-end", rate=ok / max(1e-9, t_last - t_first), ok=ok)
        return {
            "applicants": len(items),
            "submitted_ok": ok,
            "wall_s": t_last - t_first,
            "submissions_per_s": ok / max(1e-9, t_last - t_first),
            "concurrency": chosen,
            "sweep": steps,
            "t_first": t_first,
            "t_last": t_last,
        }

    def window_stats(self, phase: str, t0: float, t1: float) -> dict[str, Any]:
        flows = [f for f in self.flows if f[0] == phase and t0 <= f[2] <= t1]
        reqs = [r for r in self.requests if r[0] == phase and t0 <= r[2] <= t1]
        wall = max(1e-9, t1 - t0)
        return {
            "window_s": wall,
            "submissions_per_s": sum(1 for f in flows if f[3]) / wall,
            "flow_ms": dist([(f[2] - f[1]) * 1000 for f in flows]),
            "submit_ms": dist([r[3] for r in reqs if r[1] == "submit" and r[4] > 0]),
            "signature_ms": dist([r[3] for r in reqs if r[1] == "signature" and r[4] > 0]),
            "errors": sum(1 for r in reqs if r[4] != 200 and r[1] != "submit_lost"),
        }

    def choose(self, steps: list[dict[str, Any]]) -> int:
        """The highest concurrency the machine sustains: no error, p99 of /submit under the
        limit, and at least 90 % of the best throughput of the sweep."""
        limit = self.spec["p99_limit_ms"]
        best = max((s["submissions_per_s"] for s in steps), default=0.0)
        fine = [
            s
            for s in steps
            if s["errors"] == 0
            and s["submit_ms"].get("p99", math.inf) <= limit
            and s["submissions_per_s"] >= 0.9 * best
        ]
        if fine:
            return max(s["level"] for s in fine)
        no_error = [s for s in steps if s["errors"] == 0]
        return max(no_error or steps, key=lambda s: s["submissions_per_s"])["level"]

    async def closed_loop(
        self,
        name: str,
        port: int,
        method: str,
        targets: list[tuple[str, str]],
        conc: int,
        seconds: float,
        expect: bytes,
    ) -> dict[str, Any]:
        """A baseline: ``conc`` clients in a closed loop for ``seconds``, over (path, cookie)
        pairs in turn; every answer must be 200 and contain ``expect``."""
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        deadline = time.time() + seconds
        body = b'{"code": "123456"}' if method == "POST" else None
        counter = iter(range(10**9))

        async def client() -> None:
            while time.time() < deadline:
                path, cookie = targets[next(counter) % len(targets)]
                status, err, data, ms = await self.call(method, port, path, cookie, body)
                if status == 200 and expect in data:
                    latencies.append(ms)
                else:
                    errors[f"{status}:{err}"] += 1

        self.mark(f"{name}-start", concurrency=conc)
        t0 = time.time()
        await asyncio.gather(*(client() for _ in range(conc)))
        wall = time.time() - t0
        self.mark(f"{name}-end")
        return {
            "concurrency": conc,
            "requests": len(latencies),
            "per_s": len(latencies) / wall,
            "ms": dist(latencies),
            "errors": dict(errors),
            "wall_s": wall,
        }

    async def baselines(self, conc: int) -> dict[str, Any]:
        # The latest applicants of phase B: their sessions were used minutes ago (a session
        # left alone for SESSION_IDLE_SECONDS, 30 min, has expired: a 401, or an anonymous
        # request for the trivial view).
        recent = self.spec["B"][-2000:]
        post = [("/baseline/", self.cookie(a[1])) for a in recent]
        read = [(f"/api/v1/me/applications/{a[0]}", self.cookie(a[1])) for a in recent]
        seconds = self.spec["baseline_s"]
        return {
            "baseline_post": await self.closed_loop(
                "baseline", self.base_port, "POST", post, conc, seconds, b"ok"
            ),
            "api_read": await self.closed_loop(
                "api_read", self.app_port, "GET", read, conc, seconds, b'"submitted"'
            ),
        }

    async def closing(self, conc: int) -> dict[str, Any]:
        """Sign a few applicants before closing; submit half of them one second before
        ``closes_at`` and half one second after; after closing also: ask for a code, and send
        again the submit of applications already submitted."""
        t_begin = time.time()
        closes = await self.sms.closes_at(self.spec["call_code"])
        out: dict[str, Any] = {"closes_at": closes, "baselines_first": False}
        self.mark("closing-start", closes_at=closes)
        baseline_need = 2 * self.spec["baseline_s"] + 20
        if closes - time.time() > baseline_need + 30:
            out["baselines"] = await self.baselines(conc)
            out["baselines_first"] = True
        out["wait_s"] = max(0.0, closes - time.time())
        before, after, never = self.spec["closing"]
        if closes - time.time() < 10:
            self.anomalies.append(f"only {closes - time.time():.1f} s left before closing to sign")
        signed: dict[str, tuple[str, str]] = {}
        for ref, key, phone, _kind in before + after:
            cookie = self.cookie(key)
            self.outcomes[ref] = {
                "sig": None,
                "submits": [],
                "ok": False,
                "kind": "closing",
                "phase": "closing",
            }
            status, _err, data, _ms = await self.call(
                "POST", self.app_port, f"/api/v1/me/applications/{ref}/signature", cookie, b"{}"
            )
            self.outcomes[ref]["sig"] = status
            if status == 200:
                code = await self.sms.code(phone, json.loads(data)["control"])
                signed[ref] = (cookie, code or "")
        probes: list[dict[str, Any]] = []

        async def probe(what: str, ref: str, cookie: str, code: str | None) -> None:
            t_sent = time.time()
            if code is None:
                status, err, _d, ms = await self.call(
                    "POST", self.app_port, f"/api/v1/me/applications/{ref}/signature", cookie, b"{}"
                )
            else:
                body = json.dumps({"code": code}).encode()
                status, err, _data, ms = await self.call(
                    "POST", self.app_port, f"/api/v1/me/applications/{ref}/submit", cookie, body
                )
                if ref in self.outcomes:
                    self.outcomes[ref]["submits"].append(status if status != 400 else f"400:{err}")
                    if status == 200:
                        self.outcomes[ref]["ok"] = True
            probes.append(
                {
                    "what": what,
                    "reference": ref,
                    "sent_vs_closing_s": round(t_sent - closes, 3),
                    "status": status,
                    "code": err,
                    "ms": ms,
                }
            )

        await asyncio.sleep(max(0.0, closes - 1.0 - time.time()))
        await asyncio.gather(
            *(probe("submit 1 s before", r, *signed[r]) for r, *_ in before if r in signed)
        )
        await asyncio.sleep(max(0.0, closes + 1.0 - time.time()))
        await asyncio.gather(
            *(probe("submit 1 s after", r, *signed[r]) for r, *_ in after if r in signed),
            *(probe("signature 1 s after", r, self.cookie(k), None) for r, k, _p, _k in never),
            *(
                probe("resend of a submitted one, 1 s after", r, c, code)
                for r, c, code in self.kept
            ),
        )
        self.mark("closing-end")
        out["probes"] = sorted(probes, key=lambda p: p["sent_vs_closing_s"])
        if not out["baselines_first"]:
            out["baselines"] = await self.baselines(conc)
        out["elapsed_s"] = time.time() - t_begin
        return out

    # ---------------------------------------------------------------- the run

    async def run(self) -> dict[str, Any]:
        import aiohttp

        await self.sms.start()
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        self.client = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the phone sends its own cookies
            timeout=aiohttp.ClientTimeout(total=self.spec["timeout_s"]),
        )
        try:
            spec = self.spec
            a = await self.run_phase("A", spec["A"], [spec["concurrency_a"]], 0)
            b = await self.run_phase("B", spec["B"], spec["levels"], spec["step_s"])
            closing = await self.closing(b["concurrency"])
        finally:
            await self.client.close()
            await self.sms.close()
        return {"A": a, "B": b, "closing": closing, "summary": self.summaries()}

    def summaries(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for phase in ("A", "B"):
            reqs = [r for r in self.requests if r[0] == phase]
            out[phase] = {
                what: {
                    "over_1s": sum(1 for r in reqs if r[1] == what and r[3] > 1000),
                    "over_5s": sum(1 for r in reqs if r[1] == what and r[3] > 5000),
                    "ms": dist([r[3] for r in reqs if r[1] == what and r[4] > 0]),
                    "status": dict(
                        Counter(f"{r[4]}{':' + r[5] if r[5] else ''}" for r in reqs if r[1] == what)
                    ),
                }
                for what in sorted({r[1] for r in reqs})
            }
            out[phase]["flow_ms"] = dist(
                [(f[2] - f[1]) * 1000 for f in self.flows if f[0] == phase]
            )
        out["errors"] = dict(
            Counter(
                f"{r[0]} {r[1]} {r[4]}{':' + r[5] if r[5] else ''}"
                for r in self.requests
                if r[4] != 200 and r[1] != "submit_lost"
            )
        )
        out["sms_read_ms"] = dist(self.sms_ms)
        out["anomalies"] = self.anomalies
        # Per second, for the timeline: submissions that got a 200, phases A and B.
        t0 = min((f[1] for f in self.flows), default=0.0)
        per_s: Counter[int] = Counter(int(f[2] - t0) for f in self.flows if f[3])
        out["timeline_per_s"] = [per_s.get(i, 0) for i in range(max(per_s, default=-1) + 1)]
        return out


def loadgen_main(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    gen = LoadGen(spec)
    result = asyncio.run(gen.run())
    result["outcomes"] = gen.outcomes
    Path(out_path).write_text(json.dumps(result))
    return 0


# =========================================================================== the run


def plan_closing(now: float, remaining: int, rate: float, baseline_s: float) -> float:
    """When the call should close: the remaining applicants at ``rate``, 10 % on top, then
    the two baselines and a minute."""
    return now + remaining / max(rate, 0.1) * 1.10 + 2 * baseline_s + 60


def extend_deadline(world: World, to: float, why: str, log: list[dict[str, Any]]) -> None:
    """The recruiting body extends the deadline (an open call's closing time may only move
    later; audited). Used when the rush runs later than planned, so nobody is cut off."""
    from jamana.calls.models import Call
    from jamana.calls.publishing import check_update_call

    call = Call.objects.get(code=RUSH_CALL)
    new = dt.datetime.fromtimestamp(math.ceil(to), tz=dt.UTC)
    if new <= call.closes_at:
        return
    old = call.closes_at
    check_update_call(agent=world.officer, call=call, closes_at=new)
    log.append({"at": time.time(), "from": old.isoformat(), "to": new.isoformat(), "why": why})
    print(f"  deadline extended to {new:%H:%M:%S} UTC ({why})", flush=True)


class PgWaits:
    """Samples, twice a second, what the database's backends are doing (pg_stat_activity):
    how many run a statement, and how many of those wait for a lock (and on which
    statement). Row locks held for long are what would stop the rush from scaling with
    cores."""

    SQL = (
        "SELECT wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
        "FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
        "AND pid <> pg_backend_pid()"
    )

    def __init__(self, dbname: str, interval: float = 0.5) -> None:
        self.dbname, self.interval = dbname, interval
        self.samples: list[tuple[float, int, int]] = []  # (t, active, waiting on a lock)
        self.lock_queries: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-waits", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        dsn = PG_ADMIN.replace("dbname=postgres", f"dbname={self.dbname}")
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                rows = conn.execute(self.SQL, (self.dbname,)).fetchall()  # type: ignore[arg-type]
                locked = [r for r in rows if r[0] == "Lock"]
                self.samples.append((time.time(), len(rows), len(locked)))
                for kind, event, _q in rows:
                    self.events[f"{kind or 'CPU'}:{event or '-'}"] += 1
                for _k, event, query in locked:
                    self.lock_queries[f"{event}: {query}"] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def summary(self, t0: float, t1: float) -> dict[str, Any]:
        inside = [x for x in self.samples if t0 <= x[0] <= t1]
        n = max(1, len(inside))
        return {
            "samples": len(inside),
            "mean_active": sum(x[1] for x in inside) / n,
            "mean_waiting_for_lock": sum(x[2] for x in inside) / n,
            "share_of_samples_with_a_lock_wait": sum(1 for x in inside if x[2]) / n,
        }


def run_load(
    spec: dict[str, Any],
    tmp: Path,
    roots: dict[str, int],
    world: World,
    children: list[subprocess.Popen[bytes]],
) -> tuple[
    dict[str, Any],
    dict[str, dict[str, float]],
    list[tuple[str, float, dict[str, Any]]],
    list[dict[str, Any]],
    PgWaits,
]:
    """Start the load generator, follow its marks (CPU snapshot at each), keep the deadline
    ahead of the rush, and return its result."""
    spec_path, out_path = tmp / "spec.json", tmp / "loadgen-out.json"
    spec_path.write_text(json.dumps(spec))
    log = (tmp / "loadgen.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--loadgen", str(spec_path), str(out_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    children.append(proc)
    roots = {**roots, "loadgen": proc.pid}
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.put(raw.decode(errors="replace").rstrip("\n"))
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    waits = PgWaits(spec["dbname"])
    waits.start()
    snapshots: dict[str, dict[str, float]] = {"start": cpu_snapshot(roots)}
    marks: list[tuple[str, float, dict[str, Any]]] = []
    extensions: list[dict[str, Any]] = []
    in_rush = True
    n_b = len(spec["B"])
    from jamana.calls.models import Call

    while True:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line.startswith(MARK):
            name, at, extra = line[len(MARK) :].split(" ", 2)
            info = json.loads(extra)
            key = name if name not in ("B-step",) else f"B-step-{info['level']}"
            snapshots[key] = cpu_snapshot(roots)
            marks.append((key, float(at), info))
            print(
                f"  [{time.strftime('%H:%M:%S')}] {key} {extra if extra != '{}' else ''}",
                flush=True,
            )
            if name == "A-end":
                planned = plan_closing(time.time(), n_b, info["rate"], spec["baseline_s"])
                extend_deadline(world, planned, "re-planned from phase A's rate", extensions)
            if name == "B-end":
                in_rush = False
        elif line.startswith(PROGRESS):
            print(f"  [{time.strftime('%H:%M:%S')}] {line[len(PROGRESS) :]}", flush=True)
        elif line:
            print(f"  loadgen: {line}", flush=True)
        if in_rush:
            closes = Call.objects.filter(code=RUSH_CALL).values_list("closes_at", flat=True).get()
            if closes.timestamp() - time.time() < 60:
                extend_deadline(world, time.time() + 150, "the rush runs late", extensions)
    proc.wait()
    log.close()
    waits.stop()
    if proc.returncode != 0:
        raise BenchError(
            f"load generator failed ({proc.returncode}):\n"
            + (tmp / "loadgen.log").read_text()[-3000:]
        )
    snapshots["end"] = cpu_snapshot(roots)
    return json.loads(out_path.read_text()), snapshots, marks, extensions, waits


def cpu_by_phase(snapshots: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    pairs = {
        "A": ("A-start", "A-end"),
        "B": ("B-start", "B-end"),
        "B main": ("B-main", "B-end"),
        "baseline": ("baseline-start", "baseline-end"),
        "api_read": ("api_read-start", "api_read-end"),
    }
    out = {
        k: cpu_delta(snapshots[a], snapshots[b])
        for k, (a, b) in pairs.items()
        if a in snapshots and b in snapshots
    }
    steps = sorted(
        (k for k in snapshots if k.startswith("B-step-")), key=lambda k: int(k.rsplit("-", 1)[1])
    )
    # Each step runs until the next one starts; the last until phase B's main part or end.
    # A run too short to reach the sweep has no step at all.
    final = "B-main" if "B-main" in snapshots else "B-end"
    for a, b in itertools.pairwise([*steps, final] if steps else []):
        out[a] = cpu_delta(snapshots[a], snapshots[b])
    return out


def exactly_once(
    load: dict[str, Any], rush: list[dict[str, Any]], closing_refs: dict[str, list[str]]
) -> dict[str, Any]:
    """The proof from the database that every application landed exactly once."""
    from django.db.models import Count, F, Q
    from django_tasks_db.models import DBTaskResult

    from jamana.audit.models import AuditEvent
    from jamana.calls.models import Application, ApplicationStatus
    from jamana.core.references import format_reference
    from jamana.identity.models import CodePurpose, OneTimeCode
    from jamana.pki.models import CertificateRecord

    outcomes = load["outcomes"]
    by_formatted = {format_reference(a["reference"]): a for a in rush}
    got_200 = {by_formatted[r]["reference"] for r, o in outcomes.items() if o["ok"]}
    attempted = {by_formatted[r]["reference"] for r in outcomes}
    apps = Application.objects.filter(call__code=RUSH_CALL)
    submitted = set(
        apps.filter(status=ApplicationStatus.SUBMITTED).values_list("reference", flat=True)
    )
    all_refs = set(apps.values_list("reference", flat=True))
    events = dict(
        AuditEvent.objects.filter(
            action="application.submitted", object_type="application", object_ref__in=all_refs
        )
        .values("object_ref")
        .annotate(n=Count("id"))
        .values_list("object_ref", "n")
    )
    accounts = [a["account_id"] for a in rush if a["reference"] in submitted]
    accepted_codes = dict(
        OneTimeCode.objects.filter(
            account_id__in=accounts, purpose=CodePurpose.SIGNATURE, used_at__isnull=False
        )
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    otp_events = dict(
        AuditEvent.objects.filter(
            action=f"otp.accepted.{CodePurpose.SIGNATURE.value}",
            object_ref__in=[str(a) for a in accounts],
        )
        .values("object_ref")
        .annotate(n=Count("id"))
        .values_list("object_ref", "n")
    )
    persons = [a["person_id"] for a in rush if a["reference"] in submitted]
    certificates = dict(
        CertificateRecord.objects.filter(person_id__in=persons, role="person")
        .values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n")
    )
    receipts = Counter(
        args["args"][0]
        for args in DBTaskResult.objects.filter(
            task_path="jamana.calls.tasks.issue_receipt"
        ).values_list("args_kwargs", flat=True)
    )
    unsigned_or_inconsistent = apps.filter(status=ApplicationStatus.SUBMITTED).filter(
        Q(signature=b"")
        | Q(content_sha256="")
        | Q(signed_at__isnull=True)
        | Q(signature_certificate__isnull=True)
        | ~Q(signed_at=F("submitted_at"))
    )
    wrong_certificate = (
        apps.filter(status=ApplicationStatus.SUBMITTED)
        .exclude(signature_certificate__person_id=F("person_id"))
        .count()
    )
    after_refs = set(closing_refs["after"]) | set(closing_refs["never"])
    before_refs = set(closing_refs["before"])
    checks = {
        "applications_in_call": apps.count(),
        "applicants_created": len(rush),
        "attempted": len(attempted),
        "distinct_applicants_with_200": len(got_200),
        "submitted_in_db": len(submitted),
        "submitted_equals_200s": submitted == got_200,
        "every_attempted_submitted_except_after_closing": submitted == (attempted - after_refs),
        "one_submitted_event_each": all(events.get(r) == 1 for r in submitted)
        and not any(r not in submitted for r in events),
        "submitted_events_total": sum(events.values()),
        "one_accepted_code_each": len(accepted_codes) == len(submitted)
        and set(accepted_codes.values()) <= {1},
        "one_otp_accepted_event_each": len(otp_events) == len(submitted)
        and set(otp_events.values()) <= {1},
        "one_certificate_each": len(certificates) == len(submitted)
        and set(certificates.values()) <= {1},
        "signed_consistently": not unsigned_or_inconsistent.exists(),
        "signed_with_own_certificate": wrong_certificate == 0,
        "receipts_queued_once_each": all(receipts.get(r) == 1 for r in submitted)
        and not any(r in receipts for r in all_refs - submitted),
        "receipts_queued": sum(receipts[r] for r in all_refs if r in receipts),
        "before_closing_submitted": before_refs <= submitted,
        "after_closing_still_draft": not (after_refs & submitted)
        and apps.filter(
            reference__in=after_refs, status=ApplicationStatus.DRAFT, signature=b""
        ).count()
        == len(after_refs),
    }
    must = [k for k, v in checks.items() if isinstance(v, bool)]
    checks["ok"] = all(checks[k] for k in must)
    checks["sample_to_verify"] = sorted(submitted)[:: max(1, len(submitted) // 25)][:25]
    return checks


# =========================================================================== report


def print_table(result: dict[str, Any]) -> None:
    load = result["load"]
    s = load["summary"]
    a, b = load["A"], load["B"]
    closing = load["closing"]
    base = closing["baselines"]
    print()
    print(f"{'':<44}{'phase A':>14}{'phase B':>14}")
    print(f"{'applicants':<44}{a['applicants']:>14,}{b['applicants']:>14,}")
    print(f"{'concurrent phones':<44}{a['concurrency']:>14}{b['concurrency']:>14}")
    print(f"{'wall time (s)':<44}{a['wall_s']:>14.0f}{b['wall_s']:>14.0f}")
    print(f"{'submissions/s':<44}{a['submissions_per_s']:>14.1f}{b['submissions_per_s']:>14.1f}")
    for what in ("signature", "submit"):
        for p in ("p50", "p90", "p99", "max"):
            va = s["A"].get(what, {}).get("ms", {}).get(p, math.nan)
            vb = s["B"].get(what, {}).get("ms", {}).get(p, math.nan)
            print(f"{f'/{what} {p} (ms)':<44}{va:>14.0f}{vb:>14.0f}")
    print(f"{'overall submissions/s (A+B)':<44}{result['overall_per_s']:>14.1f}")
    for name in ("baseline_post", "api_read"):
        x = base[name]
        print(
            f"{name + ' req/s, p50/p99 ms':<44}{x['per_s']:>14.0f}"
            f"{x['ms'].get('p50', math.nan):>9.1f}/{x['ms'].get('p99', math.nan):.1f}"
        )
    print(f"errors: {s['errors'] or 'none'}")
    print("sweep (phase B):")
    for st in b["sweep"]:
        print(
            f"  {st['level']:>4} phones: {st['submissions_per_s']:6.1f}/s  submit p50 "
            f"{st['submit_ms'].get('p50', math.nan):7.0f} p99 "
            f"{st['submit_ms'].get('p99', math.nan):7.0f} ms  errors {st['errors']}"
        )
    print("closing:")
    for p in closing["probes"]:
        print(f"  {p['what']:<40} at {p['sent_vs_closing_s']:+.2f} s: {p['status']} {p['code']}")
    print(
        f"exactly once: {'OK' if result['checks']['ok'] else 'FAILED'} — "
        + ", ".join(
            f"{k}={v}" for k, v in result["checks"].items() if k not in ("sample_to_verify",)
        )
    )


def _ms(d: dict[str, Any], key: str, digits: int = 0) -> str:
    return fmt(d.get(key), digits)


def markdown(result: dict[str, Any], json_rel: str) -> str:
    """The run's figures as ``results/calls_rush-latest.md``."""
    load = result["load"]
    s = load["summary"]
    a, b = load["A"], load["B"]
    closing = load["closing"]
    base = closing["baselines"]
    sample = result["sample"]
    m = result["machine"]
    cpu = result["cpu"]
    t = result["timings"]

    def cores(phase: str) -> str:
        c = cpu.get(phase)
        if not c:
            return "—"
        return (
            f"{c['app']:.2f} / {c['postgres']:.2f} / {c['loadgen']:.2f} / "
            f"{c['other'] + c['steal']:.2f}"
        )

    def per_flow_ms(phase: str, flows: int) -> str:
        c = cpu.get(phase)
        if not c or not flows:
            return "—"
        app = c["app"] * c["wall_s"] * 1000 / flows
        pg = c["postgres"] * c["wall_s"] * 1000 / flows
        return f"{app:.0f} + {pg:.0f}"

    lines = [
        "# Deadline rush of a concours (`bench/calls_rush.py`)",
        "",
        f"Run `{json_rel}`, {result['started_at']}; {m['nproc']} CPUs ({m['cpu_model']}), "
        f"Python {m['python']}, Django {m['versions']['Django']}, PostgreSQL "
        f"{m['postgresql']['server_version']}; gunicorn {result['server']['description']}; "
        f"applicants sign for the first time: "
        f"{'yes' if result['params']['certificates'] == 'first-time' else 'no (pre-issued)'}. "
        f"Load average at start {m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}.",
        "",
        f"Setup {t['setup_s']:.0f} s (migrate {t['migrate']:.0f} s, world and reference "
        f"applicant {t['world_and_reference_applicant']:.0f} s, in-process sample "
        f"{t['in_process_sample']:.0f} s, {result['params']['applicants']:,} applicants "
        f"bulk-created {t['bulk_applicants']:.0f} s, VACUUM ANALYZE {t['vacuum_analyze']:.0f} s); "
        f"rush {a['wall_s'] + b['wall_s']:.0f} s (A {a['wall_s']:.0f} s, B {b['wall_s']:.0f} s); "
        f"closing and baselines {closing.get('elapsed_s', 0):.0f} s; whole run "
        f"{result['total_s']:.0f} s. Exactly-once checks: "
        f"**{'all passed' if result['checks']['ok'] else 'FAILED'}**.",
        "",
        "| | phase A | phase B |",
        "|---|---:|---:|",
        f"| applicants | {a['applicants']:,} | {b['applicants']:,} |",
        f"| concurrent phones | {a['concurrency']} | sweep, then {b['concurrency']} |",
        f"| wall time | {a['wall_s']:.0f} s | {b['wall_s']:.0f} s |",
        f"| **submissions/s** | **{a['submissions_per_s']:.1f}** | "
        f"**{b['submissions_per_s']:.1f}** |",
    ]
    for what in ("signature", "submit"):
        ra, rb = s["A"].get(what, {}), s["B"].get(what, {})
        lines.append(
            f"| `/{what}` p50 / p90 / p99 / max, ms | "
            f"{_ms(ra.get('ms', {}), 'p50')} / {_ms(ra.get('ms', {}), 'p90')} / "
            f"{_ms(ra.get('ms', {}), 'p99')} / {_ms(ra.get('ms', {}), 'max')} | "
            f"{_ms(rb.get('ms', {}), 'p50')} / {_ms(rb.get('ms', {}), 'p90')} / "
            f"{_ms(rb.get('ms', {}), 'p99')} / {_ms(rb.get('ms', {}), 'max')} |"
        )
        lines.append(
            f"| `/{what}` answers over 1 s / over 5 s | {ra.get('over_1s', 0)} / "
            f"{ra.get('over_5s', 0)} | {rb.get('over_1s', 0)} / {rb.get('over_5s', 0)} |"
        )
    lines += [
        f"| an applicant (signature, SMS read, submit) p50 / p99, ms | "
        f"{_ms(s['A']['flow_ms'], 'p50')} / {_ms(s['A']['flow_ms'], 'p99')} | "
        f"{_ms(s['B']['flow_ms'], 'p50')} / {_ms(s['B']['flow_ms'], 'p99')} |",
        f"| cores: gunicorn / PostgreSQL / load generator / other | {cores('A')} | {cores('B')} |",
        f"| CPU ms per applicant: gunicorn + PostgreSQL | "
        f"{per_flow_ms('A', a['submitted_ok'])} | {per_flow_ms('B', b['submitted_ok'])} |",
    ]
    pgw = result.get("pg_waits", {})
    if "A" in pgw and "B" in pgw:
        lines.append(
            f"| PostgreSQL: statements running / waiting for a lock (mean) | "
            f"{pgw['A']['mean_active']:.2f} / {pgw['A']['mean_waiting_for_lock']:.2f} | "
            f"{pgw['B']['mean_active']:.2f} / {pgw['B']['mean_waiting_for_lock']:.2f} |"
        )
    lines += [
        "",
        f"Overall (A + B): **{result['overall_per_s']:.1f} submissions/s**. Errors and "
        f"retries: {s['errors'] or 'none'}.",
        "",
        "**Baselines**, same gunicorn, at phase B's concurrency:",
        "",
        "| target | req/s | p50 ms | p99 ms | errors | gunicorn CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    if "B" in cpu:
        per = cpu["B"]["app"] * cpu["B"]["wall_s"] * 1000 / max(1, 2 * b["submitted_ok"])
        lines.append(
            f"| the rush, phase B (`/signature` and `/submit`) | "
            f"{2 * b['submissions_per_s']:.0f} | — | — | — | {per:.1f} |"
        )
    for name, key, server, label in (
        ("baseline_post", "baseline", "baseline", "trivial view, same authenticated POST"),
        ("api_read", "api_read", "app", "`GET` own application through the API"),
    ):
        x = base[name]
        c = cpu.get(key)
        per = c[server] * c["wall_s"] * 1000 / max(1, x["requests"]) if c else math.nan
        lines.append(
            f"| {label} | {x['per_s']:.0f} | {_ms(x['ms'], 'p50', 1)} | {_ms(x['ms'], 'p99', 1)} "
            f"| {sum(x['errors'].values())} | {fmt(per, 2)} |"
        )
    lines += [
        "",
        "**Phase B sweep** (closed loop; each step measured over its last two thirds):",
        "",
        "| phones | submissions/s | `/submit` p50 ms | p99 ms | errors | gunicorn cores | "
        "PostgreSQL cores |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for st in b["sweep"]:
        c = cpu.get(f"B-step-{st['level']}", {})
        lines.append(
            f"| {st['level']} | {st['submissions_per_s']:.1f} | {_ms(st['submit_ms'], 'p50')} | "
            f"{_ms(st['submit_ms'], 'p99')} | {st['errors']} | {fmt(c.get('app'), 2)} | "
            f"{fmt(c.get('postgres'), 2)} |"
        )
    closes = dt.datetime.fromtimestamp(closing["closes_at"], tz=dt.UTC)
    lines += [
        "",
        f"**Closing** at {closes:%H:%M:%S} UTC (waited {closing['wait_s']:.0f} s for it; "
        f"deadline extensions: {len(result['extensions'])}):",
        "",
    ]
    for p in closing["probes"]:
        lines.append(
            f"- {p['what']} (sent at {p['sent_vs_closing_s']:+.2f} s): HTTP {p['status']} "
            f"{p['code']}"
        )
    lines += ["", "**Exactly once**, from the database:", ""]
    for k, v in result["checks"].items():
        if k not in ("sample_to_verify", "ok"):
            lines.append(f"- `{k}`: {v}")
    v = result["verified"]
    lines.append(
        f"- signatures verified offline (`verify_detached`, sample): {v['verified']}/{v['of']}"
    )
    ft, pi = sample["first_time"], sample["pre_issued"]
    lines += [
        "",
        f"**In-process sample** ({sample['per_group']} applicants each, gunicorn idle, p50):",
        "",
        "| | `check_start_signing` ms | `check_sign_and_submit` ms | CPU ms (both) | queries |",
        "|---|---:|---:|---:|---:|",
        f"| first-time signer | {_ms(ft['signature_ms'], 'p50', 1)} | "
        f"{_ms(ft['submit_ms'], 'p50', 1)} | {_ms(ft['flow_cpu_ms'], 'p50', 1)} | "
        f"{ft['signature_queries']} + {ft['submit_queries']} |",
        f"| certificate issued before | {_ms(pi['signature_ms'], 'p50', 1)} | "
        f"{_ms(pi['submit_ms'], 'p50', 1)} | {_ms(pi['flow_cpu_ms'], 'p50', 1)} | "
        f"{pi['signature_queries']} + {pi['submit_queries']} |",
        "",
        f"Certificate issuance alone: p50 {_ms(sample['certificate_issue_ms'], 'p50', 1)} ms. "
        f"PostgreSQL CPU: {sample['postgres_cpu_ms_per_flow']:.1f} ms per applicant. A sealed "
        f"receipt (the worker's `issue_receipt`): p50 {_ms(sample['receipt_ms'], 'p50')} ms, "
        f"p99 {_ms(sample['receipt_ms'], 'p99')} ms.",
        "",
        "Time in parts (first-time signer, p50 ms):",
        "",
    ]
    for step in ("signature", "submit"):
        parts = ", ".join(f"{k} {v:.1f}" for k, v in ft[f"{step}_parts_p50_ms"].items())
        lines.append(f"- {step}: {parts}")
    for step in ("submit", "signature"):
        prof = sample[f"profile_{step}"]
        lines += [
            "",
            "Sampling profile of "
            f"`{'check_sign_and_submit' if step == 'submit' else 'check_start_signing'}` "
            f"({sample['profile_n']} first-time signers, {prof['samples']} samples; wall time):",
            "",
            "| function | cumulative | own |",
            "|---|---:|---:|",
        ]
        for r in prof["by_cumulative"][:24]:
            lines.append(f"| `{r['function']}` | {r['cum_pct']:.0f} % | {r['own_pct']:.0f} % |")
    return "\n".join(lines) + "\n"


# =========================================================================== main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--applicants", type=int, default=60_000, help="applicants in the rush [60000]"
    )
    parser.add_argument("--late-share", type=float, default=0.5, help="share in phase B [0.5]")
    parser.add_argument("--concurrency-a", type=int, default=4, help="phones in phase A [4]")
    parser.add_argument(
        "--levels", default="8,32,128,256", help="phase B sweep: phones per step [8,32,128,256]"
    )
    parser.add_argument("--step-seconds", type=float, default=30.0, help="sweep step [30]")
    parser.add_argument(
        "--p99-limit", type=float, default=10.0, help="p99 of /submit a level must keep, s [10]"
    )
    parser.add_argument("--retry-share", type=float, default=0.03, help="submits sent twice [0.03]")
    parser.add_argument(
        "--certificates",
        default="first-time",
        choices=["first-time", "pre-issued"],
        help="the rush's applicants sign for the first time (certificate issued in the rush), "
        "or had their certificate issued in setup [first-time]",
    )
    parser.add_argument("--sample", type=int, default=30, help="in-process sample per group [30]")
    parser.add_argument(
        "--profile",
        type=int,
        default=20,
        help="applicants per step under the sampling profiler [20]",
    )
    parser.add_argument("--baseline-seconds", type=float, default=20.0, help="each baseline [20]")
    workers = (os.cpu_count() or 1) + 1
    parser.add_argument("--workers", type=int, default=workers, help=f"gunicorn [{workers}]")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker [4]")
    parser.add_argument("--conn-max-age", type=int, default=60, help="DB_CONN_MAX_AGE [60]")
    parser.add_argument("--timeout", type=float, default=120.0, help="client timeout, s [120]")
    parser.add_argument(
        "--closing",
        type=int,
        default=CLOSING_EACH_SIDE_DEFAULT,
        help="probes each side of closing [5]",
    )
    parser.add_argument(
        "--db", default="bench_calls", help="PostgreSQL database made here [bench_calls]"
    )
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs, keys)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--loadgen", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    opts.level_list = [int(x) for x in opts.levels.split(",") if x.strip()]
    if not 10 <= opts.applicants <= 200_000:
        parser.error("--applicants: 10 to 200,000")
    if not opts.level_list or min(opts.level_list) < 1 or max(opts.level_list) > 1000:
        parser.error("--levels: 1 to 1000 phones")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.loadgen:
        return loadgen_main(*opts.loadgen)
    signal.signal(signal.SIGTERM, raise_system_exit)
    signal.signal(signal.SIGHUP, raise_system_exit)
    # As gunicorn's workers (and db_worker) do: a SIGINT handler of our own, so that the
    # in-process sample runs asyncio.run (in sign_detached) the way the servers do. With
    # Python's default handler, asyncio.run installs one and, on the way out, signal.signal()
    # repr()s the finished task and its result.
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    started_at = dt.datetime.now().astimezone()
    wall0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-bench-calls-"))
    servers: list[Server] = []
    children: list[subprocess.Popen[bytes]] = []
    db_made = False
    result: dict[str, Any] = {
        "benchmark": "calls_rush",
        "started_at": started_at.isoformat(timespec="seconds"),
        "git": git_state(),
        "params": {
            k: getattr(opts, k)
            for k in (
                "applicants",
                "late_share",
                "concurrency_a",
                "level_list",
                "step_seconds",
                "p99_limit",
                "retry_share",
                "certificates",
                "sample",
                "profile",
                "baseline_seconds",
                "workers",
                "worker_class",
                "conn_max_age",
                "closing",
                "seed",
            )
        },
    }
    timings: dict[str, float] = {}
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
        env = make_env(tmp, opts)
        print(f"Scratch dir {tmp}; PostgreSQL database {opts.db}")
        t = time.perf_counter()
        pg_admin(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{opts.db}"')
        db_made = True
        log = tmp / "setup.log"
        manage(env, "migrate", "--noinput", log=log)
        manage(env, "compile_translations", log=log)
        manage(env, "collectstatic", "--noinput", log=log)
        timings["migrate"] = time.perf_counter() - t

        setup_django(env)
        from django.conf import settings
        from django.db import connection
        from django.utils import timezone

        from jamana.calls.models import Call
        from jamana.calls.publishing import check_publish_call, check_update_call
        from jamana.core.references import format_reference

        t = time.perf_counter()
        world = make_world()
        real = make_reference_applicant(world)
        timings["world_and_reference_applicant"] = time.perf_counter() - t
        print(
            f"  world and reference applicant in {timings['world_and_reference_applicant']:.0f} s"
        )

        population = Population(world, opts.seed)
        twin = twin_check(world, real, population)
        print(
            f"  bulk-made draft vs real actions: {'same' if twin['ok'] else 'DIFFERENT'} "
            f"{twin['checks']}"
        )
        if not twin["ok"]:
            raise BenchError(f"the bulk-made draft differs from the real one: {twin}")

        t = time.perf_counter()
        sample = measure_sample(
            world, population, twin["twin_reference"], opts.sample, opts.profile
        )
        timings["in_process_sample"] = time.perf_counter() - t
        ft, pi = sample["first_time"], sample["pre_issued"]
        print(
            f"  in-process sample: first-time signer {ft['signature_ms']['p50']:.0f} + "
            f"{ft['submit_ms']['p50']:.0f} ms, certificate issued before "
            f"{pi['signature_ms']['p50']:.0f} + {pi['submit_ms']['p50']:.0f} ms "
            f"(issuance {sample['certificate_issue_ms']['p50']:.0f} ms); receipt "
            f"{sample['receipt_ms']['p50']:.0f} ms"
        )

        n_closing = 2 * opts.closing + NEVER_SIGNED_AFTER_CLOSING
        t = time.perf_counter()
        print(
            f"  creating {opts.applicants:,} + {n_closing} applicants with ready drafts…",
            flush=True,
        )
        rush = population.create(RUSH_CALL, opts.applicants + n_closing, label="rush")
        timings["bulk_applicants"] = time.perf_counter() - t
        print(
            f"  created in {timings['bulk_applicants']:.0f} s "
            f"({len(rush) / timings['bulk_applicants']:,.0f}/s)"
        )
        if opts.certificates == "pre-issued":
            from jamana.identity.models import Person
            from jamana.pki.actions import do_ensure_personal_certificate

            t = time.perf_counter()
            for i, person in enumerate(
                Person.objects.filter(pk__in=[a["person_id"] for a in rush]).iterator()
            ):
                do_ensure_personal_certificate(person)
                if i and i % 5000 == 0:
                    print(f"    certificates: {i:,}", flush=True)
            timings["pre_issue_certificates"] = time.perf_counter() - t
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done over the weeks
        timings["vacuum_analyze"] = time.perf_counter() - t

        rng = random.Random(opts.seed)
        closing_rows, rush = rush[-n_closing:], rush[:-n_closing]
        third = opts.retry_share / 3

        def phone(a: dict[str, Any]) -> list[Any]:
            r = rng.random()
            kind = "none"
            for i, k in enumerate(RETRY_KINDS):
                if r < third * (i + 1):
                    kind = k
                    break
            return [format_reference(a["reference"]), a["session_key"], a["phone"], kind]

        phones = [phone(a) for a in rush]
        rng.shuffle(phones)
        n_b = round(len(phones) * opts.late_share)
        phones_a, phones_b = phones[: len(phones) - n_b], phones[len(phones) - n_b :]
        c_rows = [
            [format_reference(a["reference"]), a["session_key"], a["phone"], "closing"]
            for a in closing_rows
        ]
        closing_spec = [
            c_rows[: opts.closing],
            c_rows[opts.closing : 2 * opts.closing],
            c_rows[2 * opts.closing :],
        ]

        csrf = secrets.token_hex(16)  # an unmasked 32-character secret, as the CSRF cookie holds
        names = {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME}
        gunicorn_env = {k: v for k, v in env.items()}
        app = start_server(servers, "app", "bench.settings", gunicorn_env, opts, tmp)
        base = start_server(servers, "baseline", "bench.baseline_settings", gunicorn_env, opts, tmp)
        wait_ready(app, "/healthz")
        wait_ready(base, "/baseline/")
        result["preflight"] = preflight(app, base, rush[0], names, csrf)
        timings["setup_s"] = time.perf_counter() - wall0

        # The rush call is published now, its deadline planned from the in-process sample (a
        # first estimate; re-planned from phase A's measured rate, extended if need be).
        per_flow_ms = (ft if opts.certificates == "first-time" else pi)["flow_cpu_ms"]["p50"]
        est_rate = len(os.sched_getaffinity(0)) / (
            (per_flow_ms + sample["postgres_cpu_ms_per_flow"]) * 1.6 / 1000
        )
        # Only phase A is planned from the sample: at phase A's end the deadline is re-planned
        # from the measured rate (only ever extended), so little time is lost waiting for it.
        closes = plan_closing(time.time(), len(phones_a), est_rate, opts.baseline_seconds) + 60
        rush_call = Call.objects.get(code=RUSH_CALL)
        check_update_call(
            agent=world.officer,
            call=rush_call,
            closes_at=dt.datetime.fromtimestamp(math.ceil(closes), tz=dt.UTC),
        )
        check_publish_call(agent=world.officer, call=Call.objects.get(code=RUSH_CALL))
        rush_call = Call.objects.get(code=RUSH_CALL)
        print(
            f"Setup done in {timings['setup_s']:.0f} s. Call {RUSH_CALL} published, closing at "
            f"{timezone.localtime(rush_call.closes_at):%H:%M:%S} (planned at ~{est_rate:.0f} "
            f"submissions/s); gunicorn {opts.workers} {opts.worker_class} workers on :{app.port}, "
            f"baseline on :{base.port}",
            flush=True,
        )
        spec = {
            "app_port": app.port,
            "baseline_port": base.port,
            "csrf": csrf,
            "cookie_names": names,
            "pg_dsn": f"host=127.0.0.1 port=5432 user=postgres dbname={opts.db}",
            "pg_connections": 8,
            "A": phones_a,
            "B": phones_b,
            "closing": closing_spec,
            "concurrency_a": opts.concurrency_a,
            "levels": opts.level_list,
            "step_s": opts.step_seconds,
            "p99_limit_ms": opts.p99_limit * 1000,
            "baseline_s": opts.baseline_seconds,
            "timeout_s": opts.timeout,
            "call_code": RUSH_CALL,
            "dbname": opts.db,
        }
        roots = {"app": app.proc.pid, "baseline": base.proc.pid}
        t = time.perf_counter()
        load, snapshots, marks, extensions, waits = run_load(spec, tmp, roots, world, children)
        timings_run = time.perf_counter() - t
        result["load"] = {k: v for k, v in load.items() if k != "outcomes"}
        result["cpu"] = cpu_by_phase(snapshots)
        result["marks"] = marks
        at = {name: t for name, t, _info in marks}
        result["pg_waits"] = {
            phase: waits.summary(at[f"{phase}-start"], at[f"{phase}-end"])
            for phase in ("A", "B")
            if f"{phase}-start" in at and f"{phase}-end" in at
        }
        result["pg_waits"]["events"] = dict(waits.events.most_common(12))
        result["pg_waits"]["lock_waits_by_statement"] = dict(waits.lock_queries.most_common(8))
        result["extensions"] = extensions
        a, b = load["A"], load["B"]
        result["overall_per_s"] = (a["submitted_ok"] + b["submitted_ok"]) / max(
            1e-9, b["t_last"] - a["t_first"]
        )
        result["run_s"] = timings_run

        closing_refs = {
            "before": [a["reference"] for a in closing_rows[: opts.closing]],
            "after": [a["reference"] for a in closing_rows[opts.closing : 2 * opts.closing]],
            "never": [a["reference"] for a in closing_rows[2 * opts.closing :]],
        }
        t = time.perf_counter()
        result["checks"] = exactly_once(load, rush + closing_rows, closing_refs)
        probes = load["closing"]["probes"]
        closing_ok = (
            all(p["status"] == 200 for p in probes if p["what"].startswith("submit 1 s before"))
            and all(
                p["status"] == 400 and p["code"] == "call_closed"
                for p in probes
                if p["what"].endswith("1 s after") and not p["what"].startswith("resend")
            )
            and all(p["status"] == 200 for p in probes if p["what"].startswith("resend"))
            and len(probes)
            == 2 * opts.closing
            + NEVER_SIGNED_AFTER_CLOSING
            + len([p for p in probes if p["what"].startswith("resend")])
        )
        result["checks"]["closing_probes_as_expected"] = closing_ok
        baselines = load["closing"]["baselines"]
        result["checks"]["baselines_without_errors"] = not any(
            b["errors"] for b in baselines.values()
        )
        result["checks"]["ok"] = (
            result["checks"]["ok"]
            and closing_ok
            and result["checks"]["baselines_without_errors"]
            and not load["summary"]["anomalies"]
        )
        result["verified"] = verify_signatures(result["checks"]["sample_to_verify"])
        result["checks"]["ok"] = (
            result["checks"]["ok"] and result["verified"]["verified"] == result["verified"]["of"]
        )
        timings["checks_s"] = time.perf_counter() - t
        result["twin"] = twin
        result["sample"] = sample
        result["timings"] = timings
        result["server"] = {
            "description": f"{opts.worker_class}, {opts.workers} workers"
            + (f" x {opts.threads} threads" if opts.worker_class == "gthread" else "")
            + f", DB_CONN_MAX_AGE={opts.conn_max_age}",
            "args": gunicorn_args(opts),
            "settings": "bench.settings (production) and bench.baseline_settings",
        }
        result["machine"] = {
            "nproc": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)),
            "cpu_model": cpu_model(),
            "python": sys.version.split()[0],
            "versions": {
                d: version(d)
                for d in (
                    "Django",
                    "django-ninja",
                    "gunicorn",
                    "aiohttp",
                    "psycopg",
                    "cryptography",
                )
            },
            "postgresql": pg_settings(opts.db),
            "loadavg_start": None,
        }
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        print_log_tails([s.log for s in servers] + [tmp / "loadgen.log"])
        return 2
    finally:
        for proc in children:
            stop_group(proc)
        for server in servers:
            stop_group(server.proc)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 (Django may not be set up yet)
            pass
        if db_made and not opts.keep_db:
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
            except Exception as exc:  # report it and go on cleaning up
                print(f"could not drop {opts.db}: {exc}", file=sys.stderr)
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    result["machine"]["loadavg_start"] = LOADAVG_START
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["total_s"] = time.perf_counter() - wall0
    print_table(result)
    if opts.no_write and opts.keep_tmp:
        (tmp / "result.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    if not opts.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path = RESULTS / f"calls_rush-{started_at:%Y%m%d-%H%M%S}.json"
        md_path = RESULTS / "calls_rush-latest.md"
        write_atomically(json_path, json.dumps(result, indent=2, default=str) + "\n")
        write_atomically(md_path, markdown(result, json_path.relative_to(REPO).as_posix()))
        print(f"\nWrote {json_path.relative_to(REPO)} and {md_path.relative_to(REPO)}")
    print(f"Total {result['total_s']:.0f} s; checks {'OK' if result['checks']['ok'] else 'FAILED'}")
    return 0 if result["checks"]["ok"] else 1


LOADAVG_START = list(os.getloadavg())

if __name__ == "__main__":
    sys.exit(main())
