"""The lookup tables qualkit reads from spacy-lookups-data."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files

from qualkit.nlp import COMMON_WORD_LOGPROB, _frequent_head, common_words


def _all_common_words() -> frozenset[str]:
    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    table = json.loads(gzip.decompress(data.read_bytes()))
    return frozenset(w.lower() for w, p in table.items() if p >= COMMON_WORD_LOGPROB)


def test_common_words_are_those_of_the_whole_table(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    common_words.cache_clear()
    try:
        assert common_words() == _all_common_words()
    finally:
        common_words.cache_clear()


def test_common_words_are_kept_in_the_cache_folder_and_read_from_it(tmp_path,
                                                                    monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    common_words.cache_clear()
    try:
        first = common_words()
        (cached,) = (tmp_path / "qualkit").glob("common-words-*.json")
        assert frozenset(json.loads(cached.read_text(encoding="utf-8"))) == first
        cached.write_text(json.dumps(["only", "these"]), encoding="utf-8")
        common_words.cache_clear()
        assert common_words() == {"only", "these"}  # read, not recomputed
        cached.write_text("{not json", encoding="utf-8")
        common_words.cache_clear()
        assert common_words() == first  # a damaged cache is worked out again
        assert frozenset(json.loads(cached.read_text(encoding="utf-8"))) == first
    finally:
        common_words.cache_clear()


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
