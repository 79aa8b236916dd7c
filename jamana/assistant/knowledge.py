"""The assistant's knowledge base: versioned TOML files under ``knowledge/`` (see its README).

Pure Python: loading and checking the files needs no Django, so the retrieval benchmark and the
knowledge tests run without a database. Fees, delays and documents are not in these files; they
are read from the catalogue when an answer is written (``{fee:CODE}`` placeholders).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from jamana.procedures.catalogue import CATALOGUE

KNOWLEDGE_DIR = Path(__file__).resolve().parent / "knowledge"
LANGUAGES = ("fr", "bm", "en")
Kind = Literal["procedure", "guide", "faq"]
KINDS: tuple[Kind, ...] = ("procedure", "guide", "faq")

PLACEHOLDER = re.compile(r"\{(fee|delay|documents|organisation):([a-z0-9_.]+)\}")
# A fee or a delay written in words of the file instead of read from the catalogue.
_UNITS = (
    r"f\s?cfa|fcfa|xof|francs?|dorome|jours?|days?|semaines?|weeks?|mois|months?|heures?|hours?"
    r"|tile|dɔgɔkun|kalo|lɛrɛ"
)
# "750 FCFA", "2 jours"; and the Bambara order, unit first: "dorome 150", "tile 5".
_INVENTED_FACT = re.compile(rf"\d[\d\s.,]*\s*({_UNITS})\b|\b({_UNITS})\s+\d", re.IGNORECASE)
_TEXT_KEYS = ("title", "questions", "keywords", "who", "where", "answer")


class KnowledgeError(ValueError):
    """A knowledge file that breaks the rules of ``knowledge/README.md``."""


@dataclass(frozen=True)
class EntryText:
    title: str = ""
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    who: str = ""
    where: str = ""
    answer: str = ""


@dataclass(frozen=True)
class Entry:
    id: str
    kind: Kind
    texts: Mapping[str, EntryText]
    service: str = ""  # procedure: the catalogue code
    url: str = ""  # guide: the URL name of its page
    organisation: str = ""  # guide: who answers questions handed over to a person
    procedures: tuple[str, ...] = ()  # faq: what it points to, best first
    path: str = ""

    def text(self, language: str) -> EntryText:
        return self.texts.get(language) or self.texts["fr"]

    def cited_codes(self) -> tuple[str, ...]:
        """The procedure codes (catalogue services or guides) an answer from this entry cites."""
        if self.kind == "procedure":
            return (self.service,)
        if self.kind == "guide":
            return (self.id,)
        return self.procedures


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    synonyms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    stopwords: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # word → the side of a procedure it asks about: fee, delay, documents, where
    aspects: Mapping[str, str] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)

    @cached_property
    def citable(self) -> dict[str, Entry]:
        """Code → the entry that describes it: every catalogue service and every guide."""
        return {
            code: entry
            for entry in self.entries
            if entry.kind != "faq"
            for code in entry.cited_codes()
        }


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise KnowledgeError(f"{where}: expected a list of texts")
    return tuple(item.strip() for item in value if item.strip())


def _entry_text(section: Any, where: str) -> EntryText:
    if not isinstance(section, dict):
        raise KnowledgeError(f"{where}: missing")
    unknown = set(section) - set(_TEXT_KEYS)
    if unknown:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        if key not in section:
            continue
        if key in ("questions", "keywords"):
            values[key] = _strings(section[key], f"{where}.{key}")
        elif isinstance(section[key], str):
            values[key] = section[key].strip()
        else:
            raise KnowledgeError(f"{where}.{key}: expected a text")
    return EntryText(**values)


def parse_entry(data: Mapping[str, Any], path: str = "") -> Entry:
    kind = data.get("kind")
    entry_id = data.get("id")
    if kind not in KINDS or not isinstance(entry_id, str) or not entry_id:
        raise KnowledgeError(f"{path}: needs an id and a kind among {KINDS}")
    texts = {
        language: _entry_text(data.get(language), f"{path} [{language}]") for language in LANGUAGES
    }
    return Entry(
        id=entry_id,
        kind=kind,
        texts=texts,
        service=str(data.get("service", "")),
        url=str(data.get("url", "")),
        organisation=str(data.get("organisation", "")),
        procedures=_strings(data.get("procedures", []), f"{path}.procedures"),
        path=path,
    )


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path.name}: {exc}") from exc


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Every entry file, the synonyms and the stop words; checked (``check_knowledge``)."""
    entries = tuple(
        parse_entry(_load_toml(path), str(path.relative_to(directory)))
        for sub in ("procedures", "guides", "faq")
        for path in sorted((directory / sub).glob("*.toml"))
    )
    synonyms_file = _load_toml(directory / "synonyms.toml")
    stopwords_file = _load_toml(directory / "stopwords.toml")
    knowledge = Knowledge(
        entries=entries,
        synonyms={lang: dict(synonyms_file.get(lang, {})) for lang in LANGUAGES},
        stopwords={
            lang: frozenset(stopwords_file.get(lang, {}).get("words", [])) for lang in LANGUAGES
        },
        aspects={
            word: aspect
            for lang in LANGUAGES
            for aspect, words in stopwords_file.get(lang, {}).get("aspects", {}).items()
            for word in words
        },
    )
    problems = check_knowledge(knowledge)
    if problems:
        raise KnowledgeError("; ".join(problems))
    return knowledge


@lru_cache(maxsize=1)
def default_knowledge() -> Knowledge:
    return load_knowledge()


def _texts_of(text: EntryText) -> Iterable[str]:
    yield from (text.title, text.who, text.where, text.answer)
    yield from text.questions
    yield from text.keywords


def check_knowledge(
    knowledge: Knowledge, catalogue_codes: Iterable[str] | None = None
) -> list[str]:
    """What breaks the rules: duplicate ids, a service missing from the files, a pointer to
    nothing, a placeholder for an unknown service, a fee or delay written out, an empty text."""
    codes = set(
        catalogue_codes
        if catalogue_codes is not None
        else (service["code"] for service in CATALOGUE)
    )
    problems: list[str] = []
    seen: set[str] = set()
    for entry in knowledge.entries:
        if entry.id in seen:
            problems.append(f"{entry.path}: id {entry.id} used twice")
        seen.add(entry.id)
        if entry.kind == "procedure" and entry.service not in codes:
            problems.append(f"{entry.path}: {entry.service!r} is not in the catalogue")
        if entry.kind == "guide" and not entry.url:
            problems.append(f"{entry.path}: a guide needs the url of its page")
        for language in LANGUAGES:
            text = entry.texts[language]
            if not text.questions:
                problems.append(f"{entry.path} [{language}]: no questions")
            if entry.kind != "procedure" and not (text.title and text.answer):
                problems.append(f"{entry.path} [{language}]: a {entry.kind} needs title and answer")
            for value in _texts_of(text):
                for _kind, code in PLACEHOLDER.findall(value):
                    if code not in codes:
                        problems.append(f"{entry.path} [{language}]: unknown service {code}")
                invented = _INVENTED_FACT.search(PLACEHOLDER.sub("", value))
                if invented:
                    problems.append(
                        f"{entry.path} [{language}]: {invented.group(0)!r} is written out; "
                        "use a {fee:…} or {delay:…} placeholder"
                    )
    citable = knowledge.citable
    for entry in knowledge.entries:
        if entry.kind == "faq":
            if not entry.procedures:
                problems.append(f"{entry.path}: a faq must point to procedures")
            problems.extend(
                f"{entry.path}: points to unknown {code}"
                for code in entry.procedures
                if code not in citable
            )
    described = {entry.service for entry in knowledge.entries if entry.kind == "procedure"}
    problems.extend(
        f"catalogue service {code} has no knowledge file" for code in sorted(codes - described)
    )
    return problems
