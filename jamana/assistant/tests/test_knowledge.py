"""The knowledge files keep the rules of knowledge/README.md; the evaluation set is usable."""

from __future__ import annotations

import tomllib

import pytest
from django.urls import reverse

from jamana.assistant.knowledge import (
    KNOWLEDGE_DIR,
    Knowledge,
    check_knowledge,
    load_knowledge,
    parse_entry,
)
from jamana.procedures.catalogue import CATALOGUE

EVALUATION = KNOWLEDGE_DIR.parent / "evaluation"


def test_the_knowledge_base_loads_and_breaks_no_rule():
    knowledge = load_knowledge()
    assert check_knowledge(knowledge) == []
    described = {entry.service for entry in knowledge.entries if entry.kind == "procedure"}
    assert described == {service["code"] for service in CATALOGUE}
    kinds = {entry.kind for entry in knowledge.entries}
    assert kinds == {"procedure", "guide", "faq"}


def test_every_guide_opens_a_page_of_the_platform():
    for entry in load_knowledge().entries:
        if entry.kind == "guide":
            assert reverse(entry.url).startswith("/"), entry.id


def _entry(answer: str) -> dict:
    text = {"title": "T", "questions": ["q"], "answer": answer}
    return {
        "id": "faq.test",
        "kind": "faq",
        "procedures": ["justice.b3"],
        "fr": text,
        "bm": text,
        "en": text,
    }


@pytest.mark.parametrize(
    "answer",
    [
        "Le casier coûte 750 FCFA.",
        "Comptez 2 jours.",
        "It takes 3 days.",
        "A sɔngɔ ye dorome 150 ye.",
        "A bɛ kɛ tile 5 kɔnɔ.",
    ],
)
def test_a_fee_or_a_delay_written_out_is_refused(answer):
    knowledge = Knowledge(entries=(parse_entry(_entry(answer), "faq/test.toml"),))
    problems = check_knowledge(knowledge, catalogue_codes=["justice.b3"])
    assert any("is written out" in problem for problem in problems)


def test_placeholders_are_the_way_to_quote_the_catalogue():
    entry = parse_entry(_entry("Le casier coûte {fee:justice.b3}, en {delay:justice.b3}."), "t")
    assert [
        p
        for p in check_knowledge(Knowledge(entries=(entry,)), ["justice.b3"])
        if "written out" in p or "unknown service" in p
    ] == []
    unknown = parse_entry(_entry("Le passeport coûte {fee:passport}."), "t")
    assert any(
        "unknown service passport" in p
        for p in check_knowledge(Knowledge(entries=(unknown,)), ["justice.b3"])
    )


@pytest.mark.parametrize("name", ["questions", "heldout"])
def test_the_evaluation_sets_cover_each_language_and_questions_without_answer(name):
    with (EVALUATION / f"{name}.toml").open("rb") as file:
        questions = tomllib.load(file)["question"]
    citable = set(load_knowledge().citable)
    texts = [q["text"] for q in questions]
    assert len(texts) == len(set(texts))
    for language in ("fr", "bm", "en"):
        own = [q for q in questions if q["language"] == language]
        assert len(own) >= (45 if name == "questions" else 10)
        assert any(not q["expect"] for q in own), language
    for question in questions:
        assert set(question["expect"]) <= citable, question
    if name == "questions":
        assert len(questions) >= 150
