"""Finding the knowledge entries a question is about, in French, Bambara or English.

Pure Python, local and small: no model, nothing downloaded. A question and every entry go
through the same analysis:

1. **fold**: case, accents and the Bambara letters (ɛ→e, ɔ→o, ɲ→ny, ŋ→ng), so that "casié",
   "Casier" and "bangesɛbɛn"/"bangesebe" meet; apostrophes separate words (b'a fɛ, l'acte);
2. **synonyms** from ``knowledge/synonyms.toml`` (abbreviations, SMS spellings, old Bambara
   spellings: "cj" → "casier judiciaire", "kel" → "quel");
3. **stop words** (greetings, "comment", "please", "n bɛ…") dropped;
4. **terms**: the plural s/x/w and the French -er/-ez/-ée endings dropped, the word's
   spelling-variant key (``jamana.core.names.word_key``: ou→u, double letters, c→k/s, …)
   cut to a stem of ``STEM`` letters, so "naisance", "naissances" and "naissance" are one term;
   neighbouring terms also make a pair term ("copie_integrale");
5. **typos**: a term the knowledge base does not know, of six letters or more, is replaced by
   its closest known term one edit away (two for long terms), counted at a discount;
6. **aspects**: words about the fee, the delay, the documents or the place
   (``stopwords.toml``) do not choose the procedure; they are searched only when the question
   has nothing else ("combien ça coûte ?").

Entries are scored by BM25 over their titles, keywords, example questions and texts in all
three languages at once (people mix French words into Bambara). The *coverage* of a question
by an entry is the share of the question's weight (idf) found among the words that name the
entry's topic — its titles, keywords and example questions, not the words its texts mention in
passing. A word the knowledge base has never seen ("passeport") weighs as much as the rarest
known word: it is probably the topic. Entries are ranked by score * (``TOPIC_BONUS`` +
coverage), and the answer is *confident* only when the best one covers ``MIN_COVERAGE`` of the
question, so a question about something the catalogue does not offer is declined instead of
matched on "comment obtenir".
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from jamana.assistant.knowledge import LANGUAGES, PLACEHOLDER, Entry, Knowledge, default_knowledge
from jamana.core.names import fold, word_key
from jamana.procedures.catalogue import CATALOGUE

STEM = 6
K1 = 1.2
B = 0.75
# Field weights: how many times a field's terms count in an entry.
TITLE_WEIGHT = 3
KEYWORD_WEIGHT = 3
QUESTION_WEIGHT = 1
TEXT_WEIGHT = 1
PAIR_WEIGHT = 0.5  # a pair term counts half a word in the query
FUZZY_DISCOUNT = 0.7
FUZZY_MIN = 6  # letters of a term before a typo in it is tolerated
# Confidence: the share of the question's weight the best entry covers, and its least score.
MIN_COVERAGE = 0.6
MIN_SCORE = 1.5
# Ranking: BM25 score * (TOPIC_BONUS + coverage), so that an entry which only mentions the
# question's words in passing does not outrank the one they name.
TOPIC_BONUS = 0.5

_BAMBARA_LETTERS = re.compile("[ɛɔɲŋƐƆƝŊ]")
_APOSTROPHES = re.compile("['’‘ʼʻ`´]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Options:
    """What the analysis does; ``PLAIN`` is the benchmark's baseline (words as typed)."""

    fold: bool = True
    synonyms: bool = True
    stopwords: bool = True
    stems: bool = True
    pairs: bool = True
    fuzzy: bool = True


FULL = Options()
PLAIN = Options(fold=False, synonyms=False, stopwords=False, stems=False, pairs=False, fuzzy=False)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    coverage: float


@dataclass(frozen=True)
class Retrieval:
    language: str
    hits: tuple[Hit, ...]
    confident: bool
    terms: int  # content terms in the question; 0 for "bonjour" or "merci"
    aspects: frozenset[str] = frozenset()  # fee, delay, documents, where: what was asked

    def codes(self, limit: int = 3) -> list[str]:
        """Cited procedure codes, best first, each once."""
        found: list[str] = []
        for hit in self.hits:
            for code in hit.entry.cited_codes():
                if code not in found:
                    found.append(code)
        return found[:limit]


def _inflection_stripped(word: str) -> str:
    """Plural s/x (French, English) and w (Bambara); French -er/-ez/-ée, which people write
    "é" ("casié", "demandé") or drop: what remains is what the spelling key compares."""
    if len(word) > 3 and word[-1] in "sxw" and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 4 and word.endswith(("er", "ez", "ee")):
        word = word[:-1]
    return word


class Analyzer:
    def __init__(self, knowledge: Knowledge, options: Options = FULL) -> None:
        self.options = options
        merged: dict[str, str] = {}
        # Later languages never override earlier ones: French, then Bambara, then English.
        for language in reversed(LANGUAGES):
            for typed, meant in knowledge.synonyms.get(language, {}).items():
                merged[self._fold(typed).strip()] = self._fold(meant)
        longest_first = sorted(merged, key=len, reverse=True)
        self._synonyms = merged
        self._synonym_pattern = (
            re.compile(r"\b(" + "|".join(re.escape(typed) for typed in longest_first) + r")\b")
            if merged and options.synonyms
            else None
        )
        self._stopwords = frozenset(
            self._fold(word) for words in knowledge.stopwords.values() for word in words
        )
        self._aspects = {self._fold(word): aspect for word, aspect in knowledge.aspects.items()}

    def _fold(self, text: str) -> str:
        text = _APOSTROPHES.sub(" ", text)
        return fold(text) if self.options.fold else text.lower()

    def words(self, text: str) -> list[str]:
        """The question's words after folding and synonyms, stop words included."""
        folded = self._fold(text)
        if self._synonym_pattern is not None:
            folded = self._synonym_pattern.sub(lambda m: self._synonyms[m.group(1)], folded)
        return _WORD.findall(folded)

    def terms(self, text: str) -> list[str]:
        return self.terms_of(self.words(text))

    def terms_of(self, words: Iterable[str]) -> list[str]:
        if self.options.stopwords:
            words = [word for word in words if word not in self._stopwords]
        if not self.options.stems:
            return list(words)
        return [term for term in (self.term(word) for word in words) if term]

    def topic_and_aspects(self, text: str) -> tuple[list[str], frozenset[str]]:
        """The terms that say which procedure is meant, and the sides of it asked about
        (fee, delay, documents, where). A question made only of aspect words ("combien ça
        coûte ?") is searched on them."""
        words = self.words(text)
        asked = frozenset(self._aspects[word] for word in words if word in self._aspects)
        if not self.options.stopwords:  # the baseline knows no aspect
            return self.terms_of(words), frozenset()
        topic = self.terms_of(word for word in words if word not in self._aspects)
        if topic:
            return topic, asked
        return self.terms_of(word for word in words if word in self._aspects), asked

    @staticmethod
    @lru_cache(maxsize=65_536)
    def term(word: str) -> str:
        if word.isdigit():
            return word
        return word_key(_inflection_stripped(word))[:STEM]

    def pairs(self, terms: Sequence[str]) -> list[str]:
        if not self.options.pairs:
            return []
        return [f"{a}_{b}" for a, b in itertools.pairwise(terms)]


def _entry_fields(entry: Entry) -> Iterable[tuple[str, int, bool]]:
    """(text, weight, names the topic) of everything that describes an entry, in every
    language. Titles, keywords and example questions name what the entry is about; its
    description and answer also mention other things in passing ("marginal mentions of
    marriage or death"), which rank it but do not make it the answer to a question about them.
    Placeholders ({fee:tax.clearance}) are not words of the entry: they would make every common
    question on fees match every procedure's name."""
    service = next((s for s in CATALOGUE if s["code"] == entry.service), None)
    for language in LANGUAGES:
        text = entry.texts[language]
        if service is not None:
            yield service[f"title_{language}"], TITLE_WEIGHT, True
            yield service[f"description_{language}"], TEXT_WEIGHT, False
        yield text.title, TITLE_WEIGHT, True
        yield PLACEHOLDER.sub(" ", text.answer), TEXT_WEIGHT, False
        for keyword in text.keywords:
            yield keyword, KEYWORD_WEIGHT, True
        for question in text.questions:
            yield question, QUESTION_WEIGHT, True


class Index:
    """BM25 over the knowledge entries; built once per process (``default_index``)."""

    def __init__(self, knowledge: Knowledge, options: Options = FULL) -> None:
        self.knowledge = knowledge
        self.analyzer = Analyzer(knowledge, options)
        self.options = options
        self._docs: list[Counter[str]] = []
        self._topics: list[frozenset[str]] = []
        for entry in knowledge.entries:
            counts: Counter[str] = Counter()
            topic: set[str] = set()
            for text, weight, names_topic in _entry_fields(entry):
                terms = self.analyzer.terms(text)
                for term in terms + self.analyzer.pairs(terms):
                    counts[term] += weight
                if names_topic:
                    topic.update(terms)
            self._docs.append(counts)
            self._topics.append(frozenset(topic))
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._average_length = sum(self._lengths) / max(len(self._docs), 1)
        frequency: Counter[str] = Counter(term for doc in self._docs for term in doc)
        total = len(self._docs)
        self._idf = {
            term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }
        self._max_idf = max(self._idf.values(), default=1.0)
        # A typo is matched only between words long enough for one letter not to make another
        # word: "kuran" (current) is not "kura" (new).
        self._fuzzy_vocabulary = [
            term for term in self._idf if "_" not in term and len(term) >= FUZZY_MIN - 1
        ]
        self._markers = self._language_markers(knowledge)

    def _language_markers(self, knowledge: Knowledge) -> dict[str, frozenset[str]]:
        """Words seen in one language's texts and in no other's, plus its stop words."""
        seen: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for entry in knowledge.entries:
            for language in LANGUAGES:
                text = entry.texts[language]
                for value in (text.title, text.answer, text.who, text.where, *text.questions):
                    seen[language].update(fold(value).split())
        markers = {}
        for language in LANGUAGES:
            others = set().union(*(seen[o] for o in LANGUAGES if o != language))
            own = {w.strip('.,;:?!«»()"') for w in seen[language] - others}
            own |= {fold(word) for word in knowledge.stopwords.get(language, ())}
            markers[language] = frozenset(w for w in own if w)
        return markers

    def detect_language(self, question: str, hint: str = "fr") -> str:
        words = _WORD.findall(fold(_APOSTROPHES.sub(" ", question)))
        votes = {
            language: sum(word in self._markers[language] for word in words)
            for language in LANGUAGES
        }
        if _BAMBARA_LETTERS.search(question):
            votes["bm"] += 2
        best = max(votes.values())
        if best == 0:
            return hint if hint in LANGUAGES else "fr"
        leaders = [language for language in LANGUAGES if votes[language] == best]
        return hint if hint in leaders else leaders[0]

    def _known(self, term: str) -> tuple[str, float] | None:
        if term in self._idf:
            return term, 1.0
        if not self.options.fuzzy or len(term) < FUZZY_MIN or term.isdigit():
            return None
        found = process.extractOne(
            term,
            self._fuzzy_vocabulary,
            scorer=OSA.distance,
            score_cutoff=1 if len(term) < 8 else 2,
        )
        return (found[0], FUZZY_DISCOUNT) if found else None

    def search(self, question: str, *, hint: str = "fr", limit: int = 5) -> Retrieval:
        language = self.detect_language(question, hint)
        terms, aspects = self.analyzer.topic_and_aspects(question)
        weighted: dict[str, float] = {}
        unknown_weight = 0.0
        known_terms: list[str] = []
        for term in terms:
            known = self._known(term)
            if known is None:
                # An unknown word is probably the topic; an unknown number (a NINA, a
                # reference, a date) says nothing about which procedure is meant.
                if not any(char.isdigit() for char in term):
                    unknown_weight += self._max_idf
                continue
            known_terms.append(known[0])
            weighted[known[0]] = max(weighted.get(known[0], 0.0), known[1])
        for pair in self.analyzer.pairs(known_terms):
            if pair in self._idf:
                weighted[pair] = PAIR_WEIGHT
        scored: list[Hit] = []
        total_weight = unknown_weight + sum(
            self._idf[t] * w for t, w in weighted.items() if "_" not in t
        )
        for entry, doc, topic, length in zip(
            self.knowledge.entries, self._docs, self._topics, self._lengths, strict=True
        ):
            score = 0.0
            covered = 0.0
            for term, weight in weighted.items():
                tf = doc.get(term, 0)
                if not tf:
                    continue
                idf = self._idf[term]
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self._average_length))
                score += weight * idf * norm
                if term in topic:
                    covered += idf * weight
            if score > 0:
                coverage = covered / total_weight if total_weight else 0.0
                scored.append(Hit(entry=entry, score=score, coverage=coverage))
        scored.sort(key=lambda hit: (-hit.score * (TOPIC_BONUS + hit.coverage), hit.entry.id))
        hits = tuple(scored[:limit])
        confident = bool(hits) and hits[0].coverage >= MIN_COVERAGE and (hits[0].score >= MIN_SCORE)
        return Retrieval(
            language=language, hits=hits, confident=confident, terms=len(terms), aspects=aspects
        )


@lru_cache(maxsize=2)
def default_index(options: Options = FULL) -> Index:
    return Index(default_knowledge(), options)
