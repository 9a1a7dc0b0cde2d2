"""The lookup tables qualkit reads from spacy-lookups-data."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files

from qualkit.nlp import COMMON_WORD_LOGPROB, _frequent_head, common_words


def test_common_words_are_those_of_the_whole_table() -> None:
    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    table = json.loads(gzip.decompress(data.read_bytes()))
    expected = frozenset(w.lower() for w, p in table.items() if p >= COMMON_WORD_LOGPROB)
    assert common_words() == expected


def _table(*entries: tuple[str, str]) -> str:
    return "{\n" + ",\n".join(f'  {json.dumps(k)}:{v}' for k, v in entries) + "\n}"


def test_only_the_head_of_a_table_sorted_by_frequency_is_parsed() -> None:
    text = _table(("the", "-3.5"), ("rare", "-15.5"), (":30", "-16.2"), ("rarer", "-19.1"))
    assert _frequent_head(text) == {"the": -3.5, "rare": -15.5}


def test_a_table_not_sorted_by_frequency_is_parsed_whole() -> None:
    for late in ("-14.9", "-15", "-15.0", "0.5", "-1e-3"):
        text = _table(("the", "-3.5"), ("rarer", "-19.1"), ("late", late))
        assert _frequent_head(text) is None, late
    assert _frequent_head('{"the":-3.5}') is None  # no rare entry: nothing to skip
