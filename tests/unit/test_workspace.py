"""The rules the dashboard and the CLI share about presets and folders (tuitrain.workspace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain import presets, workspace


def test_the_default_preset_opens_for_editing() -> None:
    assert workspace.default_experiment() == workspace.read_for_editing(presets.find(workspace.DEFAULT_PRESET))


def test_a_preset_failing_only_cross_field_checks_opens_for_editing(tmp_path: Path) -> None:
    path = tmp_path / "bce.toml"
    path.write_text('name = "bce"\nloss = "binary_crossentropy"\n[dataset]\nname = "digits"\n')
    with pytest.raises(presets.PresetError):
        presets.load_file(path)
    assert workspace.read_for_editing(path).loss == "binary_crossentropy"
    (tmp_path / "broken.toml").write_text("name = \n")
    with pytest.raises(presets.PresetError):
        workspace.read_for_editing(tmp_path / "broken.toml")


def test_preset_source_names_the_folder_a_preset_lives_in(tmp_path: Path) -> None:
    assert workspace.preset_source(presets.find(workspace.DEFAULT_PRESET)) == "builtin"
    saved = presets.save(workspace.default_experiment(), "mine")
    assert workspace.preset_source(saved) == "user"
    elsewhere = tmp_path / "x.toml"
    elsewhere.write_text('name = "x"\n')
    assert workspace.preset_source(elsewhere) == "file"


def test_preset_name_problem() -> None:
    assert workspace.preset_name_problem("my-preset") is None
    assert "built-in" in (workspace.preset_name_problem(workspace.DEFAULT_PRESET) or "")
    assert workspace.preset_name_problem("../escape")
    assert workspace.preset_name_problem("")


def test_relative_data_is_read_from_the_presets_folder_except_for_builtins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert workspace.relative_data_base(tmp_path / "p" / "mine.toml", "file") == tmp_path / "p"
    assert workspace.relative_data_base(tmp_path / "p" / "mine.toml", "user") == tmp_path / "p"
    assert workspace.relative_data_base(presets.find(workspace.DEFAULT_PRESET), "builtin") == tmp_path
    assert workspace.relative_data_base(None, None) == tmp_path


def test_data_dir_option_then_environment(tmp_path: Path, monkeypatch) -> None:
    assert workspace.data_dir(None) is None
    monkeypatch.setenv("TUITRAIN_DATA", str(tmp_path / "env"))
    assert workspace.data_dir(None) == tmp_path / "env"
    assert workspace.data_dir(tmp_path / "opt") == tmp_path / "opt"
