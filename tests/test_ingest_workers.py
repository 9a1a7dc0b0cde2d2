"""Import with a worker process cutting segments: the same result, findings and errors as
without one, and a failed worker costs time, never the import."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from qualkit.ingest import reader
from qualkit.ingest.importer import import_transcripts
from qualkit.model import Unit
from qualkit.project import find, init

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
SAMPLE = Path(__file__).parent.parent / "transcripts"

needs_fork = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="worker processes are forked; elsewhere import reads in-process")


def _study(tmp_path: Path, name: str, *files: Path) -> Path:
    root = tmp_path / name
    (root / "transcripts").mkdir(parents=True)
    for path in files:
        shutil.copy(path, root / "transcripts" / path.name)
    init(root)
    return root


def _snapshot(root: Path) -> tuple[object, ...]:
    store = find(root).open_store()
    transcripts = sorted((t.name, t.text, t.sha256) for t in store.transcripts())
    turns = sorted((t.transcript_id, t.index, t.speaker, t.start, t.end, t.timestamp)
                   for tr in store.transcripts() for t in store.turns(tr.id))
    segments = [(s.transcript_id, s.turn_index, s.index, s.start, s.end, s.speaker, s.text)
                for s in store.segments()]
    return transcripts, turns, segments, sorted(store.participants())


def _import(root: Path, **options: object) -> object:
    project = find(root)
    with project.open_store() as store:
        return import_transcripts(store, project, ner=None, **options)  # type: ignore[arg-type]


@pytest.fixture
def sample() -> list[Path]:
    return [*sorted(SAMPLE.glob("*.txt")), SAMPLE / "participants.csv"]


@needs_fork
@pytest.mark.parametrize("unit", [Unit.SENTENCE, Unit.TURN])
@pytest.mark.parametrize("behind", [10**6, 1])  # the worker cuts every file; some
def test_a_worker_stores_exactly_what_the_importing_process_does(
        tmp_path: Path, sample: list[Path], unit: Unit, behind: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _study(tmp_path, "alone", *sample)
    helped = _study(tmp_path, "helped", *sample)
    first = _import(alone, unit=unit, workers=0)
    cut = []
    real = reader.Reader._send
    monkeypatch.setattr(reader.Reader, "_send",
                        lambda self, got: cut.append(1) or real(self, got))
    monkeypatch.setattr(reader, "BEHIND", behind)
    second = _import(helped, unit=unit, workers=1)
    if behind > len(sample):
        assert len(cut) == len(sample) - 1  # every transcript went to the worker
    else:  # the first file always goes; the others as the worker keeps up
        assert len(cut) >= 1
    assert first == second
    assert first.segments > 0 and len(first.added) == len(sample) - 1  # type: ignore[attr-defined]
    assert _snapshot(alone) == _snapshot(helped)


@needs_fork
def test_a_bad_file_gives_the_same_one_line_error_and_stores_nothing(
        tmp_path: Path, sample: list[Path], cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # The bad file comes after files the worker has already cut.
    bad = tmp_path / "FG9.vtt"
    shutil.copy(FIXTURES / "broken.vtt", bad)
    errors = []
    for workers in (0, 1):
        root = _study(tmp_path, f"w{workers}", *sample, bad)
        monkeypatch.setattr(reader, "MIN_FILES", 1 if workers else 10_000)
        monkeypatch.setattr(reader, "MIN_BYTES", 0)
        monkeypatch.setattr(reader, "cpus", lambda: 2)
        result = cli("import", "-p", str(root), "--no-ner")
        assert result.exit_code == 2
        assert find(root).open_store().transcripts() == []
        errors.append(result.stderr.replace(str(root), "ROOT"))
    assert errors[0] == errors[1]
    assert errors[0] == ("Error: ROOT/transcripts/FG9.vtt:8: broken cue timing; expected "
                         "`00:00:01.000 --> 00:00:04.000`\n")


@needs_fork
def test_privacy_findings_are_the_same_with_a_worker(tmp_path: Path, sample: list[Path],
                                                     cli, monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    outputs = []
    for workers in (0, 1):
        root = _study(tmp_path, f"w{workers}", *sample[:2], FIXTURES / "with_pii.txt",
                      *sample[2:])
        monkeypatch.setattr(reader, "MIN_FILES", 1 if workers else 10_000)
        monkeypatch.setattr(reader, "MIN_BYTES", 0)
        monkeypatch.setattr(reader, "cpus", lambda: 2)
        result = cli("import", "-p", str(root), "--no-ner")
        assert result.exit_code == 1
        assert find(root).open_store().transcripts() == []
        outputs.append(result.stderr)
    assert outputs[0] == outputs[1]
    assert "with_pii.txt:3:29: an e-mail address" in outputs[0]


def _die(text: str, turns: list[object], context: object) -> list[object]:
    os._exit(3)  # a worker killed mid-file


def _fail(text: str, turns: list[object], context: object) -> list[object]:
    raise RuntimeError("a bug in the worker")


@needs_fork
@pytest.mark.parametrize("failure", [_die, _fail])
def test_a_failed_worker_costs_time_not_the_import(
        tmp_path: Path, sample: list[Path], monkeypatch: pytest.MonkeyPatch,
        failure: object, caplog: pytest.LogCaptureFixture) -> None:
    alone = _study(tmp_path, "alone", *sample)
    _import(alone, workers=0)
    helped = _study(tmp_path, "helped", *sample)
    monkeypatch.setattr(reader, "_cut", failure)  # forked workers inherit it
    with caplog.at_level(logging.INFO, logger="qualkit.ingest.reader"):
        _import(helped, workers=1)
    assert caplog.text.count("segmenting in this process") == 1
    assert _snapshot(alone) == _snapshot(helped)


def test_small_imports_and_single_cores_read_in_process(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(reader, "cpus", lambda: 2)
    assert reader.workers_for(3, 10**9) == 0
    assert reader.workers_for(100, 10_000) == 0
    assert reader.workers_for(100, 10**9) == 1
    monkeypatch.setattr(reader, "cpus", lambda: 1)
    assert reader.workers_for(100, 10**9) == 0


def test_without_fork_the_import_reads_in_process(tmp_path: Path, sample: list[Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _study(tmp_path, "alone", *sample)
    _import(alone, workers=0)
    helped = _study(tmp_path, "helped", *sample)
    monkeypatch.setattr(reader.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    created = []
    monkeypatch.setattr(reader, "_Worker",
                        lambda *a, **k: created.append(1))  # must not be reached
    _import(helped, workers=1)
    assert not created
    assert _snapshot(alone) == _snapshot(helped)


@needs_fork
def test_a_missing_spacy_model_gives_the_same_error_with_a_worker(
        tmp_path: Path, sample: list[Path]) -> None:
    from qualkit.errors import QualkitError

    messages = []
    for workers in (0, 1):
        root = _study(tmp_path, f"w{workers}", *sample)
        with pytest.raises(QualkitError) as raised:
            _import(root, workers=workers, spacy_model="xx_no_such_pipeline")
        messages.append(str(raised.value))
        assert find(root).open_store().transcripts() == []
    assert messages[0] == messages[1]
    assert "xx_no_such_pipeline" in messages[0]


@needs_fork
@pytest.mark.parametrize(("idle_ticks", "started"), [(100, True), (5, False)])
def test_the_worker_starts_only_when_the_machine_has_a_core_to_spare(
        tmp_path: Path, sample: list[Path], monkeypatch: pytest.MonkeyPatch,
        idle_ticks: int, started: bool) -> None:
    alone = _study(tmp_path, "alone", *sample)
    _import(alone, workers=0)
    helped = _study(tmp_path, "helped", *sample)
    monkeypatch.setattr(reader, "MIN_FILES", 1)
    monkeypatch.setattr(reader, "MIN_BYTES", 0)
    monkeypatch.setattr(reader, "cpus", lambda: 2)
    monkeypatch.setattr(reader.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(reader, "PROBE_SECONDS", 0.0)
    # (idle, total) ticks: the second reading is 200 ticks of two cores later.
    readings = iter([(1000, 10_000), (1000 + idle_ticks, 10_200)])
    monkeypatch.setattr(reader, "_cpu_ticks", lambda: next(readings, (0, 0)))
    starts = []
    real = reader.Reader._start
    monkeypatch.setattr(reader.Reader, "_start",
                        lambda self: starts.append(1) or real(self))
    _import(helped)  # the size decides, then the probe
    assert bool(starts) is started
    assert _snapshot(alone) == _snapshot(helped)
