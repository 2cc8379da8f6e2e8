"""``tuitrain presets ...`` through typer's CliRunner, with isolated user and ./presets folders."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tuitrain import presets
from tuitrain.cli import app
from tuitrain.spec import Experiment

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "data" / "good_presets"


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-presets"
    monkeypatch.setenv("TUITRAIN_PRESETS_DIR", str(folder))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return folder


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, ["presets", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def rows(output: str) -> dict[str, list[str]]:
    """First line of each table row, split on runs of spaces, by preset name."""
    out: dict[str, list[str]] = {}
    for line in output.splitlines():
        cells = [c for c in line.split("  ") if c.strip()]
        if cells and cells[0].strip() not in out:
            out[cells[0].strip()] = [c.strip() for c in cells]
    return out


# ------------------------------------------------------------------ list


def test_list_shows_builtin_local_and_user_presets(user_dir: Path) -> None:
    presets.save(Experiment(name="mine", description="Mine", dataset={"name": "imdb"}), "mine")
    local = Path.cwd() / "presets"
    local.mkdir()
    (local / "team.toml").write_text('name = "team"\ndescription = "Shared [bold]work[/] here"\n')
    (user_dir / "broken.toml").write_text("[training]\nepochs = 'x'\n")
    result = run("list")
    assert result.exit_code == 0
    table = rows(result.stdout)
    assert table["name"][:4] == ["name", "source", "dataset", "description"]
    assert table["imdb-seed"][:3] == ["imdb-seed", "builtin", "imdb"]
    assert table["imdb-seed"][3].startswith("The classic")
    assert table["digits-overfit"][:3] == ["digits-overfit", "builtin", "digits"]
    assert table["mine"] == ["mine", "user", "imdb", "Mine"]
    # Brackets in user text are shown as written, not read as rich markup.
    assert table["team"][:3] == ["team", "local", "digits"]
    assert "Shared [bold]work[/]" in result.stdout
    assert table["broken"][:3] == ["broken", "user", "?"]
    assert table["broken"][3].startswith("[broken] training.epochs:")


# ------------------------------------------------------------------ show


def test_show_prints_resolved_toml_with_parameter_count(user_dir: Path) -> None:
    result = run("show", "imdb-seed")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"# {presets.builtin_dir() / 'imdb-seed.toml'}"
    assert lines[1] == "# parameters: 160,305 (160,305 trainable); output layer: Dense 1 sigmoid"
    shown = Experiment.model_validate(tomllib.loads(result.stdout))
    assert shown == presets.load("imdb-seed").experiment
    # Resolved: defaults are written out, so the file says everything a run will use.
    assert "[training.reduce_lr_on_plateau]" in result.stdout
    assert 'metrics = [\n    "accuracy",\n]' in result.stdout


def test_show_fills_in_the_derived_output_layer(user_dir: Path) -> None:
    result = run("show", "digits-mlp")
    assert result.exit_code == 0
    shown = tomllib.loads(result.stdout)
    assert shown["model"]["output"] == {"units": 10, "activation": "softmax"}
    assert "# parameters: 4,810 (4,810 trainable); output layer: Dense 10 softmax" in result.stdout


def test_show_with_overrides_and_warnings(user_dir: Path) -> None:
    result = run("show", "mnist-mlp", "--set", "optimizer.learning_rate=0.5", "-s", "training.epochs=2")
    assert result.exit_code == 0
    assert "# warning: optimizer.learning_rate: learning rate 0.5 is very high for rmsprop" in result.stdout
    shown = tomllib.loads(result.stdout)
    assert (shown["optimizer"]["learning_rate"], shown["training"]["epochs"]) == (0.5, 2)


def test_show_a_file_path(user_dir: Path) -> None:
    result = run("show", str(GOOD / "imdb_piecewise.yaml"))
    assert result.exit_code == 0
    assert tomllib.loads(result.stdout)["name"] == "imdb-piecewise"


def test_show_unknown_preset_fails_in_one_line(user_dir: Path) -> None:
    result = run("show", "nope")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("tuitrain: nope: no preset of that name (known: digits-mlp, ")


def test_show_bad_override_fails(user_dir: Path) -> None:
    result = run("show", "imdb-seed", "--set", "training.epochs")
    assert result.exit_code == 1
    assert "expected key.path=value, e.g. training.epochs=5" in result.stderr


# ------------------------------------------------------------------ validate


def test_validate_ok_files(user_dir: Path) -> None:
    files = [str(GOOD / "digits_cosine_warmup.json"), str(presets.builtin_dir() / "imdb-seed.toml")]
    result = run("validate", *files)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"{f}: ok" for f in files]
    assert result.stderr == ""


def test_validate_shows_warnings_of_valid_files(user_dir: Path) -> None:
    path = str(GOOD / "fashion_rmsprop_huber.toml")
    result = run("validate", path)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{path}: ok",
        f"{path}: warning: loss: huber on a classification task learns more slowly than crossentropy, whose "
        "gradient stays large when the model is confidently wrong",
    ]


def test_validate_lists_every_problem_of_every_file(user_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[training]\nepochs = 0\nshuffle = 1\n\n[[model.layers]]\nkind = 'dense'\n\n"
        "[[model.layers]]\nkind = 'dropout'\nrate = 1.5\n"
    )
    good = GOOD / "mnist_every_option.toml"
    result = run("validate", str(bad), str(good))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{good}: ok"]
    assert result.stderr.splitlines() == [
        f"{bad}: model.layers[1].rate: dropout rate must be in [0, 1), got 1.5",
        f"{bad}: training.epochs: must be >= 1, got 0",
        f"{bad}: training.shuffle: must be true or false, got 1",
    ]


def test_validate_reports_cross_field_errors(user_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bce.toml"
    bad.write_text('loss = "binary_crossentropy"\n[dataset]\nname = "mnist"\n')
    result = run("validate", str(bad))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{bad}: loss: binary crossentropy needs two classes, but mnist has 10: use "
        "sparse_categorical_crossentropy (integer labels) or categorical_crossentropy\n"
    )


def test_validate_missing_file(user_dir: Path) -> None:
    result = run("validate", "missing.toml")
    assert result.exit_code == 1
    assert result.stderr == "missing.toml: file not found: check the path or run 'tuitrain presets list'\n"


def test_validate_does_not_read_emoji_codes_or_markup(user_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text('loss = ":thumbs_up: [bold]"\n')
    result = run("validate", str(bad))
    assert "got ':thumbs_up: [bold]'" in result.stderr


# ------------------------------------------------------------------ schema


def test_schema_is_json_schema(user_dir: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "tuitrain experiment preset"
    assert {"name", "dataset", "model", "optimizer", "loss", "training", "early_stopping"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    # Field descriptions travel with the schema, so editors show them as help.
    assert "Keras names it" in json.dumps(schema["$defs"]["EarlyStoppingSpec"])


# ------------------------------------------------------------------ new


def test_new_writes_a_user_preset(user_dir: Path) -> None:
    result = run(
        "new", "my-imdb", "--from", "imdb-seed", "--set", "training.epochs=4", "--set", "model.layers[0].units=8"
    )
    assert result.exit_code == 0, result.output
    path = user_dir / "my-imdb.toml"
    assert result.stdout.strip() == f"saved {path.resolve()}"
    exp = presets.load_file(path).experiment
    assert exp.name == "my-imdb"
    assert (exp.training.epochs, exp.model.layers[0].units) == (4, 8)
    assert exp.dataset.name == "imdb"
    # It is listed and found by name from now on.
    assert presets.load("my-imdb").experiment == exp
    assert "my-imdb" in rows(run("list").stdout)


def test_new_defaults_to_digits_mlp_and_takes_a_folder(user_dir: Path, tmp_path: Path) -> None:
    result = run("new", "quick", "--dir", str(tmp_path / "here"))
    assert result.exit_code == 0
    exp = presets.load_file(tmp_path / "here" / "quick.toml").experiment
    assert exp.dataset.name == "digits" and exp.name == "quick"


def test_new_refuses_builtin_names(user_dir: Path) -> None:
    for args in (["imdb-seed"], ["imdb-seed", "--force"]):
        result = run("new", *args)
        assert result.exit_code == 1
        assert result.stderr == "tuitrain: 'imdb-seed' is a built-in preset: save under another name\n"
    assert not (user_dir / "imdb-seed.toml").exists()


def test_new_refuses_existing_names_without_force(user_dir: Path) -> None:
    assert run("new", "mine", "--set", "training.epochs=2").exit_code == 0
    result = run("new", "mine", "--set", "training.epochs=7")
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "(--force overwrites it)" in result.stderr
    assert presets.load("mine").experiment.training.epochs == 2
    assert run("new", "mine", "--set", "training.epochs=7", "--force").exit_code == 0
    assert presets.load("mine").experiment.training.epochs == 7


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 65])
def test_new_refuses_unsafe_names(name: str, user_dir: Path, tmp_path: Path) -> None:
    result = run("new", name)
    assert result.exit_code == 1
    assert result.stderr.startswith("tuitrain: invalid preset name")
    assert not user_dir.exists()
    assert not (tmp_path / "escape.toml").exists()


def test_new_with_an_invalid_result_writes_nothing(user_dir: Path) -> None:
    result = run("new", "bad", "--set", "model.layers[0].units=0")
    assert result.exit_code == 1
    assert result.stderr == "tuitrain: --set model.layers[0].units=0: model.layers[0].units: must be >= 1, got 0\n"
    assert not (user_dir / "bad.toml").exists()


def test_new_from_a_missing_preset(user_dir: Path) -> None:
    result = run("new", "x", "--from", "nope")
    assert result.exit_code == 1
    assert "tuitrain: nope: no preset of that name" in result.stderr


def test_help_describes_the_commands(user_dir: Path) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("list", "show", "validate", "schema", "new"):
        assert command in result.stdout


def test_list_names_the_user_presets_folder(user_dir: Path) -> None:
    result = run("list")
    assert f"user presets: {user_dir} (created by the first save)" in result.stdout
    presets.save(Experiment(name="mine"), "mine")
    assert f"user presets: {user_dir};" in run("list").stdout
