from __future__ import annotations

import csv
import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from jamana.core.geography import (
    COLUMNS,
    DATA_DIR,
    communes_for_select,
    find_area,
    load_geography,
    read_rows,
    valid_on,
)
from jamana.core.models import AdminArea

REFORM = dt.date(2023, 3, 13)
BEFORE = dt.date(1987, 6, 1)
AFTER = dt.date(2025, 1, 1)

# What the data files really hold (see data/geography/SOURCES.md for the gaps).
ML_CURRENT_CERCLES = 116  # of 159 in the 2023 law (see SOURCES.md)
# Current communes whose 2023 cercle is sourced; the others sit in their region.
ML_COMMUNES_IN_A_CERCLE = 134
ML_FORMER_CERCLES = 49
ML_COMMUNES = 703  # 697 communes in cercles + the 6 communes of Bamako


@pytest.fixture
def geo(db: None) -> int:
    return load_geography()


SNAPSHOT_FIELDS = ("pk", "code", "country", "level", "name", "parent_id", "valid_from", "valid_to")


def _snapshot() -> list[tuple[object, ...]]:
    return list(AdminArea.objects.order_by("code").values_list(*SNAPSHOT_FIELDS, "source"))


def _write_csv(folder: Path, rows: list[list[str]]) -> None:
    with (folder / "areas.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def test_codes_are_unique_and_fit_the_model() -> None:
    rows = read_rows()
    codes = [row.code for row in rows]
    assert len(codes) == len(set(codes))
    assert all(len(code) <= 32 and code[:2] in {"ML", "BF", "NE"} for code in codes)
    assert all(row.source for row in rows), "every row names its source"
    assert (DATA_DIR / "SOURCES.md").is_file()


@pytest.mark.django_db
def test_loader_returns_the_row_count(geo: int) -> None:
    assert geo == len(read_rows())
    assert AdminArea.objects.count() == geo


@pytest.mark.django_db
def test_mali_current_top_level_is_19_regions_and_bamako(geo: int) -> None:
    top = valid_on(AFTER).filter(country="ML", parent__isnull=True)
    assert top.count() == 20
    assert top.filter(level="region").count() == 19
    bamako = top.get(level="district")
    assert bamako.code == "ML-00"
    assert {a.name for a in top.filter(level="region")} >= {
        "Région de Taoudénit",
        "Région de Ménaka",
        "Région de Nioro du Sahel",
        "Région de Bandiagara",
    }


@pytest.mark.django_db
def test_former_regions_are_closed_at_the_reform(geo: int) -> None:
    former = AdminArea.objects.filter(code__startswith="ML-OLD-", level="region")
    assert former.count() == 8
    assert set(former.values_list("valid_to", flat=True)) == {REFORM}
    top_before = valid_on(BEFORE).filter(country="ML", parent__isnull=True)
    assert top_before.count() == 9  # 8 regions + the District of Bamako
    assert set(top_before.values_list("code", flat=True)) == {"ML-00"} | {
        f"ML-OLD-{n:02d}" for n in range(1, 9)
    }


@pytest.mark.django_db
def test_cercle_counts(geo: int) -> None:
    cercles = AdminArea.objects.filter(country="ML", level="cercle")
    assert valid_on(BEFORE).filter(pk__in=cercles).count() == ML_FORMER_CERCLES
    assert valid_on(AFTER).filter(pk__in=cercles).count() == ML_CURRENT_CERCLES


@pytest.mark.django_db
def test_every_parent_exists_and_covers_the_child_period(geo: int) -> None:
    areas = {a.pk: a for a in AdminArea.objects.all()}
    for area in areas.values():
        if area.level in {"region", "district"}:
            assert area.parent_id is None, area.code
            continue
        assert area.parent_id in areas, area.code
        parent = areas[area.parent_id]
        assert parent.country == area.country
        if parent.valid_from is not None:
            assert area.valid_from is not None and parent.valid_from <= area.valid_from, area.code
        if parent.valid_to is not None:
            assert area.valid_to is not None and area.valid_to <= parent.valid_to, area.code


@pytest.mark.django_db
def test_loader_is_idempotent(geo: int) -> None:
    before = _snapshot()
    assert load_geography() == geo
    assert _snapshot() == before


@pytest.mark.django_db
def test_loader_updates_a_changed_row(tmp_path: Path) -> None:
    rows = [
        ["ML-99", "ML", "region", "Test", "", "", "", "test"],
        ["ML-99-01", "ML", "cercle", "Cercle A", "ML-99", "", "", "test"],
    ]
    _write_csv(tmp_path, rows)
    assert load_geography(tmp_path) == 2
    pk = AdminArea.objects.get(code="ML-99-01").pk
    rows[1][3] = "Cercle B"
    _write_csv(tmp_path, rows)
    load_geography(tmp_path)
    area = AdminArea.objects.select_related("parent").get(code="ML-99-01")
    assert area.parent is not None
    assert (area.pk, area.name, area.parent.code) == (pk, "Cercle B", "ML-99")


@pytest.mark.django_db
def test_loader_rejects_unknown_parent_and_leaves_nothing(tmp_path: Path) -> None:
    _write_csv(
        tmp_path,
        [
            ["ML-99", "ML", "region", "Test", "", "", "", "test"],
            ["ML-99-01", "ML", "cercle", "Orphan", "ML-98", "", "", "test"],
        ],
    )
    with pytest.raises(ValueError, match="unknown parent"):
        load_geography(tmp_path)
    assert not AdminArea.objects.exists()


@pytest.mark.django_db
def test_loader_rejects_a_child_outliving_its_parent(tmp_path: Path) -> None:
    _write_csv(
        tmp_path,
        [
            ["ML-99", "ML", "region", "Old", "", "", "2023-03-13", "test"],
            ["ML-99-01", "ML", "cercle", "Still open", "ML-99", "", "", "test"],
        ],
    )
    with pytest.raises(ValueError, match="outside the period"):
        load_geography(tmp_path)


@pytest.mark.django_db
def test_pre_reform_commune_still_resolves(geo: int) -> None:
    # Commune of Mopti, in the former cercle and region of Mopti.
    commune = find_area("ml-old-05-06-09")
    assert commune is not None
    assert commune.name == "Mopti" and commune.level == "commune"
    assert commune.is_valid_on(BEFORE) and not commune.is_valid_on(AFTER)
    assert [a.code for a in commune.ancestors()] == ["ML-OLD-05-06", "ML-OLD-05"]
    assert commune.ancestors()[-1].name == "Région de Mopti (avant 2023)"
    # Its current version sits in the current region of Mopti.
    current = find_area("ML-05-050609")
    assert current is not None and current.is_valid_on(AFTER)
    assert current.ancestors()[-1].code == "ML-05"


@pytest.mark.django_db
def test_find_area_unknown_code(geo: int) -> None:
    assert find_area("ML-XX") is None


@pytest.mark.django_db
def test_communes_for_select(geo: int) -> None:
    current = list(communes_for_select("ML", on=AFTER))
    assert len(current) == ML_COMMUNES
    names = [c.name for c in current]
    assert names == sorted(names)
    assert all(c.is_valid_on(AFTER) for c in current)
    assert "Bamako Commune III" in names
    assert all(not c.code.startswith("ML-OLD-") for c in current)
    former = list(communes_for_select("ML", on=BEFORE))
    assert len(former) == ML_COMMUNES
    assert {c.code for c in former if c.code.startswith("ML-OLD-")}
    assert not list(communes_for_select("BF", on=AFTER))


@pytest.mark.django_db
def test_commune_with_a_known_cercle(geo: int) -> None:
    garalo = find_area("ML-15-030110")
    assert garalo is not None and garalo.name == "Garalo"
    assert [a.code for a in garalo.ancestors()] == ["ML-15-GARALO", "ML-15"]


@pytest.mark.django_db
def test_communes_re_parented_from_cercle_articles(geo: int) -> None:
    # Wikipédia (fr) « Cercle de Koro » (code 1902) and « Cercle de Siby » (code 0207)
    # list their communes.
    bondo = find_area("ML-19-050503")
    assert bondo is not None and bondo.name == "Bondo"
    assert [a.code for a in bondo.ancestors()] == ["ML-19-KORO", "ML-19"]
    siby = find_area("ML-02-020433")
    assert siby is not None and siby.name == "Siby"
    assert [a.code for a in siby.ancestors()] == ["ML-02-SIBY", "ML-02"]
    # Borondougou (former Mopti cercle) is not in the 2023 list of the cercle of Mopti:
    # left in its region.
    borondougou = find_area("ML-05-050602")
    assert borondougou is not None and borondougou.parent is not None
    assert borondougou.parent.code == "ML-05"


@pytest.mark.django_db
def test_current_commune_parent_counts(geo: int) -> None:
    current = valid_on(AFTER).filter(country="ML", level="commune").exclude(parent__code="ML-00")
    assert current.count() == ML_COMMUNES - 6
    assert current.filter(parent__level="cercle").count() == ML_COMMUNES_IN_A_CERCLE
    at_region_level = current.filter(parent__level="region").count()
    assert at_region_level == ML_COMMUNES - 6 - ML_COMMUNES_IN_A_CERCLE


@pytest.mark.django_db
def test_burkina_faso_and_niger(geo: int) -> None:
    bf = AdminArea.objects.filter(country="BF")
    assert bf.filter(level="region").count() == 13
    assert bf.filter(level="province").count() == 45
    ne = AdminArea.objects.filter(country="NE", parent__isnull=True)
    assert ne.filter(level="region").count() == 7
    assert ne.get(level="district").name == "Niamey"


@pytest.mark.django_db
def test_management_command() -> None:
    out = StringIO()
    call_command("load_geography", stdout=out)
    assert f"{len(read_rows())} administrative areas loaded" in out.getvalue()
