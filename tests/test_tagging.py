"""``qualkit tag``: the session (queue, decide, undo, resume) and its terminal UI, driven by
key presses through Textual's pilot; plus ``history`` and ``coders``.

conftest's project, after ``qualkit run``, has ten segments (id: speaker, suggestions):

    1 Moderator  2 Moderator  3 P01 teaching  4 P01  5 P02 self_confidence
    6 P02 clinical  7 P01  8 Moderator  9 P03 clinical, teaching  10 P03

Codes are numbered in codebook order: 1 teaching_skills, 2 clinical_skills,
3 self_confidence.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from qualkit.codebook.versions import active_codebook
from qualkit.coding.retrain import Retrainer
from qualkit.coding.session import Filters, TaggingSession
from qualkit.coding.tui import TaggingApp
from qualkit.model import CodingAction, NoteKind, Segment
from qualkit.store import Store, open_store

A, R, N, U = (CodingAction.APPLY, CodingAction.REMOVE, CodingAction.REVIEWED_NONE,
              CodingAction.UNREVIEW)


@pytest.fixture
def ready(cli, project: Path) -> Path:
    result = cli("run", "-p", str(project), "-q")
    assert result.exit_code == 0, result.stderr
    return project


def session(project: Path, coder: str = "cara", **options: object) -> TaggingSession:
    store = open_store(project / "qualkit.db")
    book = active_codebook(store)
    assert book is not None
    return TaggingSession(store, book, coder, **options)  # type: ignore[arg-type]


def log(store: Store, coder: str = "cara") -> list[tuple[int, str, str | None, str]]:
    return [(e.segment_id, e.action.value, e.code_id, e.origin) for e in store.events(coder)]


def drive(project: Path, keys: Sequence[str], coder: str = "cara",
          **options: object) -> tuple[TaggingSession, str]:
    """Open the UI at 80x24, press the keys, quit with q; the session and the last screen."""
    work = session(project, coder, **options)

    async def run() -> str:
        app = TaggingApp(work)
        async with app.run_test(size=(80, 24)) as pilot:
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            screen = screen_text(app)
            await pilot.press("q")
            await pilot.pause()
        return screen

    return work, asyncio.run(run())


def screen_text(app: TaggingApp) -> str:
    return "\n".join(str(app.query_one(f"#{name}").render())
                     for name in ("header", "context-text", "codes-text", "status"))


# ------------------------------------------------------------------ the UI, by key presses


def test_keys_toggle_accept_none_and_every_decision_is_stored(ready: Path) -> None:
    work, _ = drive(ready, ["1", "3", "1", "enter",  # seg 1: tick 1, 3, untick 1; next
                            "n",                      # seg 2: none apply
                            "a",                      # seg 3: accept the suggestion
                            "s",                      # seg 4: skip
                            "2", "enter"])            # seg 5: clinical
    assert log(work.store) == [
        (1, "apply", "teaching_skills", "manual"),
        (1, "apply", "self_confidence", "manual"),
        (1, "remove", "teaching_skills", "manual"),
        (2, "reviewed_none", None, "manual"),
        (3, "apply", "teaching_skills", "suggestion"),
        (5, "apply", "clinical_skills", "manual"),
    ]
    codings = work.store.codings("cara")
    assert {s: sorted(c.codes) for s, c in codings.items()} == {
        1: ["self_confidence"], 2: [], 3: ["teaching_skills"], 5: ["clinical_skills"]}
    assert 4 not in codings  # skipped: missing data, not a "no"


def test_undo_appends_the_inverse_and_a_first_decision_becomes_unreviewed(ready: Path
                                                                          ) -> None:
    work, screen = drive(ready, ["1", "u", "n", "u"])
    assert log(work.store) == [
        (1, "apply", "teaching_skills", "manual"),
        (1, "unreview", None, "undo"),
        (1, "reviewed_none", None, "manual"),
        (1, "unreview", None, "undo"),
    ]
    assert work.store.codings("cara") == {}
    assert "segment 1 is unreviewed again" in screen
    assert "segment 1 of 10" in screen  # undo shows the segment it undid


def test_undo_of_a_change_restores_the_earlier_codes(ready: Path) -> None:
    work, _ = drive(ready, ["1", "2", "u"])
    assert log(work.store)[-1] == (1, "remove", "clinical_skills", "undo")
    assert work.store.codings("cara")[1].codes == frozenset({"teaching_skills"})


def test_memo_and_quote_mark_go_to_the_note_log_and_undo_reverts_them(ready: Path) -> None:
    work, screen = drive(ready, ["m", *"ask ben", "enter", "i"])
    assert work.store.notes(NoteKind.MEMO, "cara") == {("cara", 1): "ask ben"}
    assert work.store.notes(NoteKind.QUOTE, "cara") == {("cara", 1): "1"}
    assert "Memo: ask ben" in screen and "QUOTE" in screen
    assert work.store.events("cara") == []  # notes are not coding: still unreviewed
    work, _ = drive(ready, ["u", "u"])  # a new session cannot undo the last one's notes
    assert work.store.notes(NoteKind.QUOTE, "cara") == {("cara", 1): "1"}
    work, _ = drive(ready, ["i", "u", "m", "ctrl+u", "enter"])  # unmark, undo; clear memo
    assert work.store.notes(NoteKind.QUOTE, "cara") == {("cara", 1): "1"}
    assert work.store.notes(NoteKind.MEMO, "cara") == {}


def test_escape_cancels_a_memo(ready: Path) -> None:
    work, _ = drive(ready, ["m", *"draft", "escape"])
    assert work.store.notes(NoteKind.MEMO, "cara") == {}


def test_quit_and_reopen_resumes_where_the_coder_left_off(ready: Path) -> None:
    drive(ready, ["n", "n", "s", "s"])  # decide 1, 2; skip to 5
    work, screen = drive(ready, [])
    assert work.current.id == 5
    assert "segment 5 of 10" in screen
    assert "20% reviewed" in screen


def test_a_new_coder_starts_at_the_first_unreviewed_segment_and_j_jumps(ready: Path) -> None:
    work, _ = drive(ready, ["n", "n", "b", "b", "j"])
    assert work.current.id == 3


def test_find_by_part_of_a_name_and_by_number(ready: Path) -> None:
    work, screen = drive(ready, ["slash", *"confid", "enter", "t", *"2", "enter",
                                 "slash", *"clincal skils", "enter"])  # a typo: fuzzy
    assert [(c, a) for _, a, c, _ in log(work.store)] == [
        ("self_confidence", "apply"), ("clinical_skills", "apply"),
        ("clinical_skills", "remove")]
    work, screen = drive(ready, ["slash", *"zzzz", "enter"])
    assert "No code matches" in screen


def test_suggestions_are_marked_with_evidence_and_not_ticked_by_default(ready: Path) -> None:
    _work, screen = drive(ready, ["s", "s"])  # segment 3: teaching suggested
    lines = screen.splitlines()
    assert "Suggested (S, press a to accept): 1 Teaching and explaining" in lines
    teaching = next(line for line in lines if line.startswith("[ ]  1 Teaching"))
    assert teaching.startswith("[ ]") and " S " in teaching and "explained" in teaching
    assert "» I explained the heart exam to my mentee. «" in screen
    assert "P01: " in screen


def test_preselect_ticks_suggestions_and_enter_records_them(ready: Path) -> None:
    work, screen = drive(ready, ["s", "s"], preselect=True)
    assert "[+]  1 Teaching and explaining" in screen
    assert work.store.events("cara") == []  # a preselection is not a decision
    work, _ = drive(ready, ["enter"], preselect=True)
    assert log(work.store) == [(3, "apply", "teaching_skills", "suggestion")]


def test_blind_by_default_other_coders_are_not_shown(cli, coded_project: Path) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    work, screen = drive(coded_project, ["s", "s"])
    assert "ana" not in screen and "ben" not in screen
    assert work.view().others == {}


def test_filters_by_transcript_code_and_suggested_only(ready: Path) -> None:
    work = session(ready)
    assert work.set_filters(Filters(transcript="FG2")) == 3
    assert work.set_filters(Filters(code="clinical")) == 2  # 6 and 9 suggested
    assert work.set_filters(Filters(suggested_only=True)) == 4
    with pytest.raises(Exception, match="did you mean `FG1`"):
        work.set_filters(Filters(transcript="FG11"))
    work, screen = drive(ready, ["f", *"FG2", "enter"])
    assert "segment 1 of 3" in screen and "filter: transcript FG2" in screen


def test_help_overlay_lists_every_key_and_any_key_closes_it(ready: Path) -> None:
    work = session(ready)

    async def run() -> tuple[str, int]:
        app = TaggingApp(work)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            shown = str(app.screen.query_one("#help").render())
            await pilot.press("n")  # closes the help; does not decide
            await pilot.pause()
            return shown, len(app.screen_stack)

    shown, depth = asyncio.run(run())
    for key in ("1-9", "/ or t", "a ", "n ", "Enter", "s or →", "b or ←", "j ", "u ", "m ",
                "i ", "f ", "? ", "q "):
        assert key in shown
    assert depth == 1
    assert work.store.events("cara") == []


def visible_lines(svg: str) -> list[str]:
    """The text of a Textual SVG screenshot, one string per screen row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>',
                         svg):
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)),
                                                       html.unescape(m.group(3))))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.replace("\xa0", " ").rstrip())
    return lines


def test_fits_80x24_and_says_nothing_by_colour_alone(ready: Path) -> None:
    work = session(ready)

    async def run() -> list[str]:
        app = TaggingApp(work)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("1", "s", "s")
            await pilot.pause()
            return visible_lines(app.export_screenshot())

    lines = asyncio.run(run())
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert lines[0].startswith("cara · FG1 · P01 · segment 3 of 10 · 10% reviewed")
    assert "» I explained the heart exam to my mentee. «" in text  # the segment, marked
    assert any(line.startswith("[ ]  1 Teaching and explaining  S ") for line in lines)
    assert lines[-1].endswith("q quit")  # the whole key line fits


# ------------------------------------------------------------------------- the session


def test_each_decision_is_committed_before_the_method_returns(ready: Path) -> None:
    work = session(ready)
    work.toggle("1")
    other = open_store(ready / "qualkit.db")  # another connection sees it at once
    assert other.codings("cara")[1].codes == frozenset({"teaching_skills"})


def test_renamed_codes_show_under_their_new_id_and_untick_cleanly(ready: Path) -> None:
    work = session(ready)
    work._raw[1] = frozenset({"teaching_old"})  # as if coded before a rename
    work._mapping = {"teaching_old": "teaching_skills"}
    assert work.view().codes[0].ticked
    work.toggle("1")
    assert log(work.store) == [(1, "reviewed_none", None, "manual")]


# ------------------------------------------------------------------- history and coders


def test_history_lists_every_event_with_origin_and_version(cli, ready: Path) -> None:
    drive(ready, ["a"], coder="cara")  # seg 1 has no suggestion: nothing recorded
    drive(ready, ["1", "m", *"why", "enter", "u"], coder="dan")
    result = cli("history", "1", "-p", str(ready))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Segment 1 · FG1 · position 0 · Moderator"
    assert "dan        apply         teaching_skills  (manual · codebook " in lines[1]
    assert "memo          “why”  (note)" in lines[2]
    assert "memo          cleared  (note)" in lines[3]
    data = json.loads(cli("history", "1", "-p", str(ready), "--json").stdout)
    assert [e["action"] for e in data["events"]] == ["apply", "memo", "memo"]
    missing = cli("history", "999", "-p", str(ready))
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: no segment with id 999;")


def test_coders_lists_progress(cli, ready: Path) -> None:
    assert cli("coders", "-p", str(ready)).stdout.startswith("No coders yet")
    drive(ready, ["1", "enter", "n", "n"], coder="cara")
    data = json.loads(cli("coders", "-p", str(ready), "--json").stdout)
    assert len(data) == 1
    row = data[0]
    assert (row["name"], row["segments"], row["reviewed"], row["coded"], row["none_apply"],
            row["decisions"], row["notes"]) == ("cara", 10, 3, 1, 2, 3, 0)
    assert row["last_active"]
    table = cli("coders", "-p", str(ready)).stdout.splitlines()
    assert table[1].startswith("cara") and "3/10" in table[1]


def test_tag_refuses_without_a_terminal(cli, ready: Path) -> None:
    result = cli("tag", "--coder", "cara", "-p", str(ready))
    assert result.exit_code == 2
    assert "needs an interactive terminal" in result.stderr


def test_plus_adds_an_inductive_code_and_applies_it(ready: Path) -> None:
    before = active_codebook(open_store(ready / "qualkit.db"))
    work, screen = drive(ready, ["plus", *"Peer learning", "enter"])
    assert "Added inductive code 4 Peer learning and applied it (saved)" in screen
    assert "4 Peer learning" in screen
    assert log(work.store) == [(1, "apply", "peer_learning", "manual")]
    after = active_codebook(work.store)
    assert before is not None and after is not None and after.version != before.version
    assert after.code("peer_learning").theme_id == "inductive"
    assert (work.store.events("cara")[0].codebook_version == after.version)
    work, screen = drive(ready, ["plus", *"peer learning", "enter"])
    assert "Peer learning is code 4; tick it with its number" in screen


# ---------------------------------------------------------- retraining in the background


class _Learned:
    """A stand-in for a trained learner: suggests clinical_skills at 0.9 everywhere and
    abstains on self_confidence."""

    def __init__(self, decisions: int) -> None:
        self.decisions = decisions
        self.models = dict.fromkeys(("teaching_skills", "clinical_skills", "self_confidence"))

    def suggest(self, segments: Sequence[Segment], coder: str,
                context: Sequence[Segment]) -> list[object]:
        from qualkit.model import LearnedSuggestion

        return [LearnedSuggestion(s.id, "clinical_skills", coder, 0.9, (), ())
                for s in segments]

    def abstaining(self) -> dict[str, str]:
        return {"self_confidence": "needs more examples"}


def _retrainer(ready: Path, train) -> Retrainer:  # type: ignore[no-untyped-def]
    """Every 2 decisions, participants' segments only (as ``qualkit tag`` builds it)."""
    store = open_store(ready / "qualkit.db")
    return Retrainer("cara", store.segments(), 2, train,
                     lambda s: not s.speaker.startswith("Moderator"))


def _gated_trainer(calls: list[dict[int, frozenset[str]]]):
    import threading

    gate = threading.Event()

    def train(reviewed, decisions, every):  # type: ignore[no-untyped-def]
        calls.append({seg: c.codes for seg, c in decisions.items()})
        assert gate.wait(10)
        return _Learned(len(decisions))

    return gate, train


def test_retraining_runs_in_the_background_and_its_model_is_shown_when_ready(
        ready: Path) -> None:
    calls: list[dict[int, frozenset[str]]] = []
    gate, train = _gated_trainer(calls)
    work = session(ready, retrainer=_retrainer(ready, train))
    work.goto(3)  # FG1, P01
    assert work.toggle("1") == "Applied 1 Teaching and explaining (saved)"
    assert calls == [] and not work.retraining  # one decision, one transcript
    work.goto(9)  # FG2, P03
    work.none_apply()  # the second decision, in a second transcript: training starts...
    assert work.retraining
    assert work.poll_model() == ""  # ...and the key press returned while it runs
    assert work.view().codes[1].learned is None
    gate.set()
    work.wait_for_model(10)
    assert calls == [{3: frozenset({"teaching_skills"}), 9: frozenset()}]
    assert work.poll_model() == ("Retrained on your 2 decisions: L marks learned "
                                 "suggestions (2 code(s) learned, 1 need more examples)")
    assert work.poll_model() == ""
    lines = work.view().codes
    assert [line.learned for line in lines] == [None, 0.9, None]
    assert [line.needs_examples for line in lines] == [False, False, True]


def test_moderators_and_single_transcripts_do_not_start_a_training(ready: Path) -> None:
    calls: list[dict[int, frozenset[str]]] = []
    gate, train = _gated_trainer(calls)
    gate.set()
    work = session(ready, retrainer=_retrainer(ready, train))
    work.goto(1)  # a moderator's segment: not a training decision
    work.toggle("1")
    work.goto(3)
    work.toggle("1")
    work.goto(4)
    work.toggle("1")
    assert calls == [] and not work.retraining


def test_the_screen_shows_a_retrained_model_without_a_key_press(ready: Path) -> None:
    calls: list[dict[int, frozenset[str]]] = []
    gate, train = _gated_trainer(calls)
    work = session(ready, retrainer=_retrainer(ready, train))

    async def run() -> str:
        app = TaggingApp(work)
        async with app.run_test(size=(80, 24)) as pilot:
            work.goto(3)
            await pilot.press("1")
            work.goto(9)
            await pilot.press("n")  # starts a training, held until the gate opens
            gate.set()
            work.wait_for_model(10)
            await pilot.pause(1.5)  # the screen looks once a second
            screen = screen_text(app)
            await pilot.press("q")
            await pilot.pause()
        return screen

    screen = asyncio.run(run())
    assert len(calls) == 1
    assert "L 0.90 learned" in screen
    assert "learned from your decisions (L): 2 Clinical skills" in screen
    assert "3 Self-confidence  (learning needs more examples)" in screen
    assert screen.endswith("Retrained on your 2 decisions: L marks learned suggestions "
                           "(2 code(s) learned, 1 need more examples)")


def test_tag_refuses_a_retraining_interval_too_small(cli, ready: Path) -> None:
    result = cli("tag", "--coder", "cara", "-p", str(ready), "--retrain-every", "3")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --retrain-every 3: give 0 (never) or 10 or more (a model retrained "
           "after fewer decisions has learned nothing new)\n")
