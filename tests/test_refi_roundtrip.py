"""qualkit → .qdpx → qualkit keeps everything, for projects hypothesis makes up.

Projects are built through the store (no spaCy, no files), with awkward text on purpose:
accents and CJK (offsets are code points, not bytes), XML's special characters in memos,
names and attributes, uncoded and unreviewed segments, several coders on one segment.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.codebook.load import check_data
from qualkit.codebook.versions import ACTIVE
from qualkit.model import CodingAction, CodingEvent, NoteKind, Participant, SegmentNote, Turn
from qualkit.project import init
from qualkit.refi.export import export_qdpx
from qualkit.refi.import_ import import_qdpx
from tests.test_refi import snapshot

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
words = st.text(alphabet="abcxyz éüß漢字<>&\"'", min_size=1, max_size=12).map(str.strip).filter(
    bool)
talk = st.lists(words, min_size=1, max_size=4).map(". ".join)


@st.composite
def projects(draw: st.DrawFn) -> dict:
    themes = []
    for t in range(draw(st.integers(1, 2))):
        codes = [{"id": f"code_{t}_{c}", "name": draw(words) + f" {t}{c}",
                  "definition": draw(st.one_of(st.just(""), talk)),
                  "keywords": draw(st.lists(words, max_size=2, unique=True)),
                  **({"color": draw(st.sampled_from(["#FF0000", "#00aa00"]))}
                     if draw(st.booleans()) else {})}
                 for c in range(draw(st.integers(1, 3)))]
        themes.append({"id": f"theme_{t}", "name": draw(words) + f" T{t}",
                       "definition": draw(st.one_of(st.just(""), talk)), "codes": codes})
    book = {"name": draw(words), "version": draw(st.sampled_from(["1", "2b"])),
            "unit": draw(st.sampled_from(["sentence", "turn"])),
            "description": draw(st.one_of(st.just(""), talk)), "themes": themes}
    speakers = draw(st.lists(st.sampled_from(["P01", "P02", "Moderator"]), min_size=1,
                             max_size=3, unique=True))
    transcripts = []
    for n in range(draw(st.integers(1, 2))):
        turns = draw(st.lists(st.tuples(st.sampled_from(speakers), talk, st.booleans()),
                              min_size=1, max_size=4))
        transcripts.append({"name": f"FG{n} " + draw(words),
                            "attributes": draw(st.dictionaries(st.sampled_from(
                                ["site", "date"]), words, max_size=2)),
                            "turns": turns})
    coders = draw(st.lists(st.sampled_from(["ana", "ben", "consensus"]), min_size=1,
                           max_size=3, unique=True))
    people = {s: draw(st.dictionaries(st.sampled_from(["group", "role"]), words, max_size=2))
              for s in speakers}
    return {"book": book, "transcripts": transcripts, "coders": coders, "people": people,
            "decisions": draw(st.lists(st.tuples(st.integers(0, 10**6),
                                                 st.sampled_from(coders),
                                                 st.none() | st.frozensets(
                                                     st.integers(0, 5), max_size=2),
                                                 st.none() | words), max_size=12))}


def build(root: Path, spec: dict) -> None:
    project, _ = init(root)
    checked = check_data(spec["book"], Path("generated.yaml"))
    codes = [c.id for c in checked.codebook.codes]
    with project.open_store() as store, store.transaction() as conn:
        store.save_codebook(conn, version=checked.codebook.version, name=checked.codebook.name,
                            label=checked.codebook.label, content=checked.content,
                            source="generated.yaml")
        store.set_setting(ACTIVE, checked.codebook.version, conn)
        store.replace_participants(conn, [Participant(n, a) for n, a in spec["people"].items()])
        segment_ids: list[int] = []
        for transcript in spec["transcripts"]:
            text, turns, spans = "", [], []
            for i, (speaker, said, split) in enumerate(transcript["turns"]):
                text += f"{speaker}: "
                start = len(text)
                text += said
                turns.append(Turn(0, i, speaker, start, len(text), None))
                cut = start + len(said) // 2
                if split and start < cut:
                    spans += [(i, start, cut, speaker), (i, cut, len(text), speaker)]
                else:
                    spans.append((i, start, len(text), speaker))
                text += "\n\n"
            tid = store.add_transcript(conn, name=transcript["name"], source="gen", sha256="0",
                                       text=text, attributes=transcript["attributes"],
                                       turns=turns, spans=spans)
            segment_ids += store.segment_ids(conn, tid)
        events, notes = [], []
        for pick, coder, chosen, memo in spec["decisions"]:
            segment = segment_ids[pick % len(segment_ids)]
            if chosen is not None:
                picked = sorted({codes[i % len(codes)] for i in chosen})
                events.append(CodingEvent(segment, coder, CodingAction.REVIEWED_NONE, None,
                                          checked.codebook.version, "gen", AT))
                events += [CodingEvent(segment, coder, CodingAction.APPLY, code,
                                       checked.codebook.version, "gen", AT) for code in picked]
            if memo is not None:
                notes.append(SegmentNote(segment, coder, NoteKind.MEMO, memo, AT))
        store.append_events(conn, events)
        store.add_notes(conn, notes)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(projects())
def test_round_trip_keeps_transcripts_offsets_codings_codebook_attributes(spec: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        original, copy, file = Path(tmp, "a"), Path(tmp, "b"), Path(tmp, "p.qdpx")
        build(original, spec)
        project, _ = init(original)
        with project.open_store() as store:
            export_qdpx(store, project, file)
        target, _ = init(copy)
        with target.open_store() as store:
            import_qdpx(store, target, file, allow_pii=True, ner=None)
        before, after = snapshot(original), snapshot(copy)
        for key in before:
            assert after[key] == before[key], key
