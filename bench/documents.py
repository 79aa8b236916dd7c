"""Benchmark: issuing and verifying a sealed document, on one core.

Builds a throw-away instance (SQLite, key store and media in a temp dir, demo data, the PKI),
pins this process to one CPU and measures, each over N iterations after a warm-up:

- full issuance (``documents.actions.issue_document``: render, PAdES B-LT seal with timestamp
  and embedded revocation data, store, register), then its parts: rendering, sealing, and the
  preparation of the sealing material (with that preparation's own parts);
- verification of a sealed PDF (``documents.verification.verify_pdf``: seal checked offline
  with pyHanko, then the registry) and the seal check alone (``trust.pades.check_sealed_pdf``);
- a baseline measured in the same run: bare ECDSA P-256 / SHA-256 sign and verify (and a bare
  SHA-256) of the same sealed-PDF bytes, so the figures say how much of the cost is PDF, CMS
  and ASN.1 work rather than cryptography.

Then a short cProfile of issuance and verification (not timed) names the hot spots.

    .venv/bin/python bench/documents.py            # ~1-2 minutes
    .venv/bin/python bench/documents.py --quick    # ~15 seconds
    .venv/bin/python bench/documents.py --help

Figures go to bench/results/documents-<timestamp>.json and bench/results/documents-latest.md.
Nothing outside the temp dir is written but those two files; no network is used.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO / "bench"))  # the sibling helpers, when run as a script

from _support import cpu_model, git_state, percentile, version  # noqa: E402

ISSUER_CODE = "ML-CEC-BKO-C3"
HOLDER_NINA = "19870312000045K"
ADDRESS = "Badalabougou, rue 120, porte 45, Bamako"
DISTURBED_BELOW = 0.95  # CPU time / wall time of a phase under this: something else ran
PROFILE_TOP = 25

# (iterations, warm-up) per size; the baseline runs many more iterations since each is cheap.
SIZES = {
    "full": {"heavy": 400, "parts": 150, "baseline": 5000, "warmup": 5, "profile": 20},
    "quick": {"heavy": 30, "parts": 20, "baseline": 500, "warmup": 3, "profile": 5},
}


# --------------------------------------------------------------------------- measuring


@dataclass
class Phase:
    name: str
    what: str
    iterations: int
    wall_ms: list[float] = field(default_factory=list, repr=False)
    cpu_ms: list[float] = field(default_factory=list, repr=False)
    peak_rss_kib: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    gc_ms: float = 0.0
    gc_collections: list[int] = field(default_factory=lambda: [0, 0, 0])

    @property
    def wall_total_s(self) -> float:
        return sum(self.wall_ms) / 1000

    @property
    def cpu_total_s(self) -> float:
        return sum(self.cpu_ms) / 1000

    @property
    def cpu_share(self) -> float:
        """How much of the wall time this process was on its CPU (1.0 = undisturbed)."""
        return self.cpu_total_s / self.wall_total_s if self.wall_total_s else float("nan")

    @property
    def ops_per_s(self) -> float:
        return len(self.wall_ms) / self.wall_total_s

    @property
    def ops_per_cpu_s(self) -> float:
        return len(self.cpu_ms) / self.cpu_total_s if self.cpu_total_s else float("nan")

    def stats(self, values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "mean": statistics.fmean(ordered),
            "p50": percentile(ordered, 50),
            "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99),
            "min": ordered[0],
            "max": ordered[-1],
        }

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "what": self.what,
            "iterations": len(self.wall_ms),
            "ops_per_s": self.ops_per_s,
            "ops_per_cpu_s": self.ops_per_cpu_s,
            "wall_ms": self.stats(self.wall_ms),
            "cpu_ms": self.stats(self.cpu_ms),
            "wall_total_s": self.wall_total_s,
            "cpu_share": self.cpu_share,
            "disturbed": self.cpu_share < DISTURBED_BELOW,
            "gc_ms": self.gc_ms,
            "gc_share": self.gc_ms / 1000 / self.wall_total_s if self.wall_total_s else 0.0,
            "gc_collections_by_generation": self.gc_collections,
            "rss_before_kib": self.rss_before_kib,
            "rss_after_kib": self.rss_after_kib,
            "peak_rss_kib_after": self.peak_rss_kib,
        }


class GcTracker:
    """Time spent in the cyclic garbage collector, and collections per generation."""

    def __init__(self) -> None:
        self.started = 0
        self.total_ns = 0
        self.collections = [0, 0, 0]

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter_ns()
        else:
            self.total_ns += time.perf_counter_ns() - self.started
            self.collections[info["generation"]] += 1

    def snapshot(self) -> tuple[int, list[int]]:
        return self.total_ns, list(self.collections)


GC = GcTracker()
gc.callbacks.append(GC)


def current_rss_kib() -> int:
    return status_kib("VmRSS")


def peak_rss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def status_kib(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM, which getrusage's ru_maxrss reads too), so that
    the peak of the measured work can be told from the peak of the setup (migrations)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(
    name: str,
    what: str,
    func: Callable[[int], Any],
    *,
    iterations: int,
    warmup: int,
    check: Callable[[Any], None] | None = None,
) -> Phase:
    """Call ``func(i)`` ``warmup`` times, then ``iterations`` times, timing each call (wall
    clock and process CPU time). ``check`` looks at each result outside the timed region."""
    for i in range(warmup):
        result = func(i)
        if check is not None:
            check(result)
    gc.collect()
    phase = Phase(name, what, iterations, rss_before_kib=current_rss_kib())
    wall, cpu = time.perf_counter_ns, time.process_time_ns
    print(f"  {name:<28} {iterations:>5} iterations …", end="", flush=True)
    gc_ns, gc_counts = GC.snapshot()
    for i in range(iterations):
        c0, w0 = cpu(), wall()
        result = func(warmup + i)
        w1, c1 = wall(), cpu()
        phase.wall_ms.append((w1 - w0) / 1e6)
        phase.cpu_ms.append((c1 - c0) / 1e6)
        if check is not None:
            check(result)
    phase.gc_ms = (GC.total_ns - gc_ns) / 1e6
    phase.gc_collections = [
        now - before for now, before in zip(GC.collections, gc_counts, strict=True)
    ]
    phase.rss_after_kib = current_rss_kib()
    phase.peak_rss_kib = peak_rss_kib()
    flag = "  (disturbed)" if phase.cpu_share < DISTURBED_BELOW else ""
    print(
        f" {phase.ops_per_s:10.1f}/s  p50 {phase.stats(phase.wall_ms)['p50']:8.3f} ms"
        f"  cpu/wall {phase.cpu_share:.2f}{flag}"
    )
    return phase


# --------------------------------------------------------------------------- environment


def pin_to_one_cpu(requested: int | None) -> tuple[int, list[int]]:
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[0] if requested is None else requested
    if cpu not in allowed:
        raise SystemExit(f"CPU {cpu} is not among the allowed CPUs {allowed}")
    os.sched_setaffinity(0, {cpu})
    return cpu, allowed


def machine_info(cpu: int, allowed: list[int]) -> dict[str, Any]:
    from cryptography.hazmat.backends.openssl.backend import backend

    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "allowed_cpus": allowed,
        "pinned_cpu": cpu,
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "openssl": backend.openssl_version_text(),
        "versions": {
            dist: version(dist)
            for dist in (
                "Django",
                "pyHanko",
                "pyhanko-certvalidator",
                "cryptography",
                "asn1crypto",
                "reportlab",
                "segno",
            )
        },
        "loadavg_start": list(os.getloadavg()),
    }


def setup_instance(tmp: Path) -> None:
    """Environment first, then Django, then a migrated database with demo data and a PKI."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "jamana.config.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["JAMANA_KEY_DIR"] = str(tmp / "keys")
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    # Dev settings default to DEBUG=True, which keeps every SQL query in memory
    # (connection.queries); a benchmark should not pay for that.
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("compile_translations", verbosity=0)

    from jamana.pki.actions import do_trust_init
    from jamana.procedures.demo import seed_demo

    seed_demo(seed=1, persons=10)
    do_trust_init()


# --------------------------------------------------------------------------- the run


def run(opts: argparse.Namespace) -> dict[str, Any]:
    size = SIZES["quick" if opts.quick else "full"]
    heavy = opts.iterations or size["heavy"]
    parts = opts.iterations or size["parts"]
    baseline_n = size["baseline"]
    warmup = size["warmup"]

    cpu, allowed = pin_to_one_cpu(opts.cpu)
    info = machine_info(cpu, allowed)
    print(
        f"Pinned to CPU {cpu} (os.sched_setaffinity; allowed CPUs {allowed}, nproc "
        f"{info['nproc']}): every figure below is single-core.\n"
        f"CPU {info['cpu_model']} · Python {info['python']} · Django "
        f"{info['versions']['Django']} · pyHanko {info['versions']['pyHanko']} · "
        f"cryptography {info['versions']['cryptography']}\n"
        f"load average at start: {' '.join(f'{x:.2f}' for x in info['loadavg_start'])}"
    )

    tmp = Path(tempfile.mkdtemp(prefix="jamana-docbench-"))
    try:
        t0 = time.perf_counter()
        setup_instance(tmp)
        setup_s = time.perf_counter() - t0
        print(f"Setup (migrate, translations, seed_demo, trust init) in {setup_s:.1f} s: {tmp}")
        gc.collect()
        rss = {
            "peak_after_setup_kib": peak_rss_kib(),
            "rss_after_setup_kib": current_rss_kib(),
            "hwm_reset": reset_peak_rss(),
        }
        phases, derived, extra = measure_all(heavy, parts, baseline_n, warmup)
        # Since the reset, both ru_maxrss and VmHWM hold the peak of the timed phases alone.
        rss["peak_after_timed_phases_kib"] = peak_rss_kib()
        rss["vmhwm_after_timed_phases_kib"] = status_kib("VmHWM")
        profile = None if opts.no_profile else profile_hot_spots(size["profile"])
    finally:
        if opts.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    info["loadavg_end"] = list(os.getloadavg())
    return {
        "benchmark": "documents",
        "started_at": opts.started_at.isoformat(timespec="seconds"),
        "mode": "quick" if opts.quick else "full",
        "machine": info,
        "git": git_state(),
        "setup_s": setup_s,
        "settings": {
            "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
            "DATABASE": "SQLite (temp dir)",
            "DEBUG": False,
            "issuer": ISSUER_CODE,
            "holder_nina": HOLDER_NINA,
            "kind": "residence_attestation",
        },
        "phases": {p.name: p.summary() for p in phases},
        "derived": derived,
        "documents": extra,
        "peak_rss_kib": peak_rss_kib(),
        "rss": rss,
        "profile": profile,
    }


def measure_all(
    heavy: int, parts: int, baseline_n: int, warmup: int
) -> tuple[list[Phase], dict[str, Any], dict[str, Any]]:
    from asn1crypto import tsp
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.utils import formats, timezone, translation
    from django.utils.translation import gettext

    from jamana.core.references import format_reference, new_reference
    from jamana.documents.actions import (
        COUNTRY_HEADINGS,
        demo_residence_fields,
        issue_document,
        read_document_file,
        verification_url,
    )
    from jamana.documents.kinds import KINDS
    from jamana.documents.rendering import DocumentContent, render_pdf
    from jamana.documents.verification import Verdict, verify_pdf
    from jamana.identity.models import Organisation, PersonIdentifier
    from jamana.pki import queries
    from jamana.pki.actions import do_ensure_seal_certificate, do_refresh_crl
    from jamana.pki.keystore import key_store
    from jamana.trust.pades import SealVerdict, check_sealed_pdf, seal_pdf

    issuer = Organisation.objects.get(code=ISSUER_CODE)
    holder = PersonIdentifier.objects.get(kind="nina", value=HOLDER_NINA).person
    with translation.override("fr"):
        content_kwargs = demo_residence_fields(holder, ADDRESS)
        reason = gettext("Issued by %(issuer)s") % {"issuer": issuer.name}

    def content() -> DocumentContent:
        """What issue_document renders, with a fresh number each time."""
        number = new_reference()
        heading, motto = COUNTRY_HEADINGS[issuer.country]
        with translation.override("fr"):
            return DocumentContent(
                country_heading=heading,
                motto=motto,
                issuer=issuer.name,
                title=str(KINDS["residence_attestation"].title),
                number=format_reference(number),
                fields=content_kwargs["fields"],
                paragraphs=content_kwargs["paragraphs"],
                issued_line=gettext("Issued on %(date)s")
                % {"date": formats.date_format(timezone.now(), "j F Y")},
                verification_url=verification_url(number),
                verification_hint=gettext(
                    "Check this document: scan the code or open the address below. "
                    "It is electronically sealed; any change makes the seal invalid."
                ),
                language="fr",
            )

    phases: list[Phase] = []
    issued = []

    def issue(_: int) -> Any:
        document = issue_document(
            kind="residence_attestation", issuer=issuer, holder=holder, **content_kwargs
        )
        issued.append(document)
        return document

    print("Issuance")
    phases.append(
        measure(
            "issue",
            "issue_document(): render + seal (PAdES B-LT) + store + register",
            issue,
            iterations=heavy,
            warmup=warmup,
        )
    )
    sizes = [d.size for d in issued]

    sample_content = content()
    phases.append(
        measure(
            "render",
            "rendering.render_pdf() (reportlab, fonts, QR code)",
            lambda _: render_pdf(content()),
            iterations=heavy,
            warmup=warmup,
        )
    )
    phases.append(
        measure(
            "sealing_material",
            "pki.queries.sealing_material(org): seal cert, TSA, OCSP responder, CRLs, 2 OCSP",
            lambda _: queries.sealing_material(issuer),
            iterations=heavy,
            warmup=warmup,
        )
    )
    material = queries.sealing_material(issuer)[0]
    unsealed = render_pdf(sample_content)
    sealed_sample = seal_pdf(unsealed, material, reason=reason, location=issuer.country)
    sample_check = check_sealed_pdf(sealed_sample, trust_roots=queries.trust_roots())
    assert sample_check.verdict == SealVerdict.VALID, sample_check
    assert sample_check.level == "B-LT", sample_check
    phases.append(
        measure(
            "seal",
            "trust.pades.seal_pdf() with prepared material (CMS, TSA token, DSS)",
            lambda _: seal_pdf(unsealed, material, reason=reason, location=issuer.country),
            iterations=heavy,
            warmup=warmup,
        )
    )

    print("What-if: bench-side variants of the seal (diagnostics, not the app's code path)")
    phases += what_if_seals(material, unsealed, reason, issuer.country, parts, warmup)

    print("Parts of sealing_material")
    seal_record = do_ensure_seal_certificate(issuer)
    responder = queries.ocsp_responder()
    seal_ca = queries.certificate("seal-ca")
    tsa = queries.time_stamp_authority()
    # Random imprints and nonces: the token's length varies with them, as in real use.
    tsa_queries = [
        tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": hashlib.sha256(os.urandom(16)).digest(),
                },
                "nonce": int.from_bytes(os.urandom(8), "big"),
                "cert_req": True,
            }
        ).dump()
        for _ in range(64)
    ]
    phases += [
        measure(
            "material.ensure_seal_cert",
            "pki.actions.do_ensure_seal_certificate (query)",
            lambda _: do_ensure_seal_certificate(issuer),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.tsa",
            "pki.queries.time_stamp_authority(): load TSA key + certs",
            lambda _: queries.time_stamp_authority(),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.tsa_token",
            "one RFC 3161 answer to a DER query (random imprint and nonce), as /pki/tsa and "
            "the in-process timestamper give; 1 per document",
            lambda i: tsa.respond(tsa_queries[i % len(tsa_queries)]),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.ocsp_responder",
            "pki.queries.ocsp_responder(): 3 identities (keys, certs, CertID hashes)",
            lambda _: queries.ocsp_responder(),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.ocsp_answer",
            "one fresh signed OCSP answer (status lookup + ECDSA signature); 2 per document",
            lambda _: queries._ocsp_answer(responder, material.certificate, seal_ca),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.crl",
            "pki.actions.do_refresh_crl('seal-ca'): current CRL (re-signed only near expiry)",
            lambda _: do_refresh_crl("seal-ca"),
            iterations=parts,
            warmup=warmup,
        ),
        measure(
            "material.key_load",
            "key_store().load(): decrypt one PKCS#8 key; 5 per document",
            lambda _: key_store().load(seal_record.key_name),
            iterations=parts,
            warmup=warmup,
        ),
    ]

    print("Verification")
    pdfs = [read_document_file(d) for d in issued[-20:]]

    def expect_valid(result: Any) -> None:
        assert result.verdict == Verdict.VALID, result

    def expect_seal_valid(result: Any) -> None:
        assert result.verdict == SealVerdict.VALID, result

    phases.append(
        measure(
            "verify_pdf",
            "verification.verify_pdf(): seal check (pyHanko, offline) + registry + access event",
            lambda i: verify_pdf(pdfs[i % len(pdfs)]),
            iterations=heavy,
            warmup=warmup,
            check=expect_valid,
        )
    )
    roots = queries.trust_roots()
    phases.append(
        measure(
            "check_sealed_pdf",
            "trust.pades.check_sealed_pdf() alone (roots loaded once)",
            lambda i: check_sealed_pdf(pdfs[i % len(pdfs)], trust_roots=roots),
            iterations=heavy,
            warmup=warmup,
            check=expect_seal_valid,
        )
    )

    print(f"Baseline: bare crypto over the same {len(pdfs[0]):,}-byte sealed PDF")
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = key.public_key()
    data = pdfs[0]
    algorithm = ec.ECDSA(hashes.SHA256())
    signature = key.sign(data, algorithm)

    def verify_raw(_: int) -> None:
        try:
            public_key.verify(signature, data, algorithm)
        except InvalidSignature:
            raise AssertionError("baseline signature does not verify") from None

    phases += [
        measure(
            "ecdsa_sign",
            "cryptography: ECDSA P-256 sign, SHA-256 of the sealed PDF included",
            lambda _: key.sign(data, algorithm),
            iterations=baseline_n,
            warmup=warmup * 10,
        ),
        measure(
            "ecdsa_verify",
            "cryptography: ECDSA P-256 verify, SHA-256 of the sealed PDF included",
            verify_raw,
            iterations=baseline_n,
            warmup=warmup * 10,
        ),
        measure(
            "sha256",
            "hashlib.sha256 of the sealed PDF",
            lambda _: hashlib.sha256(data).digest(),
            iterations=baseline_n,
            warmup=warmup * 10,
        ),
    ]

    by_name = {p.name: p for p in phases}

    def mean(name: str) -> float:
        return statistics.fmean(by_name[name].wall_ms)

    def cpu_mean(name: str) -> float:
        return statistics.fmean(by_name[name].cpu_ms)

    parts_of_issue = ("sealing_material", "render", "seal")
    derived = {
        "ratios_wall_mean": {
            "issue_per_ecdsa_sign": mean("issue") / mean("ecdsa_sign"),
            "seal_per_ecdsa_sign": mean("seal") / mean("ecdsa_sign"),
            "sealing_material_per_ecdsa_sign": mean("sealing_material") / mean("ecdsa_sign"),
            "verify_pdf_per_ecdsa_verify": mean("verify_pdf") / mean("ecdsa_verify"),
            "check_sealed_pdf_per_ecdsa_verify": mean("check_sealed_pdf") / mean("ecdsa_verify"),
        },
        "ratios_cpu_mean": {
            "issue_per_ecdsa_sign": cpu_mean("issue") / cpu_mean("ecdsa_sign"),
            "seal_per_ecdsa_sign": cpu_mean("seal") / cpu_mean("ecdsa_sign"),
            "sealing_material_per_ecdsa_sign": cpu_mean("sealing_material")
            / cpu_mean("ecdsa_sign"),
            "verify_pdf_per_ecdsa_verify": cpu_mean("verify_pdf") / cpu_mean("ecdsa_verify"),
            "check_sealed_pdf_per_ecdsa_verify": cpu_mean("check_sealed_pdf")
            / cpu_mean("ecdsa_verify"),
        },
        # Mean CPU ms of issue_document split into its measured parts; the rest is storing
        # the file, the Document row, the audit event and the translation work.
        "issue_breakdown_cpu_ms": {
            **{name: cpu_mean(name) for name in parts_of_issue},
            "store_register_and_rest": cpu_mean("issue")
            - sum(cpu_mean(name) for name in parts_of_issue),
            "total": cpu_mean("issue"),
        },
        "sealing_material_breakdown_cpu_ms": {
            "ensure_seal_cert": cpu_mean("material.ensure_seal_cert"),
            "tsa (1x)": cpu_mean("material.tsa"),
            "ocsp_responder (1x)": cpu_mean("material.ocsp_responder"),
            "ocsp_answer (2x)": 2 * cpu_mean("material.ocsp_answer"),
            "crl (2x)": 2 * cpu_mean("material.crl"),
            "seal key load (1x)": cpu_mean("material.key_load"),
            "total measured": cpu_mean("sealing_material"),
        },
        "verify_breakdown_cpu_ms": {
            "check_sealed_pdf": cpu_mean("check_sealed_pdf"),
            "registry, trust roots, access event": cpu_mean("verify_pdf")
            - cpu_mean("check_sealed_pdf"),
            "total": cpu_mean("verify_pdf"),
        },
        "what_if_cpu_ms": {
            "seal (app, B-LT)": cpu_mean("seal"),
            "seal, ValidationContext + signer reused": cpu_mean("whatif.seal_shared_context"),
            "seal B-T (no revocation data)": cpu_mean("whatif.seal_b_t"),
            # Per document, if the organisation's sealing material (OCSP answers, TSA,
            # ValidationContext, signer) were built once and reused while still fresh.
            "saving if sealing material were cached": cpu_mean("sealing_material")
            + cpu_mean("seal")
            - cpu_mean("whatif.seal_shared_context"),
            "issue (app)": cpu_mean("issue"),
        },
    }
    extra = {
        "queries_per_operation": count_queries(
            {
                "issue_document": lambda: issue(0),
                "sealing_material": lambda: queries.sealing_material(issuer),
                "verify_pdf": lambda: verify_pdf(pdfs[0]),
            }
        ),
        "sealed_size_bytes": {
            "mean": statistics.fmean(sizes),
            "min": min(sizes),
            "max": max(sizes),
        },
        "unsealed_size_bytes": len(unsealed),
        "documents_issued": len(issued),
        **signature_room(sealed_sample),
    }
    return phases, derived, extra


def what_if_seals(
    material: Any, unsealed: bytes, reason: str, location: str, iterations: int, warmup: int
) -> list[Phase]:
    """Two variants of trust.pades.seal_pdf measured beside it, to size two hot spots:

    - ``whatif.seal_shared_context``: the same B-LT seal with the material's pyHanko
      ValidationContext and signer built once and reused (seal_pdf builds both per call, and
      pyHanko then re-validates both chains against the embedded revocation data each time);
    - ``whatif.seal_b_t``: no revocation data embedded (B-T): what B-LT adds on top.

    Every variant's output is checked once (valid; B-LT where expected)."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from jamana.pki.queries import trust_roots
    from jamana.trust.pades import (
        SEAL_FIELD,
        SealingMaterial,
        SealVerdict,
        check_sealed_pdf,
        seal_pdf,
    )

    context = material.validation_context()
    signer = material.pyhanko_signer()

    class Prebuilt(SealingMaterial):
        def validation_context(self, *, moment: Any = None) -> Any:
            return context

        def pyhanko_signer(self) -> Any:
            return signer

    prebuilt = Prebuilt(
        **{name: getattr(material, name) for name in SealingMaterial.__dataclass_fields__}
    )

    def seal_shared(_: int) -> bytes:
        return seal_pdf(unsealed, prebuilt, reason=reason, location=location)

    def seal_b_t(_: int) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason or None,
            location=location or None,
        )
        pdf_signer = signers.PdfSigner(
            meta, signer=material.pyhanko_signer(), timestamper=material.timestamper
        )
        output = BytesIO()
        pdf_signer.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(unsealed), strict=False),
            output=output,
            bytes_reserved=16384,
        )
        return output.getvalue()

    roots = trust_roots()
    for func, level in ((seal_shared, "B-LT"), (seal_b_t, "B-T")):
        outcome = check_sealed_pdf(func(0), trust_roots=roots)
        assert outcome.verdict == SealVerdict.VALID, outcome
        assert outcome.level == level, outcome
    return [
        measure(
            "whatif.seal_shared_context",
            "seal_pdf() with ValidationContext + signer built once (B-LT, same output size)",
            seal_shared,
            iterations=iterations,
            warmup=warmup,
        ),
        measure(
            "whatif.seal_b_t",
            "the same seal without revocation data (B-T): no DSS, no pre-sign validation",
            seal_b_t,
            iterations=iterations,
            warmup=warmup,
        ),
    ]


def count_queries(operations: dict[str, Callable[[], Any]]) -> dict[str, dict[str, int]]:
    """SQL statements made by one call of each operation (not timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, operation in operations.items():
        with CaptureQueriesContext(connection) as captured:
            operation()
        sql = [q["sql"] for q in captured.captured_queries]
        counts[name] = {
            "statements": len(sql),
            "selects": sum(q.startswith("SELECT") for q in sql),
            "writes": sum(q.startswith(("INSERT", "UPDATE", "DELETE")) for q in sql),
        }
    return counts


def signature_room(sealed: bytes) -> dict[str, int]:
    """How much of the reserved /Contents the CMS signature actually fills."""
    from io import BytesIO

    from asn1crypto import cms
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(BytesIO(sealed), strict=False).embedded_signatures[-1]
    reserved = bytes(embedded.pkcs7_content)  # the whole /Contents, zero padding included
    used = len(cms.ContentInfo.load(reserved).dump())  # the DER value, without the padding
    return {"cms_signature_bytes": used, "reserved_contents_bytes": len(reserved)}


# --------------------------------------------------------------------------- profile


def profile_hot_spots(count: int) -> dict[str, Any]:
    """cProfile over ``count`` issuances and verifications: own CPU time by package (where the
    time goes: PDF parsing, ASN.1, path validation, raw crypto…) and the heaviest functions
    of the application, pyHanko, certvalidator and reportlab (cumulative)."""
    from django.utils import translation

    from jamana.documents.actions import demo_residence_fields, issue_document, read_document_file
    from jamana.documents.verification import verify_pdf
    from jamana.identity.models import Organisation, PersonIdentifier

    issuer = Organisation.objects.get(code=ISSUER_CODE)
    holder = PersonIdentifier.objects.get(kind="nina", value=HOLDER_NINA).person
    with translation.override("fr"):
        content_kwargs = demo_residence_fields(holder, ADDRESS)
    print(f"Profile (cProfile, not timed): {count} issuances, {count} verifications")

    def digest(profiler: cProfile.Profile) -> dict[str, Any]:
        raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        total_own = sum(row[2] for row in raw.values())
        packages: dict[str, float] = {}
        functions = []
        for (filename, line, func), (_, ncalls, tottime, cumtime, _) in raw.items():
            package = package_of(filename, func)
            packages[package] = packages.get(package, 0.0) + tottime
            short = short_path(filename)
            if short is not None:
                functions.append(
                    {
                        "function": f"{short}:{line}({func})",
                        "calls_per_op": ncalls / count,
                        "cum_ms_per_op": cumtime * 1000 / count,
                        "own_ms_per_op": tottime * 1000 / count,
                    }
                )
        functions.sort(key=lambda r: -r["cum_ms_per_op"])
        by_package = [
            {"package": name, "own_ms_per_op": own * 1000 / count, "share": own / total_own}
            for name, own in sorted(packages.items(), key=lambda item: -item[1])
        ]
        return {
            "profiled_ms_per_op": total_own * 1000 / count,
            "own_time_by_package": by_package,
            "functions": functions[:PROFILE_TOP],
        }

    documents = []
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        documents.append(
            issue_document(
                kind="residence_attestation", issuer=issuer, holder=holder, **content_kwargs
            )
        )
    profiler.disable()
    issue = digest(profiler)

    pdfs = [read_document_file(d) for d in documents]
    profiler = cProfile.Profile()
    profiler.enable()
    for pdf in pdfs:
        verify_pdf(pdf)
    profiler.disable()
    return {"count": count, "issue": issue, "verify": digest(profiler)}


PACKAGES = (
    ("/jamana/", "jamana"),
    ("/pyhanko_certvalidator/", "pyhanko-certvalidator"),
    ("/pyhanko/pdf_utils/", "pyhanko (PDF reading/writing)"),
    ("/pyhanko/", "pyhanko (CMS, signing, validation)"),
    ("/asn1crypto/", "asn1crypto"),
    ("/reportlab/", "reportlab"),
    ("/segno/", "segno (QR code)"),
    ("/django/", "django"),
    ("/cryptography/", "cryptography (Python layer)"),
)


def package_of(filename: str, func: str) -> str:
    for marker, name in PACKAGES:
        if marker in filename:
            return name
    if filename == "~":  # built-in: C or Rust code, named by its function
        if "cryptography" in func or "_rust" in func:
            return "cryptography (Rust/OpenSSL: signatures, hashes, parsing)"
        if "sqlite3" in func:
            return "sqlite3"
        return "builtins (C)"
    return "python stdlib" if "/lib/python3" in filename else "other"


def short_path(filename: str) -> str | None:
    """A readable name for the functions listed; None for those left out of the list
    (asn1crypto internals and the standard library, counted by package instead)."""
    if "/jamana/" in filename:
        return "jamana/" + filename.split("/jamana/", 1)[1]
    if "/site-packages/" in filename:
        tail = filename.split("/site-packages/", 1)[1]
        if tail.startswith(("pyhanko", "reportlab", "segno")) and not tail.startswith(
            "pyhanko/sign/_session_scope"
        ):
            return tail
    return None


# --------------------------------------------------------------------------- reporting


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for phase in result["phases"].values():
        wall, cpu = phase["wall_ms"], phase["cpu_ms"]
        rows.append(
            [
                phase["name"],
                str(phase["iterations"]),
                fmt_rate(phase["ops_per_s"]),
                fmt_rate(phase["ops_per_cpu_s"]),
                f"{wall['p50']:.3f}",
                f"{wall['p99']:.3f}",
                f"{wall['mean']:.3f}",
                f"{cpu['mean']:.3f}",
                f"{phase['cpu_share']:.2f}" + (" !" if phase["disturbed"] else ""),
                f"{phase['gc_share']:.1%}",
            ]
        )
    return rows


HEADERS = [
    "phase",
    "n",
    "ops/s",
    "ops/CPU-s",
    "p50 ms",
    "p99 ms",
    "mean ms",
    "CPU ms",
    "cpu/wall",
    "in GC",
]


def ratio_lines(result: dict[str, Any]) -> list[str]:
    """Ratios of mean CPU time (robust when another process shares the core), with the
    wall-clock ratio beside them (the same on a quiet machine)."""
    r = result["derived"]["ratios_wall_mean"]
    c = result["derived"]["ratios_cpu_mean"]
    w = result["derived"]["what_if_cpu_ms"]
    saving, issue = w["saving if sealing material were cached"], w["issue (app)"]

    def x(key: str) -> str:
        return f"{c[key]:,.0f}× (wall clock {r[key]:,.0f}×)"

    return [
        f"issuance costs {x('issue_per_ecdsa_sign')} a bare ECDSA P-256 sign of the same bytes",
        f"sealing alone (prepared material) costs {x('seal_per_ecdsa_sign')} a bare ECDSA sign; "
        f"preparing the material {x('sealing_material_per_ecdsa_sign')}",
        f"verify_pdf costs {x('verify_pdf_per_ecdsa_verify')} a bare ECDSA verify; "
        f"check_sealed_pdf alone {x('check_sealed_pdf_per_ecdsa_verify')}",
        f"caching the sealing material would save ~{saving:.1f} of {issue:.1f} CPU ms per "
        f"document (~{issue / (issue - saving):.2f}× issuance throughput)",
    ]


def breakdown_lines(title: str, parts: dict[str, float]) -> list[str]:
    total = parts.get("total") or parts.get("total measured")
    lines = [title]
    for name, value in parts.items():
        share = "" if name.startswith("total") or not total else f"  {value / total:6.1%}"
        lines.append(f"  {name:<40} {value:8.2f} ms{share}")
    return lines


def queries_sentence(result: dict[str, Any]) -> str:
    parts = [
        f"{name} {q['statements']} ({q['selects']} SELECT, {q['writes']} writes)"
        for name, q in result["documents"]["queries_per_operation"].items()
    ]
    return "SQL statements per call: " + "; ".join(parts) + "."


def rss_sentence(result: dict[str, Any]) -> str:
    rss = result["rss"]
    mib = 1024
    text = (
        f"Peak RSS (getrusage ru_maxrss): {rss['peak_after_setup_kib'] / mib:.1f} MiB during "
        f"setup (migrate, seed_demo, trust init; {rss['rss_after_setup_kib'] / mib:.1f} MiB "
        "resident once done)"
    )
    if rss["hwm_reset"]:
        text += (
            f"; {rss['peak_after_timed_phases_kib'] / mib:.1f} MiB over the timed phases "
            f"({result['documents']['documents_issued']} documents issued, peak reset after "
            f"setup through /proc/self/clear_refs); {result['peak_rss_kib'] / mib:.1f} MiB "
            "at the end, profiling included."
        )
    else:
        text += f"; {result['peak_rss_kib'] / mib:.1f} MiB at the end (peak not resettable)."
    return text


def print_report(result: dict[str, Any]) -> None:
    rows = table_rows(result)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    print()
    print(
        "  ".join(
            h.rjust(w) if i else h.ljust(w)
            for i, (h, w) in enumerate(zip(HEADERS, widths, strict=True))
        )
    )
    for row in rows:
        print(
            "  ".join(
                v.rjust(w) if i else v.ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(
        "(ops/CPU-s and CPU ms count only this process's CPU time; '!' = cpu/wall below "
        f"{DISTURBED_BELOW}: another process shared the CPU)"
    )
    print()
    for line in ratio_lines(result):
        print(line)
    d = result["derived"]
    print()
    for title, key in (
        ("Issuance, mean CPU ms:", "issue_breakdown_cpu_ms"),
        ("sealing_material, mean CPU ms:", "sealing_material_breakdown_cpu_ms"),
        ("Verification, mean CPU ms:", "verify_breakdown_cpu_ms"),
        ("What-if, mean CPU ms:", "what_if_cpu_ms"),
    ):
        print("\n".join(breakdown_lines(title, d[key])))
    docs = result["documents"]
    print(
        f"\nSealed document: {docs['sealed_size_bytes']['mean']:,.0f} bytes on average "
        f"(unsealed {docs['unsealed_size_bytes']:,}); CMS signature {docs['cms_signature_bytes']:,}"
        f" bytes in {docs['reserved_contents_bytes']:,} reserved"
    )
    print(queries_sentence(result))
    print(rss_sentence(result))
    if result["profile"]:
        for what in ("issue", "verify"):
            prof = result["profile"][what]
            print(
                f"\nProfile of {what}: own CPU time by package "
                f"({prof['profiled_ms_per_op']:.1f} ms per operation under cProfile)"
            )
            for row in prof["own_time_by_package"][:10]:
                print(f"  {row['share']:6.1%}  {row['own_ms_per_op']:7.2f} ms  {row['package']}")
            print(f"Heaviest functions of {what} (cumulative ms per operation):")
            for row in prof["functions"][:12]:
                print(
                    f"  {row['cum_ms_per_op']:8.2f}  {row['calls_per_op']:7.1f} calls  "
                    f"{row['function']}"
                )


def markdown(result: dict[str, Any], json_name: str) -> str:
    m = result["machine"]
    v = m["versions"]
    out = [
        f"# Document issuance and verification — {result['started_at']}",
        "",
        f"`bench/documents.py` ({result['mode']} run), raw figures in `{json_name}`. "
        f"One core: pinned to CPU {m['pinned_cpu']} of {m['allowed_cpus']} "
        f"(nproc {m['nproc']}), {m['cpu_model']}.",
        f"Python {m['python']}, Django {v['Django']}, pyHanko {v['pyHanko']}, "
        f"pyhanko-certvalidator {v['pyhanko-certvalidator']}, cryptography {v['cryptography']} "
        f"({m['openssl']}), asn1crypto {v['asn1crypto']}, reportlab {v['reportlab']}. "
        f"Git {result['git']['commit'][:12]}{' (dirty tree)' if result['git']['dirty'] else ''}. "
        f"Load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| " + " | ".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + " |",
    ]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(result)]
    out += [
        "",
        "ops/s and latencies are wall clock; ops/CPU-s and CPU ms count this process's CPU time "
        f"only; `!` marks a phase whose CPU time was under {DISTURBED_BELOW:.0%} of its wall "
        "time (another process shared the core).",
        "",
    ]
    out += [f"- {line}" for line in ratio_lines(result)]
    d = result["derived"]
    for title, key in (
        ("Issuance, mean CPU ms", "issue_breakdown_cpu_ms"),
        ("sealing_material, mean CPU ms", "sealing_material_breakdown_cpu_ms"),
        ("Verification, mean CPU ms", "verify_breakdown_cpu_ms"),
        ("What-if, mean CPU ms", "what_if_cpu_ms"),
    ):
        parts = d[key]
        total = parts.get("total") or parts.get("total measured")
        out += ["", f"**{title}**", "", "| part | ms | share |", "| --- | ---: | ---: |"]
        for name, value in parts.items():
            share = "" if name.startswith("total") or not total else f"{value / total:.1%}"
            out.append(f"| {name} | {value:.2f} | {share} |")
    docs = result["documents"]
    out += [
        "",
        f"Sealed document: {docs['sealed_size_bytes']['mean']:,.0f} bytes on average "
        f"({docs['sealed_size_bytes']['min']:,}–{docs['sealed_size_bytes']['max']:,}; unsealed "
        f"{docs['unsealed_size_bytes']:,}). The CMS signature takes "
        f"{docs['cms_signature_bytes']:,} bytes of the {docs['reserved_contents_bytes']:,} "
        "reserved for it. "
        "",
        queries_sentence(result),
        "",
        rss_sentence(result),
    ]
    if result["profile"]:
        count = result["profile"]["count"]
        for what in ("issue", "verify"):
            prof = result["profile"][what]
            out += [
                "",
                f"**Profile of {what}**: cProfile over {count} operations, "
                f"{prof['profiled_ms_per_op']:.1f} ms per operation with cProfile's overhead. "
                "Own time by package:",
                "",
                "| share | own ms | package |",
                "| ---: | ---: | --- |",
            ]
            out += [
                f"| {r['share']:.1%} | {r['own_ms_per_op']:.2f} | {r['package']} |"
                for r in prof["own_time_by_package"][:10]
            ]
            out += [
                "",
                "Heaviest functions (cumulative):",
                "",
                "| cum ms | own ms | calls | function |",
                "| ---: | ---: | ---: | --- |",
            ]
            out += [
                f"| {r['cum_ms_per_op']:.2f} | {r['own_ms_per_op']:.2f} | "
                f"{r['calls_per_op']:.0f} | `{r['function']}` |"
                for r in prof["functions"][:15]
            ]
    return "\n".join(out) + "\n"


def write_results(result: dict[str, Any], started: dt.datetime) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"documents-{started:%Y%m%d-%H%M%S}.json"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path = RESULTS / "documents-latest.md"
    md_path.write_text(markdown(result, json_path.relative_to(REPO).as_posix()))
    return json_path, md_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (~15 s)")
    parser.add_argument(
        "--iterations", type=int, default=0, help="iterations of every issuance/verification phase"
    )
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: first)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    parser.add_argument("--no-write", action="store_true", help="print only, write no results")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    opts = parser.parse_args(argv)
    opts.started_at = dt.datetime.now().astimezone()
    wall0 = time.perf_counter()
    result = run(opts)
    result["total_run_s"] = time.perf_counter() - wall0
    print_report(result)
    if not opts.no_write:
        json_path, md_path = write_results(result, opts.started_at)
        print(f"\nWrote {json_path.relative_to(REPO)} and {md_path.relative_to(REPO)}")
    print(f"Total {result['total_run_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
