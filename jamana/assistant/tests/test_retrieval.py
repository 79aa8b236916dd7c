"""The retrieval itself, without Django: spellings people really use, languages, declining."""

from __future__ import annotations

import pytest

from jamana.assistant.retrieval import PLAIN, Index, default_index


@pytest.fixture(scope="module")
def index() -> Index:
    return default_index()


def top(index: Index, question: str) -> str:
    found = index.search(question)
    assert found.confident, (question, found)
    return found.codes()[0]


@pytest.mark.parametrize(
    "question",
    [
        "Comment obtenir un extrait de casier judiciaire ?",
        "comment obtenir un extrait de casier judiciaire",  # no accents, no punctuation
        "COMMENT AVOIR MON CASIÉ JUDICIÈRE",  # misspelt, upper case
        "cj svp",  # abbreviation
        "N bɛ se ka jalakiya sɛbɛn sɔrɔ cogo di?",  # Bambara, official orthography
        "n be se ka jalakiya seben soro cogo di",  # Bambara without ɛ ɔ
        "How can I get my criminal record?",
    ],
)
def test_the_criminal_record_is_found_however_it_is_asked(index, question):
    assert top(index, question) == "justice.b3"


def test_bambara_with_and_without_its_letters_gives_the_same_answer(index):
    official = index.search("N bɛ se ka bangesɛbɛn sɔrɔ cogo di?")
    plain = index.search("n be se ka bangesebe soro cogo di")
    assert official.codes() == plain.codes()
    assert official.codes()[0] in ("civil.birth_extract", "civil.birth_copy")


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Comment avoir un acte de naissance ?", "fr"),
        ("comment avoir un acte de naissance", "fr"),
        ("N bɛ se ka bangesɛbɛn sɔrɔ cogo di?", "bm"),
        ("n b'a fɛ ka casier judiciaire sɔrɔ", "bm"),  # code-switching
        ("How do I get a birth certificate?", "en"),
    ],
)
def test_the_language_of_the_question_is_the_language_of_the_answer(index, question, language):
    assert index.search(question, hint="fr").language == language


@pytest.mark.parametrize(
    "question",
    [
        "Comment obtenir un passeport ?",
        "je veux un permis de conduire",
        "How do I renew my driving licence?",
        "acte de mariage",
        "how do I get a death certificate",  # "death" is only mentioned in passing
        "kuran wari sara cogo di",  # an electricity bill: "kuran" is not "kura" (new)
        "fanga ka pasipɔri bɛ sɔrɔ cogo di?",
    ],
)
def test_what_the_catalogue_does_not_offer_is_declined(index, question):
    assert not index.search(question).confident


def test_a_greeting_has_nothing_to_search(index):
    found = index.search("Bonjour, merci")
    assert found.terms == 0 and not found.confident


def test_the_baseline_misses_what_the_analysis_catches(index):
    """The benchmark's baseline (words as typed) is the same index without the analysis."""
    plain = Index(index.knowledge, PLAIN)
    for question in ("COMMENT AVOIR MON CASIÉ JUDICIÈRE", "n ka kasiye sebe soro cogo di"):
        assert not plain.search(question).confident, question
        assert top(index, question) == "justice.b3"


def test_numbers_in_a_question_do_not_count_against_it(index):
    """A NINA or a reference is not a topic the catalogue lacks."""
    assert top(index, "19870312000045K comment avoir mon casier judiciaire ?") == "justice.b3"


def test_asking_about_a_fee_or_a_delay_does_not_change_the_procedure(index):
    for question in (
        "combien coûte le casier judiciaire",
        "how long for a nationality certificate",
    ):
        found = index.search(question)
        assert found.codes()[0] in ("justice.b3", "justice.nationality"), question
    assert index.search("combien coûte le casier judiciaire").aspects == {"fee"}
    general = index.search("combien ça coûte ?")
    assert general.hits[0].entry.id == "faq.fees"
