"""The closed set of identifier kinds, and one suspected identifier in a text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    POSTCODE = "postcode"
    BIRTH_DATE = "birth_date"
    ID_NUMBER = "id_number"
    ROSTER_NAME = "roster_name"
    UNKNOWN_SPEAKER = "unknown_speaker"
    PERSON = "person"
    PLACE = "place"
    ORGANISATION = "organisation"

    @property
    def phrase(self) -> str:
        """How a message names it: "an e-mail address"."""
        return _PHRASES[self]

    @property
    def placeholder(self) -> str:
        """What pseudonymisation writes instead of an identifier that is not a person."""
        return _PLACEHOLDERS.get(self, "[name]")


_PHRASES = {
    Kind.EMAIL: "an e-mail address",
    Kind.PHONE: "a phone number",
    Kind.URL: "a URL",
    Kind.POSTCODE: "a postal code",
    Kind.BIRTH_DATE: "a date of birth",
    Kind.ID_NUMBER: "an ID number",
    Kind.ROSTER_NAME: "a name on the roster of real names",
    Kind.UNKNOWN_SPEAKER: "a speaker missing from participants.csv",
    Kind.PERSON: "a person's name",
    Kind.PLACE: "a place name",
    Kind.ORGANISATION: "an organisation's name",
}
_PLACEHOLDERS = {
    Kind.EMAIL: "[e-mail]",
    Kind.PHONE: "[phone]",
    Kind.URL: "[URL]",
    Kind.POSTCODE: "[postal code]",
    Kind.BIRTH_DATE: "[date of birth]",
    Kind.ID_NUMBER: "[ID number]",
    Kind.PLACE: "[place]",
    Kind.ORGANISATION: "[organisation]",
}


@dataclass(frozen=True)
class Hit:
    """A suspected identifier at ``text[start:end]``; ``person`` indexes the roster of real
    names when the hit is one of its people (``None`` when ambiguous or not a person)."""

    start: int
    end: int
    kind: Kind
    person: int | None = None
