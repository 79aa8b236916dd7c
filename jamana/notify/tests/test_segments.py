"""SMS encoding and segments: GSM-7 (extension characters count 2) or UCS-2 (Bambara letters
force it), 160/153 and 70/67 units, parts cut between characters."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamana.notify.segments import GSM7, UCS2, encode_part, gsm7_units, sms_layout

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\x0c"
BAMBARA = "ɛɔɲŋƐƆƝŊ"


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3)]
)
def test_gsm7_fits_160_alone_and_153_per_segment(length, segments):
    layout = sms_layout("a" * length)
    assert (layout.encoding, layout.units, layout.segments) == (GSM7, length, segments)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_fits_70_alone_and_67_per_segment(length, segments):
    layout = sms_layout("ɛ" * length)
    assert (layout.encoding, layout.units, layout.segments) == (UCS2, length, segments)


@pytest.mark.parametrize("letter", list(BAMBARA))
def test_one_bambara_letter_forces_ucs2(letter):
    layout = sms_layout("Jamana: i ka sɛbɛn " + letter)
    assert layout.encoding == UCS2


def test_extension_characters_count_two_septets():
    assert sms_layout("€").units == 2
    assert sms_layout("a{b}").units == 6
    assert sms_layout("€" * 80).segments == 1  # 160 septets
    assert sms_layout("€" * 81).segments == 2


def test_an_escape_pair_is_never_cut_between_segments():
    text = "a" * 152 + "€" + "b" * 10  # the € would straddle septets 153-154
    layout = sms_layout(text)
    assert layout.parts[0] == "a" * 152
    assert layout.parts[1].startswith("€")


def test_an_emoji_is_two_ucs2_units_and_never_cut():
    text = "ɛ" * 66 + "😀" + "ɔ"
    layout = sms_layout(text)
    assert layout.units == 69 and layout.segments == 1
    long = "ɛ" * 66 + "😀" * 3
    assert sms_layout(long).parts[0] == "ɛ" * 66


def test_french_accents_outside_gsm7_force_ucs2_but_gsm7_ones_do_not():
    assert sms_layout("Votre demande a été acceptée à Bamako").encoding == GSM7
    assert sms_layout("Reçu : payé").encoding == UCS2  # ç is not in the default alphabet


def test_escape_character_itself_is_not_gsm7_text():
    assert gsm7_units("\x1b") is None
    assert sms_layout("a\x1bb").encoding == UCS2


def test_encoded_parts_have_the_octets_smpp_carries():
    assert encode_part("€a", GSM7) == b"\x1bea"
    assert encode_part("ɛ", UCS2) == "ɛ".encode("utf-16-be")


@given(st.text(alphabet=GSM_BASIC + GSM_EXTENSION, max_size=700))
def test_gsm7_texts_are_cut_into_parts_within_limits(text):
    layout = sms_layout(text)
    assert layout.encoding == GSM7
    assert "".join(layout.parts) == text
    assert layout.units == len(encode_part(text, GSM7))
    per_part = 160 if layout.segments == 1 else 153
    assert all(len(encode_part(part, GSM7)) <= per_part for part in layout.parts)
    assert layout.segments >= max(1, math.ceil(layout.units / 153) if layout.units > 160 else 1)
    # Greedy cutting loses at most one septet per segment to an escape pair.
    if layout.units > 160:
        assert layout.segments <= math.ceil(layout.units / 152)


@given(st.text(max_size=400).filter(lambda t: any(gsm7_units(ch) is None for ch in t)))
def test_any_other_character_makes_it_ucs2_within_limits(text):
    layout = sms_layout(text)
    assert layout.encoding == UCS2
    assert "".join(layout.parts) == text
    assert layout.units == len(text.encode("utf-16-be")) // 2
    per_part = 70 if layout.segments == 1 else 67
    assert all(len(encode_part(part, UCS2)) // 2 <= per_part for part in layout.parts)
    if layout.units <= 70:
        assert layout.segments == 1


@given(st.text(alphabet=GSM_BASIC, max_size=300), st.sampled_from(BAMBARA))
def test_adding_a_bambara_letter_never_lowers_the_count(text, letter):
    assert sms_layout(text + letter).segments >= sms_layout(text).segments
    assert sms_layout(text + letter).encoding == UCS2
