"""Identifiers with a recognisable shape, found by regular expressions.

Each rule errs towards flagging, but not so far that ordinary talk trips it. Numbers are
the hard part: maths lessons, budgets and counts are full of long digit runs, so a run of
digits is a phone number only in a shape talk does not produce (a ``+`` country code, an
area code in brackets, a leading trunk ``0``, the North American 3-3-4 grouping) or after
a cue ("call me on", "my mobile"); a date is a date of birth only when a cue ("born on",
"my birthday is", "DOB:") leads straight to a day and a month; an ID number has an
identifying shape (US social security, UK National Insurance, IBAN, a card number in card
grouping or after "card" and passing the Luhn check) or follows "student number",
"patient ID" and the like. A URL has a scheme, ``www.`` or a lower-case top-level domain
right after a dot (``example.org``), so product names (``Microsoft.NET``) are not URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import pairwise

from qualkit.gate.kinds import Hit, Kind

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
SPOKEN_EMAIL = re.compile(
    r"\b\w+(?: (?:dot|underscore|dash|hyphen) \w+)* at \w+(?:[ -]\w+)?(?: dot \w+)*? "
    r"dot (?:com|org|net|edu|gov|io|co dot uk|ac dot uk|org dot uk|uk|de|hu|fr|nl|eu|ie)\b",
    re.IGNORECASE)
"""An address as it is said and transcribed: "jo dot bloggs at gmail dot com"."""
PHONE = re.compile(
    r"(?<![\w:.,/-])(?:\+\d{1,3}[ .-]?(?:\(0\) ?)?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{3,4}"
    r"(?![\w:/-])")
_NOT_PHONE = re.compile(r"^(?:(?:19|20)\d\d\s*[-\u2013]\s*(?:19|20)\d\d|"
                        r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4})$")
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|de|hu|fr|nl|eu|info|me|ly|ac\.uk|org\.uk)"
URL = re.compile(r"(?i:\b(?:https?://|www\.)[^\s<>\"'\])]+)|"
                 rf"\b[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.{_TLD}\b"
                 r"(?:/[^\s<>\"'\])]*)?")
_STATES = (r"A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|"
           r"O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]")
POSTCODES = (
    re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b"),  # UK
    re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b"),  # CA
    re.compile(r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b"),  # NL
    re.compile(r"\b\d{5}-\d{4}\b"),  # US ZIP+4
    re.compile(rf"\b(?:{_STATES}),? \d{{5}}\b"),  # US state and ZIP
    re.compile(r"\b\d{5} [A-ZÀ-Ý][a-zà-ÿ]{2,}"),  # 12345 City
    re.compile(r"(?i:\b(?:post(?:al)? ?code|postcode|zip(?: ?code)?|PLZ|irányítószám)\b)"
               r"[^\w\n]{0,4}(?:(?:which |that )?(?:is|was|it's)[ \t]+)?(?=[A-Z0-9]{0,4}\d)"
               r"[A-Z0-9]{2,5}(?: ?[A-Z0-9]{2,4})?",
               re.IGNORECASE),
)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
          r"Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
DATE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {_MONTH}(?:,? \d{{4}})?\b|"
    rf"\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b|"
    r"\b(?:19|20)\d{2}\b", re.IGNORECASE)
BIRTH = re.compile(r"\b(?:born|birthday|date of birth|birth ?date|d\.?o\.?b\b\.?|"
                   r"születési)", re.IGNORECASE)
IDS = (
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),  # US social security number
    re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),  # UK NI
    re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"),  # IBAN
    re.compile(r"\b(?:[A-Z]{1,3}\d{5,10}|[A-Z]{2,3}-\d{5,10})\b"),  # E7731902, EMP-20419
)
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
ID_CONTEXT = re.compile(
    r"\b(?:ID|identification|student|matriculation|neptun|patient|passport|social security|"
    r"NHS|insurance|licen[cs]e|employee|staff|TAJ|personal)\s*(?:number|no\.?|code|#|ID)?"
    r"\s*(?:(?:is|was)\s+|:\s*|#\s*)?(?P<id>[A-Z0-9][A-Z0-9-]{4,}|\d{2,4}(?: \d{2,4}){2,3})\b",
    re.IGNORECASE)


PHONE_CUE = re.compile(
    r"\b(?:phone|mobile|cell|tel(?:ephone)?|fax|whats ?app|call(?:ed|ing)?|ring|text|"
    r"reach(?:ed)?|contact|(?:my|his|her|their|your|our) (?:home |work |)number)\b\W*"
    r"(?:\w+\W+){0,4}$", re.IGNORECASE)
"""A phone cue ending at most four words before the number (searched in the text before
it, on the same line). "Number" alone is no cue: maths talk is full of numbers."""
_PHONE_SHAPE = re.compile(r"^(?:\+|\(|0)|^\d{3}([-. ])\d{3}\1\d{4}$")
"""What numbers in talk never look like: a country code, an area code in brackets, a
trunk 0, or North American 3-3-4 digits with one separator."""
CARD_CUE = re.compile(r"\b(?:card|credit|debit|visa|mastercard|amex|account)\b\W*"
                      r"(?:\w+\W+){0,4}$", re.IGNORECASE)
_CARD_SHAPE = re.compile(r"^\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?$|"
                         r"^\d{4}([ -])\d{6}\2\d{5}$")
BIRTH_LINK = re.compile(r"^(?:[\s:,.-]|'s\b|\b(?:is|was|on|the|of|date|in|at|as)\b)*$",
                        re.IGNORECASE)
"""What may stand between a birth cue and the date: "born on the", "birthday is",
"date of birth:". Anything else ("born just before 1 September") and the date is not
the speaker's date of birth."""
ID_WORDS_ALONE = frozenset({"id", "taj", "neptun", "passport"})
_NUMBER_WORD = re.compile(r"\b(?:number|no|code|ID)\b|#", re.IGNORECASE)


def _before(text: str, start: int, width: int = 60) -> str:
    """Up to ``width`` characters before ``start``, on the same line."""
    window = text[max(0, start - width):start]
    return window[window.rfind("\n") + 1:]


def counting(found: str) -> bool:
    """Three or more numbers in equal steps ("1000 2000 3000 4000", "40-60-80"): counting
    aloud, not a number anyone was given."""
    groups = [int(g) for g in re.findall(r"\d+", found)]
    steps = {b - a for a, b in pairwise(groups)}
    return len(groups) >= 3 and len(steps) == 1 and steps != {0}


def is_dutch_postcode(text: str, match: re.Match[str]) -> bool:
    """"1012 AB" is a Dutch postcode when a place name follows, as in an address; "1500 BC"
    and "2030 UK" are talk."""
    return re.match(r" [A-Z][a-z]", text[match.end():match.end() + 3]) is not None


def is_phone(text: str, match: re.Match[str]) -> bool:
    """A phone-shaped run of digits that is a phone number: enough digits, not a year
    range or a date, and a shape talk does not have or a cue before it."""
    found = match.group().strip()
    if sum(ch.isdigit() for ch in found) < 8 or _NOT_PHONE.match(found) or counting(found):
        return False
    return (_PHONE_SHAPE.match(found) is not None
            or PHONE_CUE.search(_before(text, match.start())) is not None)


def is_card(text: str, match: re.Match[str]) -> bool:
    """A Luhn-valid run of 13 to 19 digits in card grouping or after a card cue (a tenth
    of all long numbers pass the Luhn check by chance)."""
    digits = re.sub(r"\D", "", match.group())
    if not _luhn(digits) or len(set(digits)) < 2 or counting(match.group()):
        return False
    return (_CARD_SHAPE.match(match.group()) is not None
            or CARD_CUE.search(_before(text, match.start())) is not None)


def birth_date(text: str, cue: re.Match[str]) -> re.Match[str] | None:
    """The date a birth cue leads to: a day and a month (a year alone is no date of
    birth), with only linking words between."""
    date = DATE.search(text, cue.end(), min(len(text), cue.end() + 40))
    if (date is None or not BIRTH_LINK.match(text[cue.end():date.start()])
            or re.fullmatch(r"\d{4}", date.group())):
        return None
    return date


def is_context_id(match: re.Match[str]) -> bool:
    """An ID after a cue: the cue names an identifier ("student number", "patient ID",
    "ID:"), not just a role ("Student: 40, 60, 80"), and the value holds a digit."""
    if not any(ch.isdigit() for ch in match["id"]):
        return False
    cue = match.group()[:match.start("id") - match.start()]
    first = cue.split()[0].rstrip(":#").casefold() if cue.split() else ""
    return first in ID_WORDS_ALONE or _NUMBER_WORD.search(cue[len(first):]) is not None


def url_end(match: re.Match[str]) -> int:
    """Where a URL ends: sentence punctuation after it is the speaker's, not the URL's."""
    return match.start() + len(match.group().rstrip(".,;:!?"))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# ----------------------------------------------------------------------------- fast forms
#
# The patterns above are the rules, written to be read. Python's regex engine tries a
# pattern that opens with ``\b`` or a lookbehind at every position of the text; one that
# opens with a character set skips straight to the next character that can start a match,
# in C. Each ``_FAST`` pattern below is its rule with the first character taken out in
# front and the opening assertion moved after it (``\bX`` becomes ``X(?<!\w.)``, and a
# branch chosen by its first letter is kept by a lookbehind on that letter). They find the
# same matches, at the same places, in the same order: tests/test_privacy_fast.py checks
# each against its rule. Case-insensitive first letters list every character that Python
# folds to them (long s is an s; dotted capital I and dotless i are i).

def _after_first(branches: str) -> str:
    """``AB|CD`` → ``(?<=A)B|(?<=C)D``: the branches with their (already consumed) first
    letter checked by lookbehind."""
    return "|".join(f"(?<={b[0]}){b[1:]}" for b in branches.split("|"))


_S = "sS\u017f"
_I = "iI\u0130\u0131"
_PHONE_REST = r"(?:\(?\d{2,4}\)?[ .-]?)"
PHONE_FAST = re.compile(
    r"[+(\d](?<![\w:.,/-].)(?:"
    rf"(?<=\+)\d{{1,3}}[ .-]?(?:\(0\) ?)?{_PHONE_REST}{{2,4}}|"
    rf"(?<=\()\d{{2,4}}\)?[ .-]?{_PHONE_REST}{{1,3}}|"
    rf"(?<=\d)\d{{1,3}}\)?[ .-]?{_PHONE_REST}{{1,3}}"
    r")\d{3,4}(?![\w:/-])")
POSTCODES_FAST = (
    re.compile(r"[A-Z](?<!\w.)(?:[A-Z]?\d[A-Z\d]?|(?<=G)IR) ?\d[ABD-HJLNP-UW-Z]{2}\b"),
    re.compile(r"[ABCEGHJ-NPRSTVXY](?<!\w.)\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b"),
    re.compile(r"[1-9](?<!\w.)\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b"),
    re.compile(r"\d(?<!\w.)\d{4}-\d{4}\b"),
    re.compile(rf"[A-Z](?<!\w.)(?:{_after_first(_STATES)}),? \d{{5}}\b"),
    re.compile(r"\d(?<!\w.)\d{4} [A-ZÀ-Ý][a-zà-ÿ]{2,}"),
    re.compile(rf"[pPzZ{_I}](?<!\w.)(?i:(?:"
               r"(?<=p)ost(?:al)? ?code|(?<=p)ostcode|(?<=z)ip(?: ?code)?|(?<=p)LZ|"
               r"(?<=i)rányítószám)\b"
               r"[^\w\n]{0,4}(?:(?:which |that )?(?:is|was|it's)[ \t]+)?(?=[A-Z0-9]{0,4}\d)"
               r"[A-Z0-9]{2,5}(?: ?[A-Z0-9]{2,4})?)"),
)
BIRTH_FAST = re.compile(
    rf"[bBdD{_S}](?<!\w.)(?i:(?<=b)orn|(?<=b)irthday|(?<=d)ate of birth|(?<=b)irth ?date|"
    r"(?<=d)\.?o\.?b\b\.?|(?<=s)zületési)")
IDS_FAST = (
    re.compile(r"\d(?<!\w.)\d{2}-\d{2}-\d{4}\b"),
    re.compile(r"[A-CEGHJ-PR-TW-Z](?<!\w.)[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
    re.compile(r"[A-Z](?<!\w.)[A-Z]\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"),
    re.compile(r"[A-Z](?<!\w.)(?:[A-Z]{0,2}\d{5,10}|[A-Z]{1,2}-\d{5,10})\b"),
)
CARD_FAST = re.compile(r"\d(?<![\d-].)(?:[ -]?\d){12,18}(?![\d-])")
ID_CONTEXT_FAST = re.compile(
    rf"[{_I}{_S}mMnNpPlLeEtT](?<!\w.)(?i:(?:"
    r"(?<=i)D|(?<=i)dentification|(?<=s)tudent|(?<=m)atriculation|(?<=n)eptun|(?<=p)atient|"
    r"(?<=p)assport|(?<=s)ocial security|(?<=n)HS|(?<=i)nsurance|(?<=l)icen[cs]e|"
    r"(?<=e)mployee|(?<=s)taff|(?<=t)AJ|(?<=p)ersonal)\s*(?:number|no\.?|code|#|ID)?"
    r"\s*(?:(?:is|was)\s+|:\s*|#\s*)?(?P<id>[A-Z0-9][A-Z0-9-]{4,}|\d{2,4}(?: \d{2,4}){2,3})\b)")
_DOT_TLD = re.compile(rf"\.{_TLD}\b")


def _split_first(pattern: re.Pattern[str]) -> tuple[str, str]:
    """A fast form's leading character set and the rest of it."""
    source = pattern.pattern
    cut = 2 if source.startswith("\\d") else source.index("]") + 1
    return source[:cut], source[cut:]


def _detector(first: str, patterns: Sequence[re.Pattern[str]], guard: str = ""
              ) -> re.Pattern[str]:
    """One scan that finds where the first match of any of ``patterns`` starts, or
    nothing when none of them matches anywhere: each pattern becomes a branch that checks,
    by lookbehind, that the character just read is one it can start with. Transcripts
    rarely hold an identifier, so usually this one scan replaces several.

    ``guard`` is checked once, before the branches, after the first character: something
    every branch requires there, so that most places (a digit inside a number, a capital
    starting an ordinary word) are turned away in one step instead of one per branch."""
    branches = []
    for pattern in patterns:
        lead, rest = _split_first(pattern)
        branches.append(f"(?<={lead}){rest}")
    return re.compile(f"{first}{guard}(?:{'|'.join(branches)})")


_DIGIT_LED = (PHONE_FAST, CARD_FAST, POSTCODES_FAST[2], POSTCODES_FAST[3], POSTCODES_FAST[5],
              IDS_FAST[0])
_UPPER_LED = (POSTCODES_FAST[0], POSTCODES_FAST[1], POSTCODES_FAST[4], IDS_FAST[1],
              IDS_FAST[2], IDS_FAST[3])
# Every digit-led pattern refuses a digit just before its first character (PHONE_FAST and
# the others forbid any word character there; CARD_FAST a digit or a hyphen).
DIGIT_LED = _detector(r"[+(\d]", _DIGIT_LED, guard=r"(?<!\d.)")
# Every capital-led pattern refuses a word character before its first letter, and has a
# capital or a digit right after it (postcodes, state codes, NI numbers, IBANs).
UPPER_LED = _detector(r"[A-Z]", _UPPER_LED, guard=r"(?<!\w.)(?=[A-Z\d])")


_FOLDS_TO_ASCII = "\u017f\u0130\u0131\u212a"
"""Characters Python's case-insensitive matching takes for an ASCII letter (long s, dotted
capital I, dotless i, Kelvin sign): the only ones that would make lower-case text and
case-insensitive matching disagree."""
BIRTH_WORDS = ("born", "birthday", "date of birth", "birth", "dob", "d.ob", "do.b", "d.o.b",
               "születési")
POSTCODE_WORDS = ("post", "zip", "plz", "irányítószám")
ID_WORDS = ("id", "identification", "student", "matriculation", "neptun", "patient",
            "passport", "social security", "nhs", "insurance", "licen", "employee", "staff",
            "taj", "personal")


def _word_led(pattern: re.Pattern[str], words: Sequence[str], text: str, lower: str | None
              ) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a case-insensitive pattern whose every match starts
    with one of ``words``: the words are looked up in the lower-case text with ``str.find``
    (far faster than the regex engine's scan), and the pattern is tried only there, in
    order, after the end of the previous match, as finditer would. ``lower`` is None when
    the text holds a character that folds oddly; then the pattern scans the text."""
    if lower is None:
        yield from pattern.finditer(text)
        return
    starts: set[int] = set()
    for word in words:
        at = lower.find(word)
        while at != -1:
            starts.add(at)
            at = lower.find(word, at + 1)
    after = 0
    for at in sorted(starts):
        if at < after:
            continue
        match = pattern.match(text, at)
        if match:
            yield match
            after = max(match.end(), at + 1)


def _lower(text: str) -> str | None:
    """The text in lower case with the same offsets, or None when that cannot be had."""
    if any(ch in text for ch in _FOLDS_TO_ASCII):
        return None
    lower = text.lower()
    return lower if len(lower) == len(text) else None


def _may_hold_url(text: str, lower: str | None) -> bool:
    """Every URL match holds ``://``, ``www.`` or a dot and a top-level domain; most
    transcripts hold none, and these are quick to look for."""
    return ("://" in text or "www." in (lower if lower is not None else text.lower())
            or _DOT_TLD.search(text) is not None)


def find(text: str) -> Iterator[Hit]:
    """Every identifier of a recognisable shape, in no particular order."""
    digits = DIGIT_LED.search(text) is not None
    upper = UPPER_LED.search(text) is not None
    lower = _lower(text)
    if "@" in text:  # every e-mail address has one
        for match in EMAIL.finditer(text):
            yield Hit(match.start(), match.end(), Kind.EMAIL)
    if " dot " in (lower if lower is not None else text.lower()):
        for match in SPOKEN_EMAIL.finditer(text):
            yield Hit(match.start(), match.end(), Kind.EMAIL)
    for match in PHONE_FAST.finditer(text) if digits else ():
        if is_phone(text, match):
            yield Hit(match.start(), match.end(), Kind.PHONE)
    if _may_hold_url(text, lower):
        for match in URL.finditer(text):
            yield Hit(match.start(), url_end(match), Kind.URL)
    for pattern in POSTCODES_FAST:
        if (pattern in _DIGIT_LED and not digits) or (pattern in _UPPER_LED and not upper):
            continue
        found = (_word_led(pattern, POSTCODE_WORDS, text, lower) if pattern is POSTCODES_FAST[6]
                 else pattern.finditer(text))
        for match in found:
            if pattern is not POSTCODES_FAST[2] or is_dutch_postcode(text, match):
                yield Hit(match.start(), match.end(), Kind.POSTCODE)
    for match in _word_led(BIRTH_FAST, BIRTH_WORDS, text, lower):
        date = birth_date(text, match)
        if date:
            yield Hit(date.start(), date.end(), Kind.BIRTH_DATE)
    for pattern in IDS_FAST:
        if (pattern in _DIGIT_LED and not digits) or (pattern in _UPPER_LED and not upper):
            continue
        for match in pattern.finditer(text):
            yield Hit(match.start(), match.end(), Kind.ID_NUMBER)
    for match in CARD_FAST.finditer(text) if digits else ():
        if is_card(text, match):
            yield Hit(match.start(), match.end(), Kind.ID_NUMBER)
    for match in _word_led(ID_CONTEXT_FAST, ID_WORDS, text, lower):
        if is_context_id(match):
            yield Hit(match.start("id"), match.end("id"), Kind.ID_NUMBER)
