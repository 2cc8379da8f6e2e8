"""Text from files reaches the terminal as text (issue 9): control characters escaped, markup shown literally."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from tuitrain import presets
from tuitrain.cli import app
from tuitrain.runs import EventWriter, FlagRaised, RunFailed, RunPaths, RunStarted, RunStatus, last_error, write_status
from tuitrain.text import identifier, printable, printable_lines

HOSTILE = "[bold red]x[/] \x1b]0;pwned\x07\x1b[2J\x1b[31m \u202e gnp.exe \x9b6n \x07\r"
"""Markup, an OSC title change, a screen clear, a colour, a bidi override, a C1 CSI, a bell, a CR."""
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\r")


def assert_safe(text: str) -> None:
    assert not any(ch in text for ch in RAW), repr(text)
    assert "[bold red]x[/]" in text  # markup is shown as it is, not interpreted


def test_printable_escapes_every_control_character_and_keeps_text() -> None:
    assert printable("größe 🚀 日本語 a\\b") == "größe 🚀 日本語 a\\b"
    assert printable("\x1b[2J\x07\u202e\x85\x7f") == "\\x1b[2J\\x07\\u202e\\x85\\x7f"
    assert printable_lines("two\nlines\tand\x1b") == "two\nlines\tand\\x1b"
    assert printable("a\nb") == "a\\x0ab"
    assert identifier("-größe 🚀") == "grosse" and identifier("日本語") == "model"


@pytest.fixture
def hostile_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "evil.toml").write_text(
        tomli_w.dumps({"name": "evil", "description": HOSTILE, "dataset": {"name": "digits"}})
    )
    (folder / "b\x1b[31mad.toml").write_text('name = "x"\n[dataset]\nname = "nope"\n')
    monkeypatch.setenv("TUITRAIN_PRESETS_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def test_presets_list_show_and_validate_print_hostile_text_literally(hostile_presets: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["presets", "list"], env={"COLUMNS": "300"})
    assert listed.exit_code == 0
    assert_safe(listed.output)
    assert "b\\x1b[31mad" in listed.output  # the broken preset's file name, escaped
    shown = runner.invoke(app, ["presets", "show", str(hostile_presets / "evil.toml")])
    assert shown.exit_code == 0 and not any(ch in shown.output for ch in RAW)
    assert presets.load_file(hostile_presets / "evil.toml").experiment.description == HOSTILE  # round trip kept
    checked = runner.invoke(app, ["presets", "validate", str(hostile_presets / "b\x1b[31mad.toml")])
    assert checked.exit_code == 1 and "\x1b" not in checked.output and "b\\x1b[31mad.toml" in checked.output


def _hostile_run(root: Path) -> Path:
    run = root / f"r{HOSTILE[:6]}run"  # a folder name with markup and an escape sequence
    run.mkdir(parents=True)
    paths = RunPaths(run)
    paths.experiment.write_text(f'name = "ok"\ndescription = {json.dumps(HOSTILE)}\n[dataset]\nname = "digits"\n')
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                run_id=run.name, experiment_name=HOSTILE, device=HOSTILE, device_kind="cpu", params_total=1,
                params_trainable=1, pid=999_999_999, epochs=3, steps_per_epoch=1, train_samples=1, val_samples=1,
            )
        )  # fmt: skip
        writer.write(FlagRaised(epoch=1, criterion=HOSTILE, severity="warning", message=HOSTILE))
        writer.write(RunFailed(status="failed", error=HOSTILE))
    write_status(paths, RunStatus(state="failed", message=HOSTILE))
    paths.trainer_log.write_text(f"starting\n{HOSTILE}\n")
    return run


def test_runs_list_and_show_print_hostile_run_files_literally(tmp_path: Path) -> None:
    run = _hostile_run(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "\x1b" not in listed.output and "r[bold" in listed.output
    shown = runner.invoke(app, ["runs", "show", run.name, "--runs-dir", str(tmp_path)])
    assert shown.exit_code == 0
    assert_safe(shown.output)
    assert "\\x1b]0;pwned" in shown.output


def test_errors_and_trainer_output_are_escaped(tmp_path: Path) -> None:
    run = _hostile_run(tmp_path)
    write_status(run, RunStatus(state="running", pid=999_999_999))
    (RunPaths(run).events).write_text("")  # no final event: the crash reason quotes the trainer's output
    reason = last_error(run) or ""
    assert "its last output" in reason and not any(ch in reason for ch in RAW)
    result = CliRunner().invoke(app, ["runs", "delete", f"{HOSTILE}/x", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 1 and not any(ch in result.output for ch in RAW)


def test_the_trainers_log_lines_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuitrain.engine.record import RunRecorder

    run = tmp_path / "run"
    run.mkdir()
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    recorder = RunRecorder(run)
    recorder.log(f"tuitrain trainer pid {os.getpid()}: {HOSTILE}")
    recorder.close()
    assert not any(ch in out.getvalue() for ch in RAW) and "\\x1b]0;pwned" in out.getvalue()


def test_names_with_control_characters_are_refused_printable_names_are_kept() -> None:
    with pytest.raises(presets.PresetError, match="control character"):
        presets.experiment_from_data({"name": "bad\x1b[2Jname"})
    with pytest.raises(presets.PresetError, match="must not be blank"):
        presets.experiment_from_data({"name": "   "})
    for name in ("größe", "-lead", "🚀", "日本語 run"):
        assert presets.experiment_from_data({"name": name}).name == name
