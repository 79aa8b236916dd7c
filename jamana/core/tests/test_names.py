"""Tolerant matching of Malian names: spelling variants match, different names do not."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamana.core.names import (
    KEY_MATCH_SIMILARITY,
    NAME_MATCH_THRESHOLD,
    PROBABLE_DUPLICATE_THRESHOLD,
    MatchingQuality,
    NameRecord,
    blocking_key,
    generate_variant,
    match_score,
    measure_name_matching,
    name_similarity,
    normalize_name,
    phonetic_key,
)

# Spellings of one name each: accents, French and Bambara orthography, Bambara letters.
FAMILY_NAME_VARIANTS = [
    ("Keïta", "Keita", "Kéita", "Keyita", "KEÏTA"),
    ("Touré", "Toure", "Ture"),
    ("Maïga", "Maiga"),
    ("Haïdara", "Haidara", "Aidara"),
    ("Coulibaly", "Kulibali"),
    ("Traoré", "Tarawele", "Tarawere", "Traore", "Tarawɛlɛ"),
    ("Diarra", "Jara"),
    ("Diallo", "Jallo", "Jalo"),
    ("Diakité", "Jakite", "Jakitɛ"),
    ("Diabaté", "Jabate"),
    ("Ouattara", "Watara"),
    ("Konaté", "Konate", "Kɔnatɛ"),
    ("Kouyaté", "Kuyate"),
    ("Doumbia", "Dumbia"),
    ("Cissé", "Sise", "Cisse"),
    ("Sissoko", "Sisoko"),
    ("Camara", "Kamara"),
    ("Dicko", "Jiko"),
    ("Bagayoko", "Bagayogo"),
    ("Sidibé", "Sidibe"),
    ("Samaké", "Samake"),
    ("Koné", "Kɔnɛ", "KƆNƐ"),
    ("Niaré", "Ɲarɛ", "Nyare"),
    ("Sangaré", "Saŋare"),
    ("N'Diaye", "Ndiaye", "N’Diaye"),
    ("Sacko", "Sako", "Sakho"),
]
GIVEN_NAME_VARIANTS = [
    ("Mamadou", "Mamadu"),
    ("Oumar", "Umar"),
    ("Fatoumata", "Fatumata"),
    ("Aminata", "Aminatou"),
    ("Moussa", "Musa"),
    ("Ousmane", "Usman"),
    ("Adama", "ADAMA", "adama"),
    ("Seydou", "Seidu", "Sedu"),
    ("Boubacar", "Bubakar"),
    ("Abdoulaye", "Abdulaye"),
    ("Mariam", "Mariame", "Maryam"),
    ("Hawa", "Awa"),
    ("Drissa", "Dirisa"),
    ("Bréhima", "Berehima"),
    ("Kadiatou", "Kajatu"),
    ("Djénéba", "Jeneba", "Jɛnɛba"),
]
VARIANT_GROUPS = FAMILY_NAME_VARIANTS + GIVEN_NAME_VARIANTS
VARIANT_PAIRS = [pair for group in VARIANT_GROUPS for pair in itertools.combinations(group, 2)]

# Genuinely different names, many of them close in writing. Short forms (Madou, Fanta) are
# different names too: only spelling variants match.
DIFFERENT_PAIRS = [
    ("Traoré", "Touré"),
    ("Keïta", "Koïta"),
    ("Diarra", "Diallo"),
    ("Konaté", "Koné"),
    ("Sissoko", "Sidibé"),
    ("Cissé", "Sy"),
    ("Coulibaly", "Kouyaté"),
    ("Diakité", "Diabaté"),
    ("Aminata", "Amadou"),
    ("Moussa", "Mamadou"),
    ("Mamadou", "Amadou"),
    ("Fatoumata", "Fanta"),
    ("Mamadou", "Madou"),
    ("Koné", "Kané"),
    ("Kanté", "Konaté"),
    ("Kanté", "Kané"),
    ("Konaté", "Kané"),
    ("Cissé", "Cissoko"),
    ("Diarra", "Dia"),
    ("Sangaré", "Sanogo"),
    ("Sangaré", "Samaké"),
    ("Dembélé", "Doumbia"),
    ("Kouyaté", "Kanouté"),
    ("Sylla", "Sall"),
    ("Sow", "Sy"),
    ("Tangara", "Togola"),
    ("Touré", "Tounkara"),
    ("Maïga", "Mariko"),
    ("Samaké", "Sacko"),
    ("Dao", "Diawara"),
    ("Goïta", "Guindo"),
    ("Fofana", "Fomba"),
    ("Bamba", "Ballo"),
    ("Camara", "Kamissoko"),
    ("Traoré", "Diarra"),
    ("Keïta", "Konaté"),
    ("Seydou", "Sékou"),
    ("Karim", "Kassim"),
    ("Oumou", "Oumar"),
    ("Issa", "Moussa"),
    ("Adama", "Awa"),
    ("Kadiatou", "Fatoumata"),
    ("Salif", "Siaka"),
    ("Drissa", "Issa"),
    ("Modibo", "Mamadou"),
    ("Youssouf", "Yacouba"),
    ("Souleymane", "Ousmane"),
    ("Lassine", "Lamine"),
    ("Mariam", "Mariko"),
    ("Nana", "Nafi"),
    ("Daouda", "Dramane"),
    ("Tiémoko", "Tiécoura"),
    ("Aminata Fatoumata", "Aminata Fanta"),
    ("Mamadou Lassine", "Mamadou Lamine"),
]

# Common names that must all have different keys.
DISTINCT_NAMES = [
    "Traoré", "Touré", "Keïta", "Koïta", "Diarra", "Diallo", "Dia", "Konaté", "Koné", "Kané",
    "Kanté", "Sissoko", "Sidibé", "Cissé", "Sy", "Sow", "Ba", "Coulibaly", "Kouyaté",
    "Kanouté", "Diakité", "Diabaté", "Doumbia", "Dembélé", "Sangaré", "Sanogo", "Samaké",
    "Maïga", "Haïdara", "Camara", "Kamissoko", "Dicko", "Bagayoko", "Ouattara", "Goïta",
    "Guindo", "Tangara", "Togola", "Tounkara", "Fofana", "Fomba", "Sacko", "Sylla", "Sall",
    "Dao", "Diawara", "Niaré", "Niang", "Bamba", "Berthé", "Ballo", "Mariko", "Dramé",
    "Magassa", "Soumaré", "Soumano", "Ndiaye", "Mamadou", "Madou", "Amadou", "Moussa", "Oumar",
    "Ousmane", "Issa", "Adama", "Seydou", "Sékou", "Boubacar", "Bakary", "Abdoulaye", "Mariam",
    "Hawa", "Aminata", "Fatoumata", "Fanta", "Kadiatou", "Oumou", "Assétou", "Aïssata",
    "Salimata", "Djénéba", "Rokia", "Nana", "Bintou", "Korotoumou", "Safiatou", "Siaka",
    "Lassine", "Lamine", "Modibo", "Drissa", "Youssouf", "Yacouba", "Souleymane", "Salif",
    "Karim", "Kassim", "Daouda", "Tiémoko", "Tiécoura", "Bréhima", "Dramane", "Zoumana",
]  # fmt: skip

ACCENTS = ["\u0301", "\u0300", "\u0302", "\u0308"]  # acute, grave, circumflex, diaeresis
ascii_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
any_text = st.text(max_size=30)


# --- Normalization ----------------------------------------------------------------------------


def test_normalization_drops_accents_case_and_punctuation():
    assert normalize_name("  KEÏTA ") == "keita"
    assert normalize_name("N'Diaye") == "ndiaye"
    assert normalize_name("Aminata-Fatoumata   Djénéba") == "aminata fatoumata djeneba"
    assert normalize_name("Touré 2") == "toure"
    assert normalize_name("") == ""


def test_bambara_letters_are_spelled_out_in_both_cases():
    assert normalize_name("ɛ ɔ ɲ ŋ") == "e o ny ng"
    assert normalize_name("Ɛ Ɔ Ɲ Ŋ") == "e o ny ng"
    assert normalize_name("Kɔnɛ") == normalize_name("Kone")
    # Tone marks over Bambara letters are dropped like accents.
    assert normalize_name("Kɔ́nɛ̀") == "kone"


@given(any_text)
def test_normalization_is_idempotent(text):
    once = normalize_name(text)
    assert normalize_name(once) == once


# --- Keys and similarity of variants ----------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), VARIANT_PAIRS)
def test_spelling_variants_share_key_and_match(a, b):
    assert phonetic_key(a) == phonetic_key(b)
    assert name_similarity(a, b) >= NAME_MATCH_THRESHOLD


def test_all_family_name_variants_share_blocking_key():
    for group in FAMILY_NAME_VARIANTS:
        assert len({blocking_key(name) for name in group}) == 1, group


def test_traore_and_its_bambara_spellings_have_one_key():
    assert {phonetic_key(n) for n in ("Traoré", "Tarawele", "Tarawere")} == {"traor"}


def test_one_letter_typo_in_a_long_name_still_matches_within_its_block():
    # Kulubali is another Bambara spelling of Coulibaly, one vowel away from Kulibali.
    assert name_similarity("Coulibaly", "Kulubali") >= NAME_MATCH_THRESHOLD
    assert blocking_key("Coulibaly") == blocking_key("Kulubali")
    assert name_similarity("Coulibaly", "Couliblay") >= NAME_MATCH_THRESHOLD


def test_given_names_match_in_any_order():
    assert name_similarity("Aminata Fatoumata", "Fatoumata Aminata") == 1.0
    assert name_similarity("Aminata Fatoumata", "Fatumata Aminatou") == KEY_MATCH_SIMILARITY
    assert name_similarity("Mamadou Lamine", "Mamadoulamine") >= NAME_MATCH_THRESHOLD


def test_hyphens_apostrophes_spaces_and_case_do_not_matter():
    assert name_similarity("Aminata-Fatoumata", " aminata   FATOUMATA ") == 1.0
    assert name_similarity("N'Diaye", "NDIAYE") == 1.0


# --- Different names --------------------------------------------------------------------------


def test_the_different_names_list_is_large_enough():
    assert len(DIFFERENT_PAIRS) >= 40


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PAIRS)
def test_different_names_do_not_match(a, b):
    assert phonetic_key(a) != phonetic_key(b)
    assert name_similarity(a, b) < NAME_MATCH_THRESHOLD


def test_common_names_have_distinct_keys():
    keys: dict[str, list[str]] = {}
    for name in DISTINCT_NAMES:
        keys.setdefault(phonetic_key(name), []).append(name)
    assert {k: v for k, v in keys.items() if len(v) > 1} == {}


def test_common_names_never_reach_the_match_threshold_with_each_other():
    close = [
        (a, b)
        for a, b in itertools.combinations(DISTINCT_NAMES, 2)
        if name_similarity(a, b) >= NAME_MATCH_THRESHOLD
    ]
    assert close == []


def test_every_part_of_a_multi_part_name_must_match():
    assert name_similarity("Mamadou Lassine", "Mamadou Lamine") < NAME_MATCH_THRESHOLD


def test_a_name_without_letters_matches_nothing():
    assert name_similarity("", "") == 0.0
    assert name_similarity("123", "Traoré") == 0.0
    assert phonetic_key("—") == ""
    assert blocking_key("") == ""


def test_measured_precision_and_recall_on_the_reference_lists():
    labelled = [(a, b, True) for a, b in VARIANT_PAIRS] + [
        (a, b, False) for a, b in DIFFERENT_PAIRS
    ]
    quality = measure_name_matching(labelled)
    assert (quality.true_positives, quality.false_negatives) == (len(VARIANT_PAIRS), 0)
    assert (quality.true_negatives, quality.false_positives) == (len(DIFFERENT_PAIRS), 0)
    assert quality.precision == quality.recall == 1.0


# --- Properties -------------------------------------------------------------------------------


@given(any_text, any_text)
def test_similarity_is_symmetric_and_bounded(a, b):
    similarity = name_similarity(a, b)
    assert 0.0 <= similarity <= 1.0
    assert similarity == name_similarity(b, a)


@given(any_text)
def test_a_name_always_matches_itself(text):
    expected = 1.0 if normalize_name(text) else 0.0
    assert name_similarity(text, text) == expected


@given(ascii_names, st.data())
def test_adding_accents_never_changes_the_key(name, data):
    accented = "".join(
        letter + data.draw(st.sampled_from(["", *ACCENTS])) if letter in "aeiou" else letter
        for letter in name
    )
    accented = unicodedata.normalize("NFC", accented)
    assert phonetic_key(accented) == phonetic_key(name)
    assert blocking_key(accented) == blocking_key(name)


@given(ascii_names)
def test_upper_case_never_changes_the_key(name):
    assert phonetic_key(name.upper()) == phonetic_key(name)


# --- Variant generator ------------------------------------------------------------------------

GENERATOR_NAMES = sorted(
    {name for group in VARIANT_GROUPS for name in group[:1]} | set(DISTINCT_NAMES)
)


@pytest.mark.parametrize("seed", range(20))
def test_generated_variants_still_match(seed):
    rng = random.Random(seed)
    for name in GENERATOR_NAMES:
        variant = generate_variant(name, rng)
        assert phonetic_key(variant) == phonetic_key(name), (name, variant)
        assert blocking_key(variant) == blocking_key(name), (name, variant)
        assert name_similarity(variant, name) >= NAME_MATCH_THRESHOLD, (name, variant)


def test_generated_variants_are_deterministic_and_varied():
    variants = [generate_variant("Traoré", random.Random(seed)) for seed in range(200)]
    assert variants == [generate_variant("Traoré", random.Random(seed)) for seed in range(200)]
    normalized = {normalize_name(v) for v in variants}
    assert {"traore", "tarawere"} <= normalized
    assert any("ɛ" in v.lower() or "ɔ" in v.lower() for v in variants)
    assert len(set(variants)) > 10


def test_generated_variants_of_different_names_stay_apart():
    rng = random.Random(7)
    labelled = [(generate_variant(a, rng), b, False) for a, b in DIFFERENT_PAIRS for _ in range(5)]
    assert measure_name_matching(labelled).false_positives == 0


def test_matching_quality_counts_outcomes():
    quality = MatchingQuality.tally([(True, True), (True, False), (False, True), (False, False)])
    assert (quality.precision, quality.recall) == (0.5, 0.5)
    assert MatchingQuality.tally([]).precision == 1.0


# --- Records ----------------------------------------------------------------------------------


def fatoumata(**overrides) -> NameRecord:
    fields = {
        "given_names": "Fatoumata",
        "family_name": "Traoré",
        "birth_date": dt.date(1962, 3, 4),
        "birth_date_precision": "day",
        "sex": "F",
        "father_name": "Bakary Traoré",
        "mother_name": "Aminata Diarra",
    }
    return NameRecord(**(fields | overrides))


def bare(**overrides) -> NameRecord:
    """A record without parents, as in many old registers."""
    return fatoumata(father_name="", mother_name="", **overrides)


def test_same_person_in_bambara_spelling_is_a_probable_duplicate():
    other = fatoumata(
        given_names="Fatumata",
        family_name="Tarawele",
        father_name="Bakari Tarawele",
        mother_name="Aminata Jara",
    )
    result = match_score(fatoumata(), other)
    assert result.is_probable_duplicate
    assert result.reasons == (
        "family_name_variant",
        "given_names_variant",
        "birth_date_exact",
        "sex_match",
        "father_name_match",
        "mother_name_match",
    )


def test_variant_names_and_exact_birth_date_suffice_without_parents():
    result = match_score(bare(), bare(given_names="Fatumata", family_name="Tarawere"))
    assert result.score >= PROBABLE_DUPLICATE_THRESHOLD


def test_names_alone_are_not_enough():
    result = match_score(bare(birth_date=None), bare(birth_date=None))
    assert "birth_date_unknown" in result.reasons
    assert not result.is_probable_duplicate


def test_parents_make_up_for_a_missing_birth_date():
    assert match_score(fatoumata(birth_date=None), fatoumata(birth_date=None)).is_probable_duplicate


def test_sex_must_agree():
    result = match_score(fatoumata(), fatoumata(sex="M"))
    assert (result.score, result.reasons) == (0.0, ("sex_mismatch",))


def test_unknown_sex_is_no_evidence_either_way():
    result = match_score(fatoumata(sex=None), fatoumata())
    assert result.is_probable_duplicate
    assert "sex_match" not in result.reasons


def test_twins_are_not_duplicates():
    result = match_score(fatoumata(), fatoumata(given_names="Aminata"))
    assert "given_names_mismatch" in result.reasons
    assert not result.is_probable_duplicate


def test_different_family_name_is_never_a_duplicate():
    result = match_score(fatoumata(), fatoumata(family_name="Diarra"))
    assert "family_name_mismatch" in result.reasons
    assert not result.is_probable_duplicate


def test_a_mistyped_day_or_swapped_day_and_month_still_match():
    same_month = match_score(bare(), bare(birth_date=dt.date(1962, 3, 14)))
    swapped = match_score(bare(), bare(birth_date=dt.date(1962, 4, 3)))
    assert "birth_date_same_month" in same_month.reasons and same_month.is_probable_duplicate
    assert "birth_date_day_month_swapped" in swapped.reasons and swapped.is_probable_duplicate


def test_birth_within_a_year_needs_a_parent_to_match():
    later = dt.date(1962, 11, 20)
    alone = match_score(bare(), bare(birth_date=later))
    with_mother = match_score(fatoumata(), fatoumata(birth_date=later))
    assert "birth_date_within_year" in alone.reasons and not alone.is_probable_duplicate
    assert with_mother.is_probable_duplicate


def test_distant_birth_dates_do_not_match():
    result = match_score(fatoumata(), fatoumata(birth_date=dt.date(1970, 3, 4)))
    assert "birth_date_mismatch" in result.reasons
    assert not result.is_probable_duplicate


@pytest.mark.parametrize(("year", "expected"), [(1960, True), (1964, True), (1965, False)])
def test_approximate_year_tolerates_two_years(year, expected):
    vers = fatoumata(birth_date=dt.date(1962, 1, 1), birth_date_precision="approximate")
    result = match_score(vers, fatoumata(birth_date=dt.date(year, 6, 15)))
    assert ("birth_year_approximate_match" in result.reasons) is expected
    assert result.is_probable_duplicate is expected


def test_year_only_dates_compare_by_year():
    year_only = bare(birth_date=dt.date(1962, 1, 1), birth_date_precision="year")
    assert "birth_year_match" in match_score(year_only, bare()).reasons
    next_year = bare(birth_date=dt.date(1963, 1, 1), birth_date_precision="year")
    assert "birth_date_within_year" in match_score(next_year, bare()).reasons


def test_month_only_dates_compare_by_month():
    march = bare(birth_date=dt.date(1962, 3, 1), birth_date_precision="month")
    assert "birth_date_same_month" in match_score(march, bare()).reasons


def test_given_names_in_another_order_or_in_part():
    reordered = match_score(
        bare(given_names="Aminata Fatoumata"), bare(given_names="Fatoumata Aminata")
    )
    assert {"given_names_exact", "given_names_reordered"} <= set(reordered.reasons)
    partial = match_score(bare(given_names="Fatoumata"), bare(given_names="Fatoumata Aminata"))
    assert "given_names_partial" in partial.reasons
    assert partial.is_probable_duplicate


def test_a_parent_given_alone_is_partial_evidence():
    result = match_score(fatoumata(), fatoumata(father_name="Bakary"))
    assert "father_name_partial" in result.reasons


def test_different_mother_counts_against():
    same = match_score(fatoumata(), fatoumata())
    other_mother = match_score(fatoumata(), fatoumata(mother_name="Kadiatou Sangaré"))
    assert "mother_name_mismatch" in other_mother.reasons
    assert other_mother.score < same.score


record_names = st.sampled_from(["Traoré", "Tarawele", "Diarra", "Fatoumata", "Fatumata", ""])
records = st.builds(
    NameRecord,
    given_names=record_names,
    family_name=record_names,
    birth_date=st.none() | st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2025, 1, 1)),
    birth_date_precision=st.sampled_from(["day", "month", "year", "approximate"]),
    sex=st.sampled_from(["F", "M", None]),
    father_name=record_names,
    mother_name=record_names,
)


@given(records, records)
def test_match_score_is_symmetric_and_bounded(a, b):
    ab, ba = match_score(a, b), match_score(b, a)
    assert 0.0 <= ab.score <= 1.0
    assert ab.score == pytest.approx(ba.score)


def test_a_full_record_matches_itself():
    assert match_score(fatoumata(), fatoumata()).score > 0.99
