"""References read over the phone: the check character catches every single-character error
and every swap of neighbours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamana.core.references import (
    ALPHABET,
    BODY_LENGTH,
    InvalidReference,
    check_character,
    format_reference,
    new_reference,
    parse_reference,
)

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)


def test_new_reference_parses_back():
    reference = new_reference()
    assert parse_reference(format_reference(reference)) == reference


@given(bodies, st.integers(0, BODY_LENGTH), st.sampled_from(ALPHABET))
def test_every_single_substitution_is_caught(body, position, replacement):
    reference = body + check_character(body)
    if reference[position] == replacement:
        return
    typo = reference[:position] + replacement + reference[position + 1 :]
    with pytest.raises(InvalidReference) as error:
        parse_reference(typo)
    assert error.value.code == "check"


@given(bodies, st.integers(0, BODY_LENGTH - 1))
def test_every_swap_of_neighbours_is_caught(body, position):
    reference = body + check_character(body)
    a, b = reference[position], reference[position + 1]
    if a == b:
        return
    swapped = reference[:position] + b + a + reference[position + 2 :]
    with pytest.raises(InvalidReference):
        parse_reference(swapped)


def test_exhaustive_on_one_reference():
    reference = "7K3Q9PX2" + check_character("7K3Q9PX2")
    for i in range(len(reference)):
        for ch in ALPHABET:
            if ch != reference[i]:
                with pytest.raises(InvalidReference):
                    parse_reference(reference[:i] + ch + reference[i + 1 :])


def test_lookalike_letters_are_read_as_digits():
    body = "10000000"
    reference = body + check_character(body)
    assert parse_reference("io0-" + reference[3:].lower()) == reference


@pytest.mark.parametrize("typed", ["", "ABC", "7K3-Q9P-X2M-XX", "7K3-Q9P-X2*"])
def test_malformed_reference(typed):
    with pytest.raises(InvalidReference) as error:
        parse_reference(typed)
    assert error.value.code == "format"
