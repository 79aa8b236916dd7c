"""Benchmark: making and reading the offline 2D seal (JM1), on one core, and its size.

Pins this process to one CPU, builds a throw-away test PKI in memory and a typical
birth-certificate extract, then measures, interleaved round by round so that a disturbance
hits every phase alike:

- ``make_seal`` with a software key, and with a DER-signing wrapper (the shape of an HSM key);
  both include the signature check against the public key that ``make_seal`` always does;
- ``read_seal`` of a valid seal, of a seal with one character changed (refused at zlib's
  checksum) and of a re-encoded seal with a changed name (refused at the signature);
- ``seal_qr`` (the QR code's matrix) and ``seal_qr_png`` (scale 4);
- the baseline, in the same run: bare ECDSA P-256 / SHA-256 sign and verify (``cryptography``)
  of the very COSE Sig_structure bytes the seal signs.

Then the sizes: CBOR claims, COSE_Sign1, zlib, base45 text and the QR version at level M for a
typical extract (with and without expiry, and a few names), the byte budget of the typical
seal, and what-if sizes of format changes that are *not* made (to inform a decision).

    .venv/bin/python bench/seal2d.py            # ~1 minute
    .venv/bin/python bench/seal2d.py --quick    # ~5 seconds

Figures go to bench/results/seal2d-<timestamp>.json and bench/results/seal2d-latest.md.
No network, no files but those two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import base45  # noqa: E402
import cbor2  # noqa: E402
import segno  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from jamana.trust.seal2d import (  # noqa: E402
    CLAIM_DOCUMENT,
    PREFIX,
    SealClaims,
    kid_for,
    make_seal,
    read_seal,
    seal_qr,
    seal_qr_png,
)
from jamana.trust.testing import make_test_pki  # noqa: E402

RESULTS = REPO / "bench" / "results"
DISTURBED_BELOW = 0.95  # CPU time / wall time of a phase under this: something else ran
PRINTED_CM = 3.0
SIZES = {
    # rounds, and calls per round: seal phases, cheap ones (baseline, zlib), QR code (~15 ms)
    "full": {"rounds": 60, "batch": 50, "baseline_batch": 100, "qr_batch": 5, "warmup": 50},
    "quick": {"rounds": 6, "batch": 20, "baseline_batch": 40, "qr_batch": 2, "warmup": 5},
}
NOW = dt.datetime(2026, 11, 28, 10, 0, 0, tzinfo=dt.UTC)


def birth_extract(**changes: Any) -> SealClaims:
    fields: dict[str, Any] = {
        "issuer_code": "ML-CEC-BKO-C3",
        "issuer_country": "ML",
        "kind": "civil.birth_extract",
        "number": "7K3Q9PX2M",
        "holder_given_names": "Fatoumata Djénéba",
        "holder_family_name": "Kéïta",
        "holder_birth_date": "1987-03-12",
        "issued_at": NOW,
        "expires_at": None,
        "pdf_sha256": hashlib.sha256(b"%PDF-1.7 extrait d'acte de naissance").digest(),
    }
    fields.update(changes)
    return SealClaims(**fields)


class DerSigningWrapper:
    """The shape of an HSM key: ``public_key()`` and ``sign(data) -> DER``."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))


# --------------------------------------------------------------------------- measuring


class Phase:
    def __init__(self, name: str, what: str, func: Callable[[], Any], batch: int) -> None:
        self.name, self.what, self.func, self.batch = name, what, func, batch
        self.wall_ns: list[int] = []
        self.cpu_ns: list[int] = []

    def run_round(self) -> None:
        func, batch = self.func, self.batch
        wall0, cpu0 = time.perf_counter_ns(), time.process_time_ns()
        for _ in range(batch):
            func()
        self.wall_ns.append(time.perf_counter_ns() - wall0)
        self.cpu_ns.append(time.process_time_ns() - cpu0)

    def summary(self) -> dict[str, Any]:
        calls = self.batch * len(self.wall_ns)
        wall_s, cpu_s = sum(self.wall_ns) / 1e9, sum(self.cpu_ns) / 1e9
        per_call_us = sorted(w / self.batch / 1000 for w in self.wall_ns)
        return {
            "name": self.name,
            "what": self.what,
            "calls": calls,
            "ops_per_s": calls / wall_s,
            "ops_per_cpu_s": calls / cpu_s if cpu_s else float("nan"),
            "us_per_call_mean": wall_s / calls * 1e6,
            "us_per_call_median_round": statistics.median(per_call_us),
            "us_per_call_best_round": per_call_us[0],
            "cpu_share": cpu_s / wall_s,
            "disturbed": cpu_s / wall_s < DISTURBED_BELOW,
        }


def pin_to_one_cpu(requested: int | None) -> tuple[int, list[int]]:
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[0] if requested is None else requested
    if cpu not in allowed:
        raise SystemExit(f"CPU {cpu} is not among the allowed CPUs {allowed}")
    os.sched_setaffinity(0, {cpu})
    return cpu, allowed


def machine_info(cpu: int, allowed: list[int]) -> dict[str, Any]:
    from cryptography.hazmat.backends.openssl.backend import backend

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=30
        )
        return done.stdout.strip()

    return {
        "nproc": os.cpu_count(),
        "allowed_cpus": allowed,
        "pinned_cpu": cpu,
        "cpu_model": model,
        "python": platform.python_version(),
        "openssl": backend.openssl_version_text(),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "versions": {
            d: version(d) for d in ("cwt", "cbor2", "base45", "cryptography", "segno", "pillow")
        },
        "git": {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))},
        "loadavg_start": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------- sizes


def qr_facts(text: str) -> dict[str, Any]:
    qr = segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)
    boosted = seal_qr(text)
    modules = qr.symbol_size(scale=1, border=0)[0]
    with_quiet_zone = modules + 8
    module_mm = PRINTED_CM * 10 / with_quiet_zone
    return {
        "version_at_M": qr.version,
        "error_level_after_boost": boosted.error,
        "modules": modules,
        "module_mm_at_3cm_with_quiet_zone": round(module_mm, 3),
        "px_per_module_300dpi": round(module_mm / 25.4 * 300, 2),
        "px_per_module_200dpi": round(module_mm / 25.4 * 200, 2),
    }


def size_facts(text: str) -> dict[str, Any]:
    compressed = base45.b45decode(text[len(PREFIX) :])
    cose = zlib.decompress(compressed)
    payload = cbor2.loads(cose).value[2]
    return {
        "cbor_claims_bytes": len(payload),
        "cose_sign1_bytes": len(cose),
        "zlib_bytes": len(compressed),
        "zlib_gain_bytes": len(cose) - len(compressed),
        "text_chars": len(text),
        **qr_facts(text),
    }


def budget(text: str) -> list[tuple[str, int]]:
    """Bytes of each part of the typical COSE_Sign1, before zlib."""
    cose = zlib.decompress(base45.b45decode(text[len(PREFIX) :]))
    message = cbor2.loads(cose)
    protected, unprotected, payload, signature = message.value
    claims = cbor2.loads(payload)
    document = claims[CLAIM_DOCUMENT]

    def entry(key: int, value: Any) -> int:
        return len(cbor2.dumps(key)) + len(cbor2.dumps(value))

    names = {1: "version", 2: "country", 3: "kind", 4: "number", 5: "given names"}
    names |= {6: "family name", 7: "birth date", 8: "PDF SHA-256"}
    rows = [
        ("tag 18 + array header", 2),
        ("protected header {alg, kid} as bstr", len(cbor2.dumps(protected))),
        ("unprotected header {}", len(cbor2.dumps(unprotected))),
        ("signature (r, s: 64 bytes) as bstr", len(cbor2.dumps(signature))),
        ("payload bstr header + claims map header", len(cbor2.dumps(payload)) - len(payload) + 1),
        ("iss", entry(1, claims[1])),
        ("iat", entry(6, claims[6])),
        ("document claim key -65537 + map header", len(cbor2.dumps(CLAIM_DOCUMENT)) + 1),
    ]
    rows += [(f"· {names[k]}", entry(k, v)) for k, v in document.items()]
    rows.append(("total COSE_Sign1", len(cose)))
    if sum(n for _, n in rows[:-1]) != len(cose):
        raise AssertionError(f"the budget does not add up to {len(cose)}")
    return rows


def what_if(text: str) -> list[dict[str, Any]]:
    """Sizes of format variants that are NOT what JM1 does, to inform a decision: each
    rebuilds the COSE_Sign1 with the same signature length and measures the text."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(text[len(PREFIX) :])))
    protected, _, payload, signature = message.value
    base_claims = cbor2.loads(payload)

    def text_for(claims: dict[int, Any], *, compress: bool) -> str:
        cose = cbor2.dumps(
            cbor2.CBORTag(18, [protected, {}, cbor2.dumps(claims, canonical=True), signature])
        )
        body = zlib.compress(cose, 9) if compress else cose
        return PREFIX + base45.b45encode(body).decode()

    def without_iss(c: dict[int, Any]) -> None:
        del c[1]

    def kind_as_int(c: dict[int, Any]) -> None:
        c[CLAIM_DOCUMENT][3] = 1

    def without_country(c: dict[int, Any]) -> None:
        del c[CLAIM_DOCUMENT][2]

    def with_exp(c: dict[int, Any]) -> None:
        c[4] = c[6] + 90 * 86400

    variants: list[tuple[str, list[Callable[[dict[int, Any]], None]], bool]] = [
        ("JM1 as specified", [], True),
        ("JM1 with an exp claim (90 days)", [with_exp], True),
        ("no zlib (the payload is mostly random bytes)", [], False),
        ("kind as a 1-byte registry code", [kind_as_int], True),
        ("no iss (the seal certificate names the issuer)", [without_iss], True),
        ("no country (it prefixes the issuer code)", [without_country], True),
        ("no zlib + kind code", [kind_as_int], False),
        ("no zlib + kind code + no iss", [kind_as_int, without_iss], False),
        (
            "no zlib + kind code + no iss + no country",
            [kind_as_int, without_iss, without_country],
            False,
        ),
    ]
    rows = []
    for label, changes, compress in variants:
        claims = cbor2.loads(cbor2.dumps(base_claims))
        for change in changes:
            change(claims)
        variant = text_for(claims, compress=compress)
        facts = qr_facts(variant)
        rows.append(
            {"variant": label, "text_chars": len(variant), "version_at_M": facts["version_at_M"]}
        )
    return rows


# --------------------------------------------------------------------------- run


def run(opts: argparse.Namespace) -> dict[str, Any]:
    size = SIZES["quick" if opts.quick else "full"]
    cpu, allowed = pin_to_one_cpu(opts.cpu)
    print(f"Pinned to CPU {cpu} (os.sched_setaffinity; allowed {allowed})")
    machine = machine_info(cpu, allowed)

    pki = make_test_pki(now=NOW - dt.timedelta(days=30))
    key, certificate = pki.seal.key, pki.seal.certificate
    kid = kid_for(certificate)
    trusted = {kid: certificate}
    claims = birth_extract()
    hsm_like = DerSigningWrapper(key)
    text = make_seal(claims, signer=key, kid=kid)
    if read_seal(text, trusted=trusted, now=NOW).verdict != "valid":
        raise SystemExit("the typical seal does not read back valid")

    # The bytes the seal signs (RFC 9052 §4.4), for the baseline.
    protected, _, payload, signature = cbor2.loads(
        zlib.decompress(base45.b45decode(text[len(PREFIX) :]))
    ).value
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    der_signature = key.sign(sig_structure, ec.ECDSA(hashes.SHA256()))
    public_key = key.public_key()

    one_char = text[:100] + ("A" if text[100] != "A" else "B") + text[101:]
    renamed_claims = cbor2.loads(payload)
    renamed_claims[CLAIM_DOCUMENT][6] = "Traoré"
    renamed = (
        PREFIX
        + base45.b45encode(
            zlib.compress(
                cbor2.dumps(
                    cbor2.CBORTag(
                        18, [protected, {}, cbor2.dumps(renamed_claims, canonical=True), signature]
                    )
                ),
                9,
            )
        ).decode()
    )
    for forged, verdict in ((one_char, "malformed"), (renamed, "tampered")):
        if read_seal(forged, trusted=trusted, now=NOW).verdict != verdict:
            raise SystemExit(f"a forged seal did not read {verdict}")

    batch, baseline_batch, qr_batch = size["batch"], size["baseline_batch"], size["qr_batch"]
    sha256 = ec.ECDSA(hashes.SHA256())
    body = text[len(PREFIX) :]
    compressed = base45.b45decode(body)
    cose = zlib.decompress(compressed)

    def read(seal: str) -> Callable[[], Any]:
        return lambda: read_seal(seal, trusted=trusted, now=NOW)

    specs: list[tuple[str, str, Callable[[], Any], int]] = [
        (
            "make_seal",
            "make_seal, software P-256 key",
            lambda: make_seal(claims, signer=key, kid=kid),
            batch,
        ),
        (
            "make_seal_der",
            "make_seal, DER-signing wrapper (HSM shape)",
            lambda: make_seal(claims, signer=hsm_like, kid=kid),
            batch,
        ),
        ("read_seal_valid", "read_seal of a valid seal", read(text), batch),
        (
            "read_seal_one_char",
            "read_seal, one character changed (malformed)",
            read(one_char),
            batch,
        ),
        (
            "read_seal_tampered",
            "read_seal, name changed, re-encoded (tampered)",
            read(renamed),
            batch,
        ),
        ("seal_qr", "seal_qr (QR code, segno)", lambda: seal_qr(text), qr_batch),
        ("seal_qr_png", "seal_qr_png, scale 4", lambda: seal_qr_png(text, scale=4), qr_batch),
        (
            "base45_encode",
            "part: base45 encode (base45 package)",
            lambda: base45.b45encode(compressed),
            batch,
        ),
        (
            "base45_decode",
            "part: base45 decode (base45 package)",
            lambda: base45.b45decode(body),
            batch,
        ),
        (
            "zlib_compress",
            "part: zlib compress, level 9",
            lambda: zlib.compress(cose, 9),
            baseline_batch,
        ),
        (
            "zlib_decompress",
            "part: zlib decompress",
            lambda: zlib.decompress(compressed),
            baseline_batch,
        ),
        (
            "ecdsa_sign",
            "baseline: ECDSA P-256 sign of the Sig_structure",
            lambda: key.sign(sig_structure, sha256),
            baseline_batch,
        ),
        (
            "ecdsa_verify",
            "baseline: ECDSA P-256 verify of it",
            lambda: public_key.verify(der_signature, sig_structure, sha256),
            baseline_batch,
        ),
    ]
    phases = [Phase(*spec) for spec in specs]
    for phase in phases:
        for _ in range(size["warmup"]):
            phase.func()
    started = time.perf_counter()
    for _ in range(size["rounds"]):
        for phase in phases:
            phase.run_round()
    timed_s = time.perf_counter() - started
    results = {p.name: p.summary() for p in phases}

    names = [
        ("Fatoumata Djénéba", "Kéïta"),
        ("Awa", "Diarra"),
        ("Sɛkuba Ɔmar", "Dɛmbɛlɛ"),
        ("Aminata Mariam Oumou Kalsoum", "Coulibaly"),
    ]
    samples = []
    for given, family in names:
        for expires in (None, NOW + dt.timedelta(days=90)):
            sample = make_seal(
                birth_extract(
                    holder_given_names=given, holder_family_name=family, expires_at=expires
                ),
                signer=key,
                kid=kid,
            )
            samples.append(
                {"given": given, "family": family, "exp": expires is not None} | size_facts(sample)
            )
    return {
        "started_at": opts.started_at.isoformat(),
        "quick": opts.quick,
        "machine": machine,
        "rounds": size["rounds"],
        "timed_s": timed_s,
        "loadavg_end": list(os.getloadavg()),
        "phases": results,
        "ratios": {
            "make_seal_per_ecdsa_sign": results["ecdsa_sign"]["ops_per_cpu_s"]
            / results["make_seal"]["ops_per_cpu_s"],
            "read_seal_per_ecdsa_verify": results["ecdsa_verify"]["ops_per_cpu_s"]
            / results["read_seal_valid"]["ops_per_cpu_s"],
        },
        "typical": {"given": claims.holder_given_names, "family": claims.holder_family_name}
        | size_facts(text),
        "typical_text": text,
        "samples": samples,
        "budget": budget(text),
        "what_if": what_if(text),
    }


# --------------------------------------------------------------------------- report


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def phase_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| phase | calls | ops/s | ops/CPU-s | µs/call (mean) | µs/call (median round) "
        "| cpu/wall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in result["phases"].values():
        mark = " !" if p["disturbed"] else ""
        lines.append(
            f"| {p['what']} | {p['calls']} | {fmt(p['ops_per_s'])} | {fmt(p['ops_per_cpu_s'])} "
            f"| {p['us_per_call_mean']:.1f} | {p['us_per_call_median_round']:.1f} "
            f"| {p['cpu_share']:.2f}{mark} |"
        )
    return lines


def size_tables(result: dict[str, Any]) -> list[str]:
    t = result["typical"]
    lines = [
        f"Typical extract ({t['given']} {t['family']}, born 1987-03-12, no expiry): "
        f"CBOR claims {t['cbor_claims_bytes']} B, COSE_Sign1 {t['cose_sign1_bytes']} B, "
        f"zlib {t['zlib_bytes']} B ({-t['zlib_gain_bytes']:+d} B), text {t['text_chars']} "
        f"characters, **QR version {t['version_at_M']} at level M** "
        f"({t['modules']}×{t['modules']} modules; {t['module_mm_at_3cm_with_quiet_zone']} mm a "
        f"module at 3 cm with the quiet zone: {t['px_per_module_300dpi']} px at 300 dpi, "
        f"{t['px_per_module_200dpi']} px at 200 dpi).",
        "",
        "| given names | family name | exp | CBOR | COSE | zlib | text | QR version (M) |",
        "| --- | --- | :-: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result["samples"]:
        lines.append(
            f"| {s['given']} | {s['family']} | {'yes' if s['exp'] else 'no'} "
            f"| {s['cbor_claims_bytes']} | {s['cose_sign1_bytes']} | {s['zlib_bytes']} "
            f"| {s['text_chars']} | {s['version_at_M']} |"
        )
    lines += ["", "**Byte budget of the typical seal (before zlib)**", "", "| part | bytes |"]
    lines.append("| --- | ---: |")
    lines += [f"| {part} | {n} |" for part, n in result["budget"]]
    lines += ["", "**What-if sizes (not the format: for a decision)**", ""]
    lines += ["| variant | text chars | QR version (M) |", "| --- | ---: | ---: |"]
    lines += [
        f"| {w['variant']} | {w['text_chars']} | {w['version_at_M']} |" for w in result["what_if"]
    ]
    return lines


def markdown(result: dict[str, Any], json_name: str) -> str:
    m = result["machine"]
    v = m["versions"]
    r = result["ratios"]
    dirty = " (dirty tree)" if m["git"]["dirty"] else ""
    lines = [
        f"# 2D seal (JM1) — {result['started_at']}",
        "",
        f"`bench/seal2d.py` ({'quick' if result['quick'] else 'full'} run), raw figures in "
        f"`{json_name}`. One core: pinned to CPU {m['pinned_cpu']} of {m['allowed_cpus']} "
        f"(nproc {m['nproc']}), {m['cpu_model']}.",
        f"Python {m['python']}, cwt {v['cwt']}, cbor2 {v['cbor2']}, base45 {v['base45']}, "
        f"cryptography {v['cryptography']} ({m['openssl']}), zlib {m['zlib']}, segno "
        f"{v['segno']}. Git {m['git']['commit'][:12]}{dirty}. Load average "
        f"{m['loadavg_start'][0]:.2f} at start, {result['loadavg_end'][0]:.2f} at end.",
        "",
        *phase_table(result),
        "",
        "ops/s and µs are wall clock; ops/CPU-s counts this process's CPU time; `!` marks a "
        "phase whose CPU time was under 95% of its wall time (another process shared the core). "
        f"Phases ran interleaved, {result['rounds']} rounds.",
        "",
        f"- making a seal costs {r['make_seal_per_ecdsa_sign']:.1f}× a bare ECDSA sign of the same "
        "bytes (it includes one verify: make_seal checks the signature it got)",
        f"- reading a valid seal costs {r['read_seal_per_ecdsa_verify']:.1f}× a bare ECDSA verify",
        "",
        *size_tables(result),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (~5 s)")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: first)")
    parser.add_argument("--no-write", action="store_true", help="print only, write no results")
    opts = parser.parse_args(argv)
    opts.started_at = dt.datetime.now().astimezone()
    result = run(opts)
    json_name = f"bench/results/seal2d-{opts.started_at:%Y%m%d-%H%M%S}.json"
    report = markdown(result, json_name)
    print(report)
    if not opts.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (REPO / json_name).write_text(json.dumps(result, indent=2, default=str) + "\n")
        (RESULTS / "seal2d-latest.md").write_text(report)
        print(f"Wrote {json_name} and bench/results/seal2d-latest.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
