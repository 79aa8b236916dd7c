"""Administrative geography: load the effective-dated reference CSVs and query them.

The CSV files under ``core/data/geography/`` are the source of truth; ``SOURCES.md`` beside them
names the legal text or data set behind every row and says where the data is incomplete.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jamana.core.models import AdminArea, AreaLevel, Country

DATA_DIR = Path(__file__).resolve().parent / "data" / "geography"
COLUMNS = ("code", "country", "level", "name", "parent_code", "valid_from", "valid_to", "source")
_FIELDS = ("country", "level", "name", "valid_from", "valid_to", "source")


@dataclass(frozen=True)
class AreaRow:
    code: str
    country: str
    level: str
    name: str
    parent_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str


def read_rows(data_dir: Path | None = None) -> list[AreaRow]:
    """All rows of every ``*.csv`` in ``data_dir``, validated but not yet ordered."""
    directory = Path(data_dir) if data_dir is not None else DATA_DIR
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise ValueError(f"no geography CSV file in {directory}")
    rows: list[AreaRow] = []
    seen: set[str] = set()
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ValueError(f"{path.name}: header must be {','.join(COLUMNS)}")
            for line, raw in enumerate(reader, start=2):
                row = _parse(raw, f"{path.name}:{line}")
                if row.code in seen:
                    raise ValueError(f"{path.name}:{line}: duplicate code {row.code}")
                seen.add(row.code)
                rows.append(row)
    return rows


def load_geography(data_dir: Path | None = None) -> int:
    """Upsert every CSV row (parents first, one transaction) and return the number of rows.

    Idempotent: a second run with the same files writes nothing. Rows are never deleted here,
    because a record may still point to an area that a later file no longer lists.
    """
    rows = _parents_first(read_rows(data_dir))
    _check_periods(rows)
    with transaction.atomic():
        codes = [row.code for row in rows]
        existing = {area.code: area for area in AdminArea.objects.filter(code__in=codes)}
        ids = {code: area.pk for code, area in existing.items()}
        for batch in _by_depth(rows):
            to_create: list[AdminArea] = []
            to_update: list[AdminArea] = []
            for row in batch:
                parent_id = ids[row.parent_code] if row.parent_code else None
                values = {field: getattr(row, field) for field in _FIELDS}
                area = existing.get(row.code)
                if area is None:
                    to_create.append(AdminArea(code=row.code, parent_id=parent_id, **values))
                    continue
                changed = area.parent_id != parent_id or any(
                    getattr(area, field) != value for field, value in values.items()
                )
                if changed:
                    area.parent_id = parent_id
                    for field, value in values.items():
                        setattr(area, field, value)
                    to_update.append(area)
            if to_create:
                AdminArea.objects.bulk_create(to_create)
                # Not every backend returns primary keys from bulk_create: read them back.
                created = AdminArea.objects.filter(code__in=[a.code for a in to_create])
                ids.update(created.values_list("code", "pk"))
            if to_update:
                AdminArea.objects.bulk_update(to_update, ["parent", *_FIELDS])
    return len(rows)


def communes_for_select(country: str = "ML", on: dt.date | None = None) -> QuerySet[AdminArea]:
    """Communes of ``country`` valid on ``on`` (today by default), ordered by name.

    Several communes share a name (Benkadi, Diédougou…): show ``parent`` beside the name.
    """
    day = on or timezone.localdate()
    return (
        valid_on(day)
        .filter(country=country, level=AreaLevel.COMMUNE)
        .select_related("parent")
        .order_by("name", "code")
    )


def find_area(code: str) -> AdminArea | None:
    """The area with this code, current or closed, or None."""
    return AdminArea.objects.select_related("parent").filter(code=code.strip().upper()).first()


def valid_on(day: dt.date) -> QuerySet[AdminArea]:
    """Areas whose period contains ``day`` (``valid_to`` is exclusive)."""
    return AdminArea.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_to__isnull=True) | Q(valid_to__gt=day),
    )


def _parse(raw: dict[str, str], where: str) -> AreaRow:
    code = (raw["code"] or "").strip()
    if not code or len(code) > 32 or code != code.upper():
        raise ValueError(f"{where}: invalid code {code!r}")
    country = raw["country"].strip()
    if country not in Country.values:
        raise ValueError(f"{where}: unknown country {country!r}")
    level = raw["level"].strip()
    if level not in AreaLevel.values:
        raise ValueError(f"{where}: unknown level {level!r}")
    name = raw["name"].strip()
    if not name:
        raise ValueError(f"{where}: empty name")
    try:
        valid_from = _date(raw["valid_from"])
        valid_to = _date(raw["valid_to"])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    if valid_from and valid_to and valid_to <= valid_from:
        raise ValueError(f"{where}: valid_to must be after valid_from")
    return AreaRow(
        code=code,
        country=country,
        level=level,
        name=name,
        parent_code=(raw["parent_code"] or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        source=(raw["source"] or "").strip(),
    )


def _date(value: str | None) -> dt.date | None:
    value = (value or "").strip()
    return dt.date.fromisoformat(value) if value else None


def _check_periods(rows: list[AreaRow]) -> None:
    """A child may not exist outside its parent's period (old records must resolve upwards)."""
    by_code = {row.code: row for row in rows}
    for row in rows:
        if not row.parent_code:
            continue
        parent = by_code[row.parent_code]
        starts_ok = parent.valid_from is None or (
            row.valid_from is not None and parent.valid_from <= row.valid_from
        )
        ends_ok = parent.valid_to is None or (
            row.valid_to is not None and row.valid_to <= parent.valid_to
        )
        if not (starts_ok and ends_ok):
            raise ValueError(f"{row.code} is valid outside the period of its parent {parent.code}")


def _depths(rows: Iterable[AreaRow]) -> dict[str, int]:
    parents = {row.code: row.parent_code for row in rows}
    depth: dict[str, int] = {}
    for code in parents:
        chain: list[str] = []
        node = code
        while node and node not in depth:
            if node in chain:
                raise ValueError(f"parent cycle through {node}")
            if node not in parents:
                raise ValueError(f"unknown parent code {node} (child {chain[-1]})")
            chain.append(node)
            node = parents[node]
        base = depth[node] + 1 if node else 0
        for offset, item in enumerate(reversed(chain)):
            depth[item] = base + offset
    return depth


def _parents_first(rows: list[AreaRow]) -> list[AreaRow]:
    depth = _depths(rows)
    return sorted(rows, key=lambda row: (depth[row.code], row.code))


def _by_depth(rows: list[AreaRow]) -> list[list[AreaRow]]:
    depth = _depths(rows)
    batches: dict[int, list[AreaRow]] = {}
    for row in rows:
        batches.setdefault(depth[row.code], []).append(row)
    return [batches[level] for level in sorted(batches)]
