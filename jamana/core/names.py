"""Tolerant matching of Malian personal names written in French or Bambara spelling.

Used to find probable duplicate persons (état civil register imports) and for identity search.
The same name reaches us in many spellings: with or without accents (Keïta, Keita, Kéita), in
French or Bambara orthography (Coulibaly, Kulibali; Traoré, Tarawele; Diarra, Jara), with or
without the Bambara letters ɛ ɔ ɲ ŋ, in any case, with stray hyphens, apostrophes and spaces,
and with multi-part given names in another order. Matching works in three layers:

1. ``normalize_name``: Unicode compatibility decomposition, accents dropped, Bambara letters
   mapped to Latin (ɛ→e, ɔ→o, ɲ→ny, ŋ→ng), lower case, letters and single spaces only.
2. ``phonetic_key``: ordered rewrite rules (``_RULES``) that fold the regular differences
   between French and Bambara spelling onto one form (ou→u, di+vowel→j, c→k/s, double
   letters, a copied vowel after an initial consonant, ...). Two spellings of one name get the
   same key; two different names almost never do (the tests check a list of common names).
3. ``name_similarity``: 1.0 for identical normalized names, 0.95 for equal keys, otherwise a
   strict string similarity of the keys (the lower of Jaro-Winkler and optimal-string-alignment
   similarity, so a shared prefix such as Koné/Konaté does not count as a match). Multi-part
   names are compared part by part in the best order, and every part must match.
   ``NAME_MATCH_THRESHOLD`` separates spelling variants from different names.

``blocking_key`` gives a short key for an indexed column, ``match_score`` combines names,
birth date, sex and parents' names into one score with reason codes, and ``generate_variant``
with ``measure_name_matching`` supports the benchmark of precision and recall.

Limits, on purpose:

- Only spelling is considered. Different family names are never treated as the same, whatever
  conventions associate them; short forms and nicknames (Madou for Mamadou, Fanta for
  Fatoumata) are different names here, so a registrar has to search for them explicitly.
- The rules are tuned for Latin-script names; other scripts are kept as they are, unmatched
  against their transliterations.
- A typo of one letter is tolerated only in long names (a key of seven letters or more): in
  short names one letter is often the whole difference between two names (Koné, Kané). A
  mistyped consonant among the first ones also changes the ``blocking_key``, so such a record
  is missed by a search restricted to one block.
- Keys are not a pronunciation: they only need to be equal for variants and different for
  different names, and they lose information (final ``e`` is dropped, Keita becomes ``keta``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import OSA, JaroWinkler

__all__ = [
    "KEY_MATCH_SIMILARITY",
    "NAME_MATCH_THRESHOLD",
    "PROBABLE_DUPLICATE_THRESHOLD",
    "BirthDatePrecision",
    "MatchScore",
    "MatchingQuality",
    "NameRecord",
    "Sex",
    "blocking_key",
    "fold",
    "generate_variant",
    "match_score",
    "measure_name_matching",
    "name_similarity",
    "normalize_name",
    "phonetic_key",
    "word_key",
]

#: ``name_similarity`` at or above this means "the same name, spelled differently".
NAME_MATCH_THRESHOLD = 0.85
#: ``match_score`` at or above this flags a pair of records for review as a probable duplicate.
PROBABLE_DUPLICATE_THRESHOLD = 0.8

#: Similarity given to two spellings with the same phonetic key (identical text scores 1.0).
KEY_MATCH_SIMILARITY = 0.95

# Letters of the Bambara alphabet that Unicode does not decompose to a Latin base letter, in
# the lower case produced by ``str.casefold`` (Ɛ Ɔ Ɲ Ŋ fold to these).
_LETTER_MAP = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "œ": "oe", "æ": "ae"})
# Apostrophes join what they separate (N'Diaye = Ndiaye); other punctuation separates words.
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´", ""))
_SPACES = re.compile(r"\s+")
_VOWELS = "aeiou"

# Ordered rewrite rules applied to each normalized word. Order matters: each rule sees the
# output of the previous ones. Every rule is applied to both names being compared, so a rule
# only has to be consistent, not phonetically exact.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ph", "f"),
        (r"ck", "k"),
        (r"qu?", "k"),
        (r"ch", "sh"),  # Cheick, Sheik; kept apart from "s" and "k"
        (r"gn", "ny"),  # French gn is Bambara ɲ (normalized to ny)
        (r"gu(?=[ei])", "g"),  # Guindo: the u only keeps the g hard
        (r"c(?=[eiy])", "s"),  # Cissé, Sise
        (r"c", "k"),  # Camara, Kamara
        (r"(?<!s)h", ""),  # Hawa, Awa; Sakho, Sako; Haïdara, Aidara
        (r"ou(?=[aeio])", "w"),  # Ouattara, Watara
        (r"ou", "u"),  # Touré, Ture; Coulibaly, Kulibali
        (r"(.)\1+", r"\1"),  # Diarra, Jara; Moussa, Musa
        # A vowel copied between an initial consonant and r: Tarawele, Traoré; Dirisa,
        # Drissa; Berehima, Bréhima. Before the "di" rules, which would hide the initial d.
        (r"^([bdgkpt])([aeiou])r\2", r"\1r\2"),
        (r"dj", "j"),  # Djénéba, Jeneba
        (r"d[iy](?=[aeiou])", "j"),  # Diarra, Jara; Diakité, Jakite; Kadiatou, Kajatu
        (r"^di", "ji"),  # Dicko, Jiko
        (r"(?<=.)y", "i"),  # Sylla, Maryam, Coulibaly, Keyita; Kouyaté, Kuyate
        (r"^y(?![aeiou])", "i"),
        (r"(.)\1+", r"\1"),  # Keyita -> keiita -> keita
        (r"ei(?=[^aeiou])", "e"),  # Seydou, Seidu, Sedu; Keïta, Keyita
        (r"a(?:we|o)[lr]", "aor"),  # Traoré, Tarawele, Tarawere
        (r"atu$", "ata"),  # Aminatou, Aminata; Ramatou, Ramata
        (r"(?<=[aeiou])go$", "ko"),  # Bagayoko, Bagayogo
        (r"(?<=..)e$", ""),  # final e, written or not: Mariam, Mariame; Ousmane, Usman
        (r"(.)\1+", r"\1"),
    )
)


def fold(text: str) -> str:
    """Case and accents dropped, Bambara letters spelled out (ɛ→e, ɔ→o, ɲ→ny, ŋ→ng); digits,
    punctuation and spacing kept. The common first step of name and free-text matching."""
    # Decompose, fold case, decompose again: folding can produce decomposable letters.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(_LETTER_MAP)


@lru_cache(maxsize=65_536)
def normalize_name(text: str) -> str:
    """Lower-case letters and single spaces; accents dropped, Bambara letters spelled out.

    Hyphens and other punctuation become spaces, apostrophes disappear (N'Diaye → ndiaye),
    digits are dropped. Idempotent. A text without letters normalizes to "".
    """
    text = fold(text.translate(_APOSTROPHES))
    kept = "".join(c if c.isalpha() and unicodedata.category(c) != "Lm" else " " for c in text)
    return _SPACES.sub(" ", kept).strip()


@lru_cache(maxsize=65_536)
def word_key(word: str) -> str:
    """The phonetic key of one word already normalized (``normalize_name``) or folded."""
    for pattern, replacement in _RULES:
        word = pattern.sub(replacement, word)
    return word


def phonetic_key(name: str) -> str:
    """The key of each word of ``name``, in order, separated by single spaces.

    Spelling variants of a name share a key: ``phonetic_key("Traoré") ==
    phonetic_key("Tarawele") == "traor"``. Accents and case never change the key.
    """
    return " ".join(word_key(word) for word in normalize_name(name).split())


@lru_cache(maxsize=65_536)
def blocking_key(family_name: str) -> str:
    """A short key for an indexed column: candidates for a match share it.

    The first letter of the phonetic key followed by its consonants, at most four characters
    ("Coulibaly" → "klbl"). Dropping vowels keeps one-letter vowel variants (Kulubali) in the
    same block; the block is then ranked with ``name_similarity`` or ``match_score``.
    """
    key = phonetic_key(family_name).replace(" ", "")
    if not key:
        return ""
    return (key[0] + "".join(c for c in key[1:] if c not in _VOWELS))[:4]


def _string_similarity(a: str, b: str) -> float:
    # Jaro-Winkler rewards a shared prefix (Koné, Konaté); edit similarity rewards a shared
    # length; a spelling variant has to score well on both.
    return min(JaroWinkler.similarity(a, b), OSA.normalized_similarity(a, b))


def _word_similarity(a: str, b: str) -> float:
    """Similarity of two normalized words (or of two normalized texts taken as one word)."""
    if a == b:
        return 1.0
    key_a, key_b = word_key(a), word_key(b)
    if key_a == key_b:
        return KEY_MATCH_SIMILARITY
    # Keys only: normalized French spellings are longer (ou, double letters), which would make
    # a one-letter difference look smaller than it is (Mamadou, Amadou).
    return _string_similarity(key_a, key_b)


# Beyond this many words, words are paired in sorted order instead of trying every order.
_MAX_PERMUTED_WORDS = 4


def _aligned_similarity(words_a: Sequence[str], words_b: Sequence[str]) -> float:
    """Best pairing of two equally long word lists, scored by the worst-matching pair."""
    if len(words_a) > _MAX_PERMUTED_WORDS:
        by_key = [sorted(words, key=word_key) for words in (words_a, words_b)]
        return min(map(_word_similarity, *by_key))
    return max(
        min(map(_word_similarity, words_a, order)) for order in itertools.permutations(words_b)
    )


def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two names; symmetric, insensitive to word order.

    1.0: the same words after normalization, in any order. ``KEY_MATCH_SIMILARITY`` (0.95):
    spelling variants with equal keys. Below: a strict string similarity, which reaches
    ``NAME_MATCH_THRESHOLD`` only for a one-letter difference in a long name. Names of several
    words are paired word by word in the best order and score as their worst pair; with a
    different number of words they are compared as one word (Abdoul Karim, Abdoulkarim).
    A name without any letter matches nothing, itself included (0.0).
    """
    words_a, words_b = normalize_name(a).split(), normalize_name(b).split()
    if not words_a or not words_b:
        return 0.0
    if sorted(words_a) == sorted(words_b):
        return 1.0
    if len(words_a) == len(words_b):
        return _aligned_similarity(words_a, words_b)
    return max(
        _word_similarity("".join(words_a), "".join(words_b)),
        _word_similarity("".join(sorted(words_a)), "".join(sorted(words_b))),
    )


def _is_partial(a: str, b: str) -> bool:
    """True when the words of one name are some of the words of the other (by key)."""
    keys_a, keys_b = set(phonetic_key(a).split()), set(phonetic_key(b).split())
    return bool(keys_a and keys_b) and (keys_a < keys_b or keys_b < keys_a)


# --- Records ----------------------------------------------------------------------------------

#: How much of ``birth_date`` is known: "approximate" is a register's "vers 1962" (the date is
#: then 1962-01-01); "year" and "month" keep only those parts of the date.
BirthDatePrecision = Literal["day", "month", "year", "approximate"]
Sex = Literal["F", "M"]


@dataclass(frozen=True)
class NameRecord:
    """What a register says about a person, as far as matching needs it."""

    given_names: str
    family_name: str
    birth_date: dt.date | None = None
    birth_date_precision: BirthDatePrecision = "day"
    sex: Sex | None = None
    father_name: str = ""
    mother_name: str = ""


@dataclass(frozen=True)
class MatchScore:
    """Score in [0, 1] that two records describe the same person, and why."""

    score: float
    reasons: tuple[str, ...]

    @property
    def is_probable_duplicate(self) -> bool:
        return self.score >= PROBABLE_DUPLICATE_THRESHOLD


# Evidence weights, in log-odds (natural log): agreement adds, disagreement subtracts, and the
# sum goes through the logistic function. They are tuned on the tests so that, with the prior,
# names alone are not enough but names plus a full birth date are, and so that twins (same
# family name, birth date and parents, different given names) never reach the threshold.
_PRIOR = -8.0
_WEIGHTS: dict[str, float] = {
    "family_name_exact": 4.0,
    "family_name_variant": 3.0,
    "family_name_mismatch": -6.0,
    "family_name_unknown": 0.0,
    "given_names_exact": 4.0,
    "given_names_variant": 3.0,
    "given_names_partial": 1.5,
    "given_names_mismatch": -5.0,
    "given_names_unknown": 0.0,
    "birth_date_exact": 4.0,
    "birth_date_same_month": 2.0,
    "birth_date_day_month_swapped": 2.0,
    "birth_year_match": 1.5,
    "birth_year_approximate_match": 1.0,
    "birth_date_within_year": 0.5,
    "birth_date_mismatch": -5.0,
    "birth_date_unknown": 0.0,
    "sex_match": 0.0,
    "father_name_match": 2.0,
    "father_name_partial": 1.0,
    "father_name_mismatch": -2.0,
    "mother_name_match": 2.0,
    "mother_name_partial": 1.0,
    "mother_name_mismatch": -2.0,
}
# Tolerance, in years, around a date the register only gives as "vers 1962".
_APPROXIMATE_YEARS = 2


def _compare_names(field: str, a: str, b: str, *, partial_allowed: bool) -> str:
    words_a, words_b = normalize_name(a).split(), normalize_name(b).split()
    if not words_a or not words_b:
        return f"{field}_unknown"
    if sorted(words_a) == sorted(words_b):
        return f"{field}_exact"
    if name_similarity(a, b) >= NAME_MATCH_THRESHOLD:
        return f"{field}_variant"
    if partial_allowed and _is_partial(a, b):
        return f"{field}_partial"
    return f"{field}_mismatch"


def _compare_parent(field: str, a: str, b: str) -> str | None:
    if not normalize_name(a) or not normalize_name(b):
        return None
    if name_similarity(a, b) >= NAME_MATCH_THRESHOLD:
        return f"{field}_match"
    # Registers often give a parent's given name alone ("Bakary" for "Bakary Traoré").
    if _is_partial(a, b):
        return f"{field}_partial"
    return f"{field}_mismatch"


def _compare_birth_dates(a: NameRecord, b: NameRecord) -> str:
    if a.birth_date is None or b.birth_date is None:
        return "birth_date_unknown"
    da, db = a.birth_date, b.birth_date
    precisions = {a.birth_date_precision, b.birth_date_precision}
    if "approximate" in precisions:
        close = abs(da.year - db.year) <= _APPROXIMATE_YEARS
        return "birth_year_approximate_match" if close else "birth_date_mismatch"
    if "year" in precisions:
        if da.year == db.year:
            return "birth_year_match"
        return "birth_date_within_year" if abs(da.year - db.year) == 1 else "birth_date_mismatch"
    months_apart = abs((da.year - db.year) * 12 + da.month - db.month)
    if "month" in precisions:
        if months_apart == 0:
            return "birth_date_same_month"
        return "birth_date_within_year" if months_apart <= 12 else "birth_date_mismatch"
    if da == db:
        return "birth_date_exact"
    if months_apart == 0:
        return "birth_date_same_month"  # a mistyped day
    if da.year == db.year and (da.day, da.month) == (db.month, db.day):
        return "birth_date_day_month_swapped"  # 04/03 read as 03/04
    return "birth_date_within_year" if abs((da - db).days) <= 366 else "birth_date_mismatch"


def match_score(a: NameRecord, b: NameRecord) -> MatchScore:
    """How likely two records are the same person, with the reasons behind the score.

    Sex, when both records give it, must agree (otherwise the score is 0). Family name, given
    names (in any order; "Aminata" against "Aminata Fatoumata" is partial evidence) and birth
    date (exact, same month, day and month swapped, year, "vers" ±2 years, within a year)
    add or remove evidence; parents' names count only when both records give them.
    Symmetric in ``a`` and ``b``.
    """
    if a.sex is not None and b.sex is not None and a.sex != b.sex:
        return MatchScore(score=0.0, reasons=("sex_mismatch",))
    reasons = [
        _compare_names("family_name", a.family_name, b.family_name, partial_allowed=False),
        _compare_names("given_names", a.given_names, b.given_names, partial_allowed=True),
    ]
    if reasons[1] == "given_names_exact" and (
        normalize_name(a.given_names).split() != normalize_name(b.given_names).split()
    ):
        reasons.append("given_names_reordered")
    reasons.append(_compare_birth_dates(a, b))
    if a.sex is not None and b.sex is not None:
        reasons.append("sex_match")
    for field, name_a, name_b in (
        ("father_name", a.father_name, b.father_name),
        ("mother_name", a.mother_name, b.mother_name),
    ):
        reason = _compare_parent(field, name_a, name_b)
        if reason is not None:
            reasons.append(reason)
    log_odds = _PRIOR + sum(_WEIGHTS.get(reason, 0.0) for reason in reasons)
    return MatchScore(score=1.0 / (1.0 + math.exp(-log_odds)), reasons=tuple(reasons))


# --- Benchmark support ------------------------------------------------------------------------


def _keep_accentless(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _bambara_spelling(text: str) -> str:
    """French spelling rewritten the way a Bambara-literate clerk would write it."""
    text = _keep_accentless(text).lower()
    for pattern, replacement in (
        (r"ph", "f"),
        (r"ck", "k"),
        (r"qu", "k"),
        (r"c(?=[eiy])", "s"),
        (r"c(?!h)", "k"),
        (r"ou(?=[aeio])", "w"),
        (r"ou", "u"),
        (r"dj", "j"),
        (r"\bdi(?=[aeiou])", "j"),
        (r"\bdi", "ji"),
        (r"([a-z])\1+", r"\1"),
        (r"y\b", "i"),
        (r"aor", "awer"),
        (r"\b([bdgkpt])r([aeiou])", r"\1\2r\2"),  # Traoré -> Tarawere, Drissa -> Dirisa
    ):
        text = re.sub(pattern, replacement, text)
    return text


def _double_a_letter(text: str, rng: random.Random) -> str:
    spots = [m.start(1) for m in re.finditer(r"[aeiouéè]([lmnrst])(?=[aeiouéè])", text)]
    if not spots:
        return text
    at = rng.choice(spots)
    return text[: at + 1] + text[at] + text[at + 1 :]


def _bambara_letters(text: str, rng: random.Random) -> str:
    text = _keep_accentless(text)
    text = re.sub(r"gn|ny", "ɲ", text)
    text = text.replace("ng", "ŋ")
    return "".join(
        {"e": "ɛ", "o": "ɔ", "E": "Ɛ", "O": "Ɔ"}.get(c, c) if rng.random() < 0.7 else c
        for c in text
    )


def _respace(text: str, rng: random.Random) -> str:
    words = text.split()
    return "  " + rng.choice(["-", " ", "  "]).join(words) + " "


_VARIATIONS: tuple[Callable[[str, random.Random], str], ...] = (
    lambda text, _rng: _keep_accentless(text),
    lambda text, _rng: _bambara_spelling(text),
    lambda text, _rng: re.sub(r"(?<![cs])h", "", text, flags=re.IGNORECASE),
    _double_a_letter,
    _bambara_letters,
    _respace,
)


_CASINGS: tuple[Callable[[str], str], ...] = (str.title, str.upper, str.lower, lambda text: text)


def generate_variant(name: str, rng: random.Random) -> str:
    """A realistic spelling variant of ``name`` that a matcher should recognise.

    Applies one to three of: accents dropped, French spelling rewritten in Bambara orthography
    (Coulibaly → Kulibali, Traoré → Tarawere), h dropped, a letter doubled, Bambara letters
    (ɛ ɔ ɲ ŋ), hyphens and extra spaces; then a random case. Deterministic for a seeded
    ``rng``. Every variation keeps the phonetic key, so variants are known duplicates.
    """
    variant = name
    for variation in rng.sample(_VARIATIONS, k=rng.randint(1, 3)):
        variant = variation(variant, rng)
    return rng.choice(_CASINGS)(variant)


@dataclass(frozen=True)
class MatchingQuality:
    """Confusion counts of a matcher on labelled pairs, with precision and recall."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        """Share of reported matches that are real; 1.0 when nothing was reported."""
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 1.0

    @property
    def recall(self) -> float:
        """Share of real matches that were reported; 1.0 when there were none."""
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    @classmethod
    def tally(cls, outcomes: Iterable[tuple[bool, bool]]) -> MatchingQuality:
        """Count ``(predicted, actual)`` outcomes, e.g. from ``match_score`` on records."""
        counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
        for predicted, actual in outcomes:
            counts[(bool(predicted), bool(actual))] += 1
        return cls(
            true_positives=counts[(True, True)],
            false_positives=counts[(True, False)],
            false_negatives=counts[(False, True)],
            true_negatives=counts[(False, False)],
        )


def measure_name_matching(
    pairs: Iterable[tuple[str, str, bool]], *, threshold: float = NAME_MATCH_THRESHOLD
) -> MatchingQuality:
    """Precision and recall of ``name_similarity`` on ``(name, name, same_name)`` pairs."""
    return MatchingQuality.tally((name_similarity(a, b) >= threshold, same) for a, b, same in pairs)
