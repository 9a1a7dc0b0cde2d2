"""The privacy rules' fast forms find exactly what the readable rules find."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.gate import rules

PAIRS = [
    ("phone", rules.PHONE, rules.PHONE_FAST),
    ("card", rules.CARD, rules.CARD_FAST),
    ("birth", rules.BIRTH, rules.BIRTH_FAST),
    ("id context", rules.ID_CONTEXT, rules.ID_CONTEXT_FAST),
    *((f"postcode {i}", a, b) for i, (a, b) in
      enumerate(zip(rules.POSTCODES, rules.POSTCODES_FAST, strict=True))),
    *((f"id {i}", a, b) for i, (a, b) in enumerate(zip(rules.IDS, rules.IDS_FAST, strict=True))),
]

PIECES = st.sampled_from([
    "0", "1", "2", "5", "7", "9", "12", "2024", "44", "(", ")", "+", "-", " ", " ", ".", ",",
    ":", "/", "\n", "\t", "#", "A", "B", "G", "IR", "SW1A", "1AA", "K", "NY", "CA", "SA", "X",
    "a", "é", "Ä", "Budapest", "born", "Born", "birthday", "date of birth", "birth date",
    "DOB", "d.o.b.", "születési", "\u017fzületési", "ID", "id", "\u0130D", "\u0131d",
    "student", "number",
    "no.", "is ", "NHS", "licence", "staff", "TAJ", "postcode", "Post code", "zip", "PLZ",
    "irányítószám", "AB12", "DE89", "1234", "5678", "4111 1111 1111 1111", "123-45-6789",
    "QQ 12 34 56 C", "@", "www.", "http://", "x.com", "K1A 0B1", "1012 AB", "12345-6789",
    "call me on", "card", "Microsoft.NET", "020 7946 0958", "555-123-4567", "485 777 3456",
])
TEXT = st.lists(PIECES, max_size=30).map("".join)


@pytest.mark.parametrize(("name", "rule", "fast"), PAIRS, ids=[p[0] for p in PAIRS])
@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_fast_form_finds_what_the_rule_finds(name: str, rule: re.Pattern[str],
                                             fast: re.Pattern[str], text: str) -> None:
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in rule.finditer(text)]


@pytest.mark.parametrize("text", [
    "Call me on +44 20 7946 0958 or (020) 7946-0958.", "born on 3 May 1999",
    "My student number is AB12345.", "Postcode: SW1A 1AA", "GIR 0AA", "NY 10001",
    "1012 AB Amsterdam", "12345 Berlin", "card 4111 1111 1111 1111", "NI AB 12 34 56 C",
    "IBAN DE89 3704 0044 0532 0130 00", "ss 123-45-6789", "x@y.org www.a.com b.co.uk/x",
])
def test_find_keeps_finding_known_identifiers(text: str) -> None:
    def reference(text: str) -> list[tuple[int, int]]:
        spans = []
        for pattern in (rules.EMAIL, rules.URL, *rules.POSTCODES, *rules.IDS):
            spans += [m.span() for m in pattern.finditer(text)]
        return spans

    found = {h.start for h in rules.find(text)}
    assert found
    assert {start for start, _ in reference(text)} <= found


def test_case_insensitive_first_letters_cover_every_fold() -> None:
    """The explicit first-letter classes hold every character Python folds to them."""
    for letter, listed in (("s", rules._S), ("i", rules._I)):
        chars = {c for c in map(chr, range(sys.maxunicode + 1))
                 if re.fullmatch(letter, c, re.IGNORECASE)}
        assert chars == set(listed)


def _reference_find(text: str) -> list[rules.Hit]:
    """``find`` as first written: every readable rule over the whole text."""
    from qualkit.gate.kinds import Hit, Kind

    hits = [Hit(m.start(), m.end(), Kind.EMAIL) for m in rules.EMAIL.finditer(text)]
    hits += [Hit(m.start(), m.end(), Kind.EMAIL) for m in rules.SPOKEN_EMAIL.finditer(text)]
    hits += [Hit(m.start(), m.end(), Kind.PHONE) for m in rules.PHONE.finditer(text)
             if rules.is_phone(text, m)]
    hits += [Hit(m.start(), rules.url_end(m), Kind.URL) for m in rules.URL.finditer(text)]
    for pattern in rules.POSTCODES:
        hits += [Hit(m.start(), m.end(), Kind.POSTCODE) for m in pattern.finditer(text)
                 if pattern is not rules.POSTCODES[2] or rules.is_dutch_postcode(text, m)]
    for m in rules.BIRTH.finditer(text):
        date = rules.birth_date(text, m)
        if date:
            hits.append(Hit(date.start(), date.end(), Kind.BIRTH_DATE))
    for pattern in rules.IDS:
        hits += [Hit(m.start(), m.end(), Kind.ID_NUMBER) for m in pattern.finditer(text)]
    hits += [Hit(m.start(), m.end(), Kind.ID_NUMBER) for m in rules.CARD.finditer(text)
             if rules.is_card(text, m)]
    hits += [Hit(m.start("id"), m.end("id"), Kind.ID_NUMBER)
             for m in rules.ID_CONTEXT.finditer(text) if rules.is_context_id(m)]
    return hits


@settings(max_examples=600, deadline=None)
@given(text=TEXT)
def test_find_gives_what_the_readable_rules_give(text: str) -> None:
    assert list(rules.find(text)) == _reference_find(text)


@pytest.mark.parametrize("detector", [rules.DIGIT_LED, rules.UPPER_LED])
@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_a_detector_finds_something_when_one_of_its_patterns_does(detector, text: str) -> None:
    patterns = rules._DIGIT_LED if detector is rules.DIGIT_LED else rules._UPPER_LED
    starts = [m.start() for p in patterns for m in p.finditer(text)]
    found = detector.search(text)
    assert (found is not None) == bool(starts)
    if found is not None:
        assert found.start() == min(starts)


@pytest.mark.parametrize(("pattern", "words"), [
    (rules.BIRTH_FAST, rules.BIRTH_WORDS), (rules.ID_CONTEXT_FAST, rules.ID_WORDS),
    (rules.POSTCODES_FAST[6], rules.POSTCODE_WORDS)])
@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_word_led_search_is_finditer(pattern, words, text: str) -> None:
    expected = [m.span() for m in pattern.finditer(text)]
    assert [m.span() for m in rules._word_led(pattern, words, text, rules._lower(text))
            ] == expected
    assert [m.span() for m in rules._word_led(pattern, words, text, None)] == expected
