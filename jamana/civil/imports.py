"""Loading acts typed from old paper registers into a centre's register
(``manage.py import_birth_register``).

A file is imported whole or not at all: every row is checked before anything is written, a
refused file writes nothing but the record of the refusal, and the writes run in one
transaction, so a failure at row 500 leaves no act of the file behind. Each imported act creates
a person; probable earlier records of that person (persons that existed before the import, or an
earlier row of the same file) are queued as :class:`DuplicateCandidate` for the registrar,
never merged. ``docs/civil/register-import.md`` describes the file and the checks.

Large registers (100,000 acts) are written with ``bulk_create`` in chunks, and duplicates are
searched block by block (one query per ``family_key``) rather than with one
:func:`~jamana.civil.actions.find_duplicates` call per act, which takes ~50 ms an act in a
crowded block. The search keeps ``find_duplicates``'s rule — same ``family_key``, not merged,
birth dates at most three years apart, ``match_score`` at the threshold — and only skips, before
calling ``match_score``, pairs it cannot flag (see :func:`_may_match`).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import OSA

from jamana.audit.actions import record_event
from jamana.civil.access import access_centre_for_agent
from jamana.civil.actions import (
    MATCHING_PRECISION,
    BirthFacts,
    CivilError,
    ParentInput,
    RegisterEntry,
    build_act,
    build_person,
)
from jamana.civil.models import (
    BirthAct,
    DuplicateCandidate,
    ImportStatus,
    RegisterImport,
    RegistryCentre,
)
from jamana.core.errors import JamanaError
from jamana.core.models import AdminArea, AreaLevel
from jamana.core.names import (
    NAME_MATCH_THRESHOLD,
    PROBABLE_DUPLICATE_THRESHOLD,
    NameRecord,
    Sex,
    blocking_key,
    match_score,
    name_similarity,
    normalize_name,
    phonetic_key,
)
from jamana.identity.models import Account, DatePrecision, Person
from jamana.identity.permissions import DRAW_UP_ACT

#: Columns of the file, in the documented order. Only ``REQUIRED_COLUMNS`` must be present.
COLUMNS = (
    "year",
    "number",
    "drawn_up_on",
    "given_names",
    "family_name",
    "sex",
    "birth_date",
    "birth_place",
    "birth_commune",
    "father_name",
    "mother_name",
    "father_profession",
    "mother_profession",
    "father_domicile",
    "mother_domicile",
    "declarant_name",
    "officer_name",
)
REQUIRED_COLUMNS = (
    "year",
    "number",
    "drawn_up_on",
    "given_names",
    "family_name",
    "sex",
    "birth_date",
    "birth_place",
)
# The database's column sizes (BirthAct, Person): checked here because PostgreSQL would refuse
# a longer value only at write time.
MAX_LENGTHS = {
    "given_names": 150,
    "family_name": 150,
    "birth_place": 200,
    "father_name": 200,
    "mother_name": 200,
    "father_profession": 120,
    "mother_profession": 120,
    "father_domicile": 200,
    "mother_domicile": 200,
    "declarant_name": 200,
    "officer_name": 200,
}
# No Malian register is older: a smaller year is a typing error (962 for 1962).
MIN_YEAR = 1800
# Beyond this many, a file is wrong as a whole (columns swapped, another date format) and the
# first problems say why; the rest are counted, not listed.
MAX_REPORTED_ERRORS = 10_000
# Rows per bulk insert: large enough to amortise the queries, small enough to keep memory flat.
BATCH_SIZE = 2_000
# find_duplicates's window around the birth date.
DUPLICATE_WINDOW = dt.timedelta(days=3 * 366)

#: ``progress(step, done, total)``; step is "check", "match" or "write".
Progress = Callable[[str, int, int], None]

MESSAGES: dict[str, Any] = {
    # The file as a whole.
    "not_utf8": _("The file is not UTF-8 text (line %(line)s). Save it as “CSV UTF-8”."),
    "no_header": _("The file is empty: the first line must name the columns."),
    "no_rows": _("The file has no act, only its header."),
    "missing_columns": _("Missing column(s): %(columns)s."),
    "unknown_columns": _("Unknown column(s): %(columns)s. The columns are: %(expected)s."),
    "repeated_columns": _("Column(s) named twice: %(columns)s."),
    "already_imported": _(
        "This file was already imported into this register on %(date)s (import no. %(import)s)."
    ),
    "write_failed": _(
        "The database refused a write (lines %(first)s to %(last)s): %(detail)s. Nothing was "
        "imported."
    ),
    "too_many_errors": _("%(count)s more problem(s) are not listed."),
    # One row.
    "field_count": _("This line has %(found)s field(s); the header names %(expected)s."),
    "required": _("This column must be filled in."),
    "no_letters": _("A name must contain letters."),
    "too_long": _("Too long: at most %(max)s characters."),
    "not_a_number": _("“%(value)s” is not a positive whole number."),
    "invalid_date": _("“%(value)s” is not a date: write YYYY-MM-DD or DD/MM/YYYY."),
    "invalid_birth_date": _(
        "“%(value)s” is not a date: write YYYY-MM-DD, DD/MM/YYYY, MM/YYYY, YYYY or “vers YYYY”."
    ),
    "date_too_old": _("%(value)s is before %(min)s: probably a typing error."),
    "date_in_future": _("%(value)s is in the future."),
    "year_mismatch": _(
        "The register year %(year)s is not the year the act was drawn up (%(drawn_up_year)s)."
    ),
    "birth_after_act": _("The birth (%(birth)s) is after the act was drawn up (%(drawn_up_on)s)."),
    "invalid_sex": _("“%(value)s” is not a sex: write F or M."),
    "unknown_commune": _(
        "No commune “%(value)s”: give its code (such as ML-00-03) or its exact name."
    ),
    "ambiguous_commune": _("Several communes are named “%(value)s”: give its code (%(codes)s)."),
    "repeated_in_file": _("Act no. %(number)s of %(year)s is already on line %(first_line)s."),
    "number_taken": _("The register already holds act no. %(number)s of %(year)s."),
}


def describe_error(error: dict[str, Any]) -> str:
    """The message of a stored error (``RegisterImport.errors``) in the active language."""
    message = MESSAGES.get(error["code"], error["code"])
    params = error.get("params") or {}
    return str(message % params) if params else str(message)


def _error(line: int | None, column: str, code: str, /, **params: Any) -> dict[str, Any]:
    return {"line": line, "column": column, "code": code, "params": params}


class RegisterFileError(JamanaError):
    """The file cannot be read as a register at all (encoding, header)."""

    def as_error(self) -> dict[str, Any]:
        return _error(self.params.get("line"), "", self.code, **self.params)


def _file_error(code: str, **params: Any) -> RegisterFileError:
    return RegisterFileError(code, MESSAGES[code], **params)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Row:
    """One line of the file as typed: stripped text under each header column."""

    line: int
    values: dict[str, str]
    # Fields found on the line; a line with more or fewer fields than the header is refused.
    width: int


def read_register(data: bytes) -> list[Row]:
    """The rows of a register file: UTF-8 (with or without BOM), ``;`` or ``,`` separated,
    with a header naming the columns (any case and order). Blank lines are skipped. Raises
    :class:`RegisterFileError` for an unreadable file or header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error("not_utf8", line=data[: exc.start].count(b"\n") + 1) from None
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    # Spreadsheets in French locales save with ";"; the header holds only column names, so
    # counting its separators is a reliable sniff.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[Row] = []
    next_line = 1
    for fields in reader:
        # A quoted field may span lines: a row is numbered by the line it starts on.
        line, next_line = next_line, reader.line_num + 1
        if not any(field.strip() for field in fields):
            continue
        if header is None:
            header = _check_header(fields)
            continue
        values = {
            column: fields[i].strip() if i < len(fields) else "" for i, column in enumerate(header)
        }
        rows.append(Row(line=line, values=values, width=len(fields)))
    if header is None:
        raise _file_error("no_header")
    if not rows:
        raise _file_error("no_rows")
    return rows


def _check_header(fields: list[str]) -> list[str]:
    header = [field.strip().lower() for field in fields]
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        raise _file_error("repeated_columns", columns=", ".join(repeated))
    unknown = [column for column in header if column not in COLUMNS]
    if unknown:
        raise _file_error(
            "unknown_columns", columns=", ".join(unknown), expected=", ".join(COLUMNS)
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise _file_error("missing_columns", columns=", ".join(missing))
    return header


# ---------------------------------------------------------------- checking

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH = re.compile(r"(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"(\d{4})")
_ABOUT = re.compile(r"(?:vers|~)\s*(\d{4})", re.IGNORECASE)
_SEXES = {"f": "F", "m": "M", "feminin": "F", "masculin": "M"}


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the register: for a month, a year or "vers 1962", the first day
    of the period, as ``Person.birth_date`` stores it."""

    date: dt.date
    precision: str


def parse_day(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``, or None."""
    text = text.strip()
    try:
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        if match := _FRENCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:  # 31/02/1962
        return None
    return None


def parse_birth_date(text: str) -> PartialDate | None:
    """A full date (``YYYY-MM-DD``, ``DD/MM/YYYY``), a month (``MM/YYYY``), a year
    (``YYYY``) or an approximate year (``vers 1962``, ``~1962``), or None."""
    text = " ".join(text.split())
    if (day := parse_day(text)) is not None:
        return PartialDate(day, DatePrecision.DAY)
    try:
        if match := _MONTH.fullmatch(text):
            month, year = (int(part) for part in match.groups())
            return PartialDate(dt.date(year, month, 1), DatePrecision.MONTH)
    except ValueError:  # 13/1962
        return None
    if match := _YEAR.fullmatch(text):
        return PartialDate(dt.date(int(match.group(1)), 1, 1), DatePrecision.YEAR)
    if match := _ABOUT.fullmatch(text):
        return PartialDate(dt.date(int(match.group(1)), 1, 1), DatePrecision.ABOUT_YEAR)
    return None


def _display(date: PartialDate) -> str:
    if date.precision == DatePrecision.MONTH:
        return date.date.strftime("%m/%Y")
    if date.precision == DatePrecision.YEAR:
        return str(date.date.year)
    if date.precision == DatePrecision.ABOUT_YEAR:
        return f"~{date.date.year}"
    return date.date.strftime("%d/%m/%Y")


def _positive_int(text: str, *, most: int) -> int | None:
    if not (text.isascii() and text.isdigit()):
        return None
    return value if 0 < (value := int(text)) <= most else None


class CommuneIndex:
    """Communes by code and by name (accents and case ignored). A name shared by several
    communes resolves to the one that existed on the date of birth, if only one did."""

    def __init__(self) -> None:
        self.by_code: dict[str, AdminArea] = {}
        self.by_name: dict[str, list[AdminArea]] = defaultdict(list)
        for area in AdminArea.objects.filter(level=AreaLevel.COMMUNE).order_by("code"):
            self.by_code[area.code] = area
            self.by_name[normalize_name(area.name)].append(area)

    def resolve(self, text: str, on: dt.date) -> AdminArea | list[AdminArea] | None:
        """The commune, or the several it may be, or None."""
        if (area := self.by_code.get(text.upper())) is not None:
            return area
        found = self.by_name.get(normalize_name(text), [])
        if len(found) > 1:
            then = [
                area
                for area in found
                if (area.valid_from is None or area.valid_from <= on)
                and (area.valid_to is None or on < area.valid_to)
            ]
            found = then if len(then) == 1 else found
        if len(found) == 1:
            return found[0]
        return found or None


@dataclass(frozen=True)
class RegisterRow:
    """A checked row: what :func:`~jamana.civil.actions.do_record_register_act` takes."""

    line: int
    facts: BirthFacts
    entry: RegisterEntry


@dataclass(frozen=True)
class CheckedRegister:
    rows: list[RegisterRow]  # the rows without any problem
    errors: list[dict[str, Any]]
    # (year, number) → first line, for every row whose year and number could be read.
    numbers: dict[tuple[int, int], int]


def validate_rows(
    rows: Sequence[Row], *, today: dt.date, progress: Progress | None = None
) -> CheckedRegister:
    """Check every row and report every problem (line, column, code, params), in line order.
    Whether a number is already used in the centre's register is checked by
    :func:`check_import_register`, under its lock, with ``numbers``."""
    communes = CommuneIndex() if any(row.values.get("birth_commune") for row in rows) else None
    checked: list[RegisterRow] = []
    errors: list[dict[str, Any]] = []
    first_line: dict[tuple[int, int], int] = {}
    for done, row in enumerate(rows, start=1):
        result, row_errors, key = _check_row(row, today=today, communes=communes)
        if key is not None and key in first_line:
            row_errors.append(
                _error(
                    row.line,
                    "number",
                    "repeated_in_file",
                    number=key[1],
                    year=key[0],
                    first_line=first_line[key],
                )
            )
        elif key is not None:
            first_line[key] = row.line
        if row_errors:
            errors.extend(row_errors)
        elif result is not None:
            checked.append(result)
        if progress is not None and (done % BATCH_SIZE == 0 or done == len(rows)):
            progress("check", done, len(rows))
    return CheckedRegister(rows=checked, errors=errors, numbers=first_line)


def _check_row(
    row: Row, *, today: dt.date, communes: CommuneIndex | None
) -> tuple[RegisterRow | None, list[dict[str, Any]], tuple[int, int] | None]:
    """The checked row (None if it has a problem), its problems, its (year, number)."""
    values, line = row.values, row.line
    errors: list[dict[str, Any]] = []

    def fail(column: str, code: str, **params: Any) -> None:
        errors.append(_error(line, column, code, **params))

    if row.width != len(values):
        fail("", "field_count", found=row.width, expected=len(values))
        return None, errors, None
    text = {column: " ".join(values.get(column, "").split()) for column in COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not text[column]:
            fail(column, "required")
    for column in ("given_names", "family_name"):
        if text[column] and not normalize_name(text[column]):
            fail(column, "no_letters")
    for column, limit in MAX_LENGTHS.items():
        if len(text[column]) > limit:
            fail(column, "too_long", max=limit)

    year = _positive_int(text["year"], most=9999)
    if text["year"] and year is None:
        fail("year", "not_a_number", value=text["year"])
    # BirthAct.number is a 32-bit integer column.
    number = _positive_int(text["number"], most=2**31 - 1)
    if text["number"] and number is None:
        fail("number", "not_a_number", value=text["number"])

    drawn_up_on = parse_day(text["drawn_up_on"]) if text["drawn_up_on"] else None
    if text["drawn_up_on"] and drawn_up_on is None:
        fail("drawn_up_on", "invalid_date", value=text["drawn_up_on"])
    elif drawn_up_on is not None:
        if drawn_up_on.year < MIN_YEAR:
            fail("drawn_up_on", "date_too_old", value=text["drawn_up_on"], min=MIN_YEAR)
            drawn_up_on = None
        elif drawn_up_on > today:
            fail("drawn_up_on", "date_in_future", value=text["drawn_up_on"])
            drawn_up_on = None
    if year is not None and drawn_up_on is not None and year != drawn_up_on.year:
        fail("year", "year_mismatch", year=year, drawn_up_year=drawn_up_on.year)

    birth = parse_birth_date(text["birth_date"]) if text["birth_date"] else None
    if text["birth_date"] and birth is None:
        fail("birth_date", "invalid_birth_date", value=text["birth_date"])
    elif birth is not None:
        if birth.date.year < MIN_YEAR:
            fail("birth_date", "date_too_old", value=text["birth_date"], min=MIN_YEAR)
        elif birth.date > today:
            fail("birth_date", "date_in_future", value=text["birth_date"])
        elif drawn_up_on is not None and birth.date > drawn_up_on:
            # The first day of an imprecise period: "1962" may be recorded on 10 January 1962.
            fail(
                "birth_date",
                "birth_after_act",
                birth=_display(birth),
                drawn_up_on=drawn_up_on.strftime("%d/%m/%Y"),
            )

    sex = _SEXES.get(normalize_name(text["sex"]))
    if text["sex"] and sex is None:
        fail("sex", "invalid_sex", value=text["sex"])

    commune = None
    if text["birth_commune"] and communes is not None:
        found = communes.resolve(text["birth_commune"], birth.date if birth else today)
        if found is None:
            fail("birth_commune", "unknown_commune", value=text["birth_commune"])
        elif isinstance(found, list):
            codes = ", ".join(area.code for area in found)
            fail("birth_commune", "ambiguous_commune", value=text["birth_commune"], codes=codes)
        else:
            commune = found

    key = (year, number) if year is not None and number is not None else None
    if errors or key is None or drawn_up_on is None or birth is None or sex is None:
        return None, errors, key
    facts = BirthFacts(
        child_given_names=text["given_names"],
        child_family_name=text["family_name"],
        child_sex=sex,
        birth_date=birth.date,
        birth_commune=commune,
        birth_place=text["birth_place"],
        father=ParentInput(
            name=text["father_name"],
            profession=text["father_profession"],
            domicile=text["father_domicile"],
        ),
        mother=ParentInput(
            name=text["mother_name"],
            profession=text["mother_profession"],
            domicile=text["mother_domicile"],
        ),
        declarant_name=text["declarant_name"],
    )
    entry = RegisterEntry(
        year=key[0],
        number=key[1],
        drawn_up_on=drawn_up_on,
        officer_name=text["officer_name"],
        birth_date_precision=birth.precision,
    )
    return RegisterRow(line=line, facts=facts, entry=entry), errors, key


# ---------------------------------------------------------------- the records written
#
# The same fields as do_record_register_act (with no NINA: a register file has none, so no
# parent is linked to a person) and as do_register_person, built unsaved for bulk_create.
# test_register_import.py checks that both paths write the same values.


# ---------------------------------------------------------------- probable duplicates


@dataclass(frozen=True, slots=True)
class _Known:
    """A person in a block: an existing record (``ref`` = its pk) or a row of the file
    (``ref`` = -1 - its index)."""

    ref: int
    day: int  # birth date ordinal
    exact: bool  # born on a known day
    family: str  # normalized
    given: str  # normalized
    record: NameRecord


@dataclass(frozen=True)
class DuplicateMatch:
    row: int  # index in the checked rows
    ref: int  # as _Known.ref
    score: float
    reasons: tuple[str, ...]


@lru_cache(maxsize=65_536)
def _normalized(text: str) -> str:
    return normalize_name(text)


def _known(
    *,
    ref: int,
    given_names: str,
    family_name: str,
    sex: str,
    birth_date: dt.date,
    precision: str,
    father_name: str,
    mother_name: str,
) -> _Known:
    record = NameRecord(
        given_names=given_names,
        family_name=family_name,
        birth_date=birth_date,
        birth_date_precision=MATCHING_PRECISION.get(precision, "day"),
        sex=cast(Sex, sex),
        father_name=father_name,
        mother_name=mother_name,
    )
    return _Known(
        ref=ref,
        day=birth_date.toordinal(),
        exact=precision == DatePrecision.DAY,
        family=_normalized(family_name),
        given=_normalized(given_names),
        record=record,
    )


def _full_name(given_names: str | None, family_name: str | None) -> str:
    return " ".join(part for part in (given_names, family_name) if part)


def _existing_in_block(key: str, low: dt.date, high: dt.date) -> list[_Known]:
    """Persons of the block (indexed ``family_key``) born in [low, high], not merged."""
    rows = Person.objects.filter(
        family_key=key, merged_into__isnull=True, birth_date__range=(low, high)
    ).values_list(
        "pk",
        "given_names",
        "family_name",
        "sex",
        "birth_date",
        "birth_date_precision",
        "father_name",
        "mother_name",
        "father__given_names",
        "father__family_name",
        "mother__given_names",
        "mother__family_name",
    )
    return [
        _known(
            ref=pk,
            given_names=given,
            family_name=family,
            sex=sex,
            birth_date=born,
            precision=precision,
            # As find_duplicates: the name written on the record, else the linked parent's.
            father_name=father_name or _full_name(father_given, father_family),
            mother_name=mother_name or _full_name(mother_given, mother_family),
        )
        for (
            pk,
            given,
            family,
            sex,
            born,
            precision,
            father_name,
            mother_name,
            father_given,
            father_family,
            mother_given,
            mother_family,
        ) in rows
        if born is not None  # excluded by the range already; for the type checker
    ]


class _NameFilter:
    """Whether two names can still be scored a probable duplicate, cached per pair of names.

    ``match_score`` cannot reach the threshold when the family names or the given names
    mismatch (the best possible rest of the evidence does not make up for it; a test in
    test_register_import.py holds ``match_score`` to this), so such pairs are not scored. Not a
    mismatch means: unknown (no letters), or ``name_similarity`` at ``NAME_MATCH_THRESHOLD``
    (exact, variant), or — given names only — sharing a word's key (partial)."""

    def __init__(self) -> None:
        self._family: dict[tuple[str, str], bool] = {}
        self._given: dict[tuple[str, str], bool] = {}

    def may_match(self, a: _Known, b: _Known) -> bool:
        return self._cached(self._family, a.family, b.family, partial=False) and self._cached(
            self._given, a.given, b.given, partial=True
        )

    @staticmethod
    def _cached(cache: dict[tuple[str, str], bool], a: str, b: str, *, partial: bool) -> bool:
        if a == b:
            return True
        key = (a, b) if a < b else (b, a)
        found = cache.get(key)
        if found is None:
            found = cache[key] = names_may_match(a, b, partial=partial)
        return found


@lru_cache(maxsize=65_536)
def _keys(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """The phonetic keys of the words of a normalized name; and those with the keys of the
    name written as one word, in both word orders (Abdoul Karim, Abdoulkarim)."""
    words = name.split()
    of_words = frozenset(phonetic_key(name).split())
    joined = {phonetic_key("".join(words)), phonetic_key("".join(sorted(words)))}
    return of_words, of_words | joined


def names_may_match(a: str, b: str, *, partial: bool) -> bool:
    """For two normalized names: not a mismatch in ``match_score``'s terms (see
    :class:`_NameFilter`).

    ``name_similarity`` is slow (~50 µs) and most pairs are plainly different names, so it is
    only asked when some key of one name is equal to, or within a typo of, some key of the
    other: it reaches ``NAME_MATCH_THRESHOLD`` only through keys that are equal or whose
    string similarity, at most their OSA similarity, reaches it."""
    if not a or not b:
        return True
    (words_a, keys_a), (words_b, keys_b) = _keys(a), _keys(b)
    if partial and not words_a.isdisjoint(words_b):
        return True
    if keys_a.isdisjoint(keys_b) and not any(
        OSA.normalized_similarity(x, y) >= NAME_MATCH_THRESHOLD for x in keys_a for y in keys_b
    ):
        return False
    return name_similarity(a, b) >= NAME_MATCH_THRESHOLD


# A pair of full dates more than a year apart is a birth-date mismatch for match_score, which
# then cannot reach the threshold; find_duplicates's wider window serves imprecise dates.
_EXACT_DATES_SPAN = 366


def find_register_duplicates(
    rows: Sequence[RegisterRow], *, progress: Progress | None = None
) -> list[DuplicateMatch]:
    """Probable earlier records of each row's person: existing persons, and earlier rows of
    the file. Reads only; call it before the rows' persons exist."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        facts = row.facts
        by_key[blocking_key(facts.child_family_name or facts.child_given_names)].append(index)
    names = _NameFilter()
    found: list[DuplicateMatch] = []
    done = 0
    for key, indices in by_key.items():
        mine = {
            index: _known(
                ref=-1 - index,
                given_names=rows[index].facts.child_given_names,
                family_name=rows[index].facts.child_family_name,
                sex=rows[index].facts.child_sex,
                birth_date=rows[index].facts.birth_date,
                precision=rows[index].entry.birth_date_precision,
                father_name=" ".join(rows[index].facts.father.name.split()),
                mother_name=" ".join(rows[index].facts.mother.name.split()),
            )
            for index in indices
        }
        born = [rows[index].facts.birth_date for index in indices]
        block = _existing_in_block(key, min(born) - DUPLICATE_WINDOW, max(born) + DUPLICATE_WINDOW)
        block.extend(mine.values())
        # Per sex (a different sex scores 0) and per date precision, sorted by birth date.
        buckets: dict[tuple[str, bool], tuple[list[int], list[_Known]]] = {}
        for known in sorted(block, key=lambda known: known.day):
            days, members = buckets.setdefault((known.record.sex or "", known.exact), ([], []))
            days.append(known.day)
            members.append(known)
        for index in indices:
            me = mine[index]
            for exact in (True, False):
                days, members = buckets.get((me.record.sex or "", exact), ([], []))
                span = _EXACT_DATES_SPAN if me.exact and exact else DUPLICATE_WINDOW.days
                low = bisect.bisect_left(days, me.day - span)
                high = bisect.bisect_right(days, me.day + span)
                for other in members[low:high]:
                    # Each pair of rows once, from the later row; existing refs are > 0.
                    if other.ref < 0 and -1 - other.ref >= index:
                        continue
                    if not names.may_match(me, other):
                        continue
                    score = match_score(me.record, other.record)
                    if score.score >= PROBABLE_DUPLICATE_THRESHOLD:
                        found.append(
                            DuplicateMatch(
                                row=index,
                                ref=other.ref,
                                score=round(score.score, 4),
                                reasons=score.reasons,
                            )
                        )
            done += 1
            if progress is not None and (done % BATCH_SIZE == 0 or done == len(rows)):
                progress("match", done, len(rows))
    return found


# ---------------------------------------------------------------- the import


def _chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def _taken_numbers(centre: RegistryCentre, years: set[int]) -> set[tuple[int, int]]:
    return set(
        BirthAct.objects.filter(centre=centre, year__in=sorted(years)).values_list("year", "number")
    )


def _register_conflicts(
    centre: RegistryCentre, sha256: str, numbers: dict[tuple[int, int], int]
) -> list[dict[str, Any]]:
    """The file already imported here (then only that), or the numbers the register holds."""
    previous = (
        RegisterImport.objects.filter(
            centre=centre, file_sha256=sha256, status=ImportStatus.IMPORTED
        )
        .order_by("started_at")
        .first()
    )
    if previous is not None:
        on = timezone.localtime(previous.started_at).strftime("%d/%m/%Y")
        return [_error(None, "", "already_imported", date=on, **{"import": previous.pk})]
    taken = _taken_numbers(centre, {year for year, _number in numbers})
    return [
        _error(line, "number", "number_taken", number=number, year=year)
        for (year, number), line in numbers.items()
        if (year, number) in taken
    ]


class _Writer:
    """Writes checked rows in chunks; remembers the lines of the chunk being written, so a
    database error can say where it happened."""

    def __init__(
        self,
        *,
        centre: RegistryCentre,
        record: RegisterImport,
        actor: Account | None,
        batch_size: int,
        progress: Progress | None,
    ) -> None:
        self.centre, self.record, self.actor = centre, record, actor
        self.batch_size, self.progress = batch_size, progress
        self.lines: tuple[int, int] | None = None

    def write(self, rows: Sequence[RegisterRow], matches: Sequence[DuplicateMatch]) -> int:
        """Persons, acts and duplicate candidates; returns the number of candidates."""
        by_row: dict[int, list[DuplicateMatch]] = defaultdict(list)
        for match in matches:
            by_row[match.row].append(match)
        person_ids: list[int] = []
        candidates_written = 0
        now = timezone.now()
        for chunk in _chunks(len(rows), self.batch_size):
            self.lines = (rows[chunk.start].line, rows[chunk.stop - 1].line)
            persons = Person.objects.bulk_create(
                [build_person(rows[i].facts, rows[i].entry) for i in chunk]
            )
            person_ids.extend(cast(int, person.pk) for person in persons)
            BirthAct.objects.bulk_create(
                [
                    build_act(
                        centre=self.centre,
                        facts=rows[i].facts,
                        entry=rows[i].entry,
                        person=person,
                        register_import=self.record,
                        actor=self.actor,
                        recorded_at=now,
                    )
                    for i, person in zip(chunk, persons, strict=True)
                ]
            )
            candidates = [
                DuplicateCandidate(
                    person_id=person_ids[i],
                    # An earlier row's person was written in this chunk or before.
                    existing_id=match.ref if match.ref > 0 else person_ids[-1 - match.ref],
                    centre=self.centre,
                    score=match.score,
                    reasons=list(match.reasons),
                    register_import=self.record,
                    created_at=now,
                )
                for i in chunk
                for match in by_row.get(i, ())
            ]
            DuplicateCandidate.objects.bulk_create(candidates)
            candidates_written += len(candidates)
            if self.progress is not None:
                self.progress("write", chunk.stop, len(rows))
        return candidates_written


def _finish(
    record: RegisterImport, *, status: str, errors: list[dict[str, Any]], actor: Account | None
) -> None:
    if len(errors) > MAX_REPORTED_ERRORS:
        left_off = len(errors) - MAX_REPORTED_ERRORS
        errors = [
            *errors[:MAX_REPORTED_ERRORS],
            _error(None, "", "too_many_errors", count=left_off),
        ]
    record.status = status
    record.errors = errors
    record.finished_at = timezone.now()
    record.save()
    record_event(
        action=(
            "civil.register_imported"
            if status == ImportStatus.IMPORTED
            else "civil.register_import_refused"
        ),
        object_type="register_import",
        object_ref=str(record.pk),
        actor=actor,
        organisation=record.centre.organisation,
        detail={
            "file": record.file_name,
            "sha256": record.file_sha256,
            "rows": record.rows,
            "imported": record.imported,
            "duplicates_found": record.duplicates_found,
            "errors": len(errors),
        },
    )


def _read_and_check(
    data: bytes, *, today: dt.date, progress: Progress | None
) -> tuple[int, CheckedRegister]:
    """The number of rows read, and the checked register. The rows as typed are dropped on
    return: they are the largest part of the import's memory."""
    try:
        raw = read_register(data)
    except RegisterFileError as exc:
        return 0, CheckedRegister(rows=[], errors=[exc.as_error()], numbers={})
    return len(raw), validate_rows(raw, today=today, progress=progress)


def check_import_register(
    *,
    centre: RegistryCentre,
    file_name: str,
    data: bytes,
    actor: Account | None,
    progress: Progress | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
) -> RegisterImport:
    """Import a register file into ``centre``'s register, all or nothing.

    Returns the :class:`RegisterImport`: "imported", with the number of acts and of probable
    duplicates queued; or "refused", with every problem in ``errors`` and nothing else
    written — a problem in any row, a file already imported into this register (same
    SHA-256), or a database error while writing. ``actor``, when given, must be allowed to
    draw up acts in the centre (the console operator may import without one). ``dry_run``
    does everything, then rolls it back: the returned record is unsaved (``pk`` None).
    """
    if actor is not None:
        access_centre_for_agent(actor, centre, DRAW_UP_ACT)
    if not centre.draws_up_acts:
        raise CivilError("centre_cannot_draw_up", _("This centre does not draw up acts."))
    today = today or timezone.localdate()
    record = RegisterImport(
        centre=centre,
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        run_by=actor,
        started_at=timezone.now(),
    )
    record.rows, checked = _read_and_check(data, today=today, progress=progress)
    rows, errors = checked.rows, checked.errors
    writer = _Writer(
        centre=centre, record=record, actor=actor, batch_size=batch_size, progress=progress
    )
    try:
        with transaction.atomic(durable=True):
            # The register's numbers are checked and written under the centre's lock, which
            # drawing up a new act also takes (actions._next_number).
            RegistryCentre.objects.select_for_update().filter(pk=centre.pk).first()
            conflicts = _register_conflicts(centre, record.file_sha256, checked.numbers)
            if conflicts and conflicts[0]["code"] == "already_imported":
                errors = conflicts
            else:
                errors = sorted(errors + conflicts, key=lambda error: error["line"] or 0)
            if errors:
                _finish(record, status=ImportStatus.REFUSED, errors=errors, actor=actor)
            else:
                record.status = ImportStatus.IMPORTED
                record.save()
                matches = find_register_duplicates(rows, progress=progress)
                record.duplicates_found = writer.write(rows, matches)
                record.imported = len(rows)
                _finish(record, status=ImportStatus.IMPORTED, errors=[], actor=actor)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        first, last = writer.lines or (None, None)
        record.pk = None
        record.imported = record.duplicates_found = 0
        failure = [_error(first, "", "write_failed", first=first, last=last, detail=str(exc)[:200])]
        if dry_run:
            record.status, record.errors = ImportStatus.REFUSED, failure
        else:
            with transaction.atomic(durable=True):
                _finish(record, status=ImportStatus.REFUSED, errors=failure, actor=actor)
    if dry_run:
        record.pk = None
    return record
