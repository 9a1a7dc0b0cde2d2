"""The privacy rules' fast forms find exactly what the readable rules find."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.privacy import rules

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

    found = {(h.start, h.end) for h in rules.find(text)}
    assert found
    assert set(reference(text)) <= found


def test_case_insensitive_first_letters_cover_every_fold() -> None:
    """The explicit first-letter classes hold every character Python folds to them."""
    for letter, listed in (("s", rules._S), ("i", rules._I)):
        chars = {c for c in map(chr, range(sys.maxunicode + 1))
                 if re.fullmatch(letter, c, re.IGNORECASE)}
        assert chars == set(listed)
