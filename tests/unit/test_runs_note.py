"""A run's note file: written atomically, read safely (missing, huge, broken or odd content is an empty note)."""

from __future__ import annotations

import json
from pathlib import Path

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs.note import MAX_NOTE_BYTES, MAX_NOTE_TEXT, RunNote, make_note, read_note, write_note


def test_round_trip_and_empty_note_removes_the_file(tmp_path: Path) -> None:
    write_note(tmp_path, make_note("tried sgd\nwith momentum", "#base, sgd base"))
    assert read_note(tmp_path) == RunNote("tried sgd with momentum", ("base", "sgd"))
    assert read_note(tmp_path).label() == "#base #sgd tried sgd with momentum"
    assert [p.name for p in tmp_path.iterdir()] == ["note.json"]  # no temp file left behind
    write_note(tmp_path, RunNote())
    assert not (tmp_path / "note.json").exists() and read_note(tmp_path) == RunNote()


def test_damaged_or_hostile_note_files_read_as_empty_or_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "note.json"
    for content in (b"{broken", b"[1, 2]", b"\xff\xfe", b'{"text": 5, "tags": "x"}', b"x" * (MAX_NOTE_BYTES + 1)):
        path.write_bytes(content)
        assert read_note(tmp_path) == RunNote()
    path.write_text(json.dumps({"text": "a\x1b[31mred\x07" + "y" * 1000, "tags": ["ok", "../../x", "[b]", 7]}))
    note = read_note(tmp_path)
    assert "\x1b" not in note.text and "\x07" not in note.text and len(note.text) <= MAX_NOTE_TEXT
    assert note.tags == ("ok", "x", "b", "7")
    path.unlink()
    path.mkdir()
    assert read_note(tmp_path) == RunNote()


def test_the_local_source_lists_a_new_note(tmp_path: Path) -> None:
    run = tmp_path / "20261130-100000-a"
    run.mkdir()
    (run / "experiment.toml").write_text('name = "a"\n')
    source = LocalRunsSource(tmp_path)
    assert source.list()[0].note == RunNote()
    source.set_note(run, make_note("keep", ["best"]))
    assert source.list()[0].note == RunNote("keep", ("best",))
