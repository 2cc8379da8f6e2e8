"""Finding, reading, saving (atomically) and overriding presets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrain import fsutil, presets
from tuitrain.spec import Experiment


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user preset folder and an empty working directory (so ./presets is ours too)."""
    folder = tmp_path / "user"
    monkeypatch.setenv("TUITRAIN_PRESETS_DIR", str(folder))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return folder


def experiment(name: str = "mine", epochs: int = 3) -> Experiment:
    return Experiment.model_validate({"name": name, "training": {"epochs": epochs}})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["mine", "my-preset_2", "v1.2", "A", "x" * 64])
def test_valid_names(name: str) -> None:
    assert presets.check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a/b",
        "a\\b",
        "../x",
        "..",
        "a..b",
        ".hidden",
        "/etc/passwd",
        "-flag",
        "x" * 65,
        "with space",
        "abc\n",
        "tab\there",
        "nul\x00",
        "ünïcode",
        "mine.toml",
        "mine.YAML",
    ],
)
def test_unsafe_names_are_refused(name: str, user_dir: Path) -> None:
    with pytest.raises(ValueError, match="invalid preset name"):
        presets.check_name(name)
    with pytest.raises(ValueError, match="invalid preset name"):
        presets.save(experiment(), name)
    assert not user_dir.exists() or not any(user_dir.rglob("*"))


# ------------------------------------------------------------------ saving


def test_save_writes_a_loadable_toml_file(user_dir: Path) -> None:
    path = presets.save(experiment(), "mine")
    assert path == (user_dir / "mine.toml").resolve()
    assert presets.load("mine").experiment == experiment()
    assert leftovers(user_dir) == []


def test_save_never_overwrites_silently(user_dir: Path) -> None:
    presets.save(experiment(epochs=3), "mine")
    with pytest.raises(FileExistsError, match="already exists"):
        presets.save(experiment(epochs=9), "mine")
    assert presets.load("mine").experiment.training.epochs == 3
    presets.save(experiment(epochs=9), "mine", overwrite=True)
    assert presets.load("mine").experiment.training.epochs == 9


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_user_preset_never_overwrites_a_builtin(overwrite: bool, user_dir: Path, tmp_path: Path) -> None:
    before = (presets.builtin_dir() / "imdb-seed.toml").read_bytes()
    with pytest.raises(FileExistsError, match="'imdb-seed' is a built-in preset"):
        presets.save(experiment(), "imdb-seed", overwrite=overwrite)
    with pytest.raises(FileExistsError, match="built-in"):
        presets.save(experiment(), "imdb-seed", folder=tmp_path / "elsewhere", overwrite=overwrite)
    assert (presets.builtin_dir() / "imdb-seed.toml").read_bytes() == before
    assert not (user_dir / "imdb-seed.toml").exists()


def test_failed_replace_keeps_the_previous_file(user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = presets.save(experiment(epochs=3), "mine")
    before = path.read_bytes()

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        presets.save(experiment(epochs=9), "mine", overwrite=True)
    assert path.read_bytes() == before
    assert leftovers(user_dir) == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_mid_write_keeps_the_previous_file(
    error: BaseException, user_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write itself dies half-way (disk full, Ctrl+C): the old preset survives, no temp file stays."""
    path = presets.save(experiment(epochs=3), "mine")
    before = path.read_bytes()
    real_open = open

    class HalfWriter:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise error

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

    def half_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        return HalfWriter(fh) if "w" in mode else fh

    monkeypatch.setattr(fsutil, "open", half_open, raising=False)
    with pytest.raises(type(error)):
        presets.save(experiment(epochs=9), "mine", overwrite=True)
    assert path.read_bytes() == before
    assert presets.load("mine").experiment.training.epochs == 3
    assert leftovers(user_dir) == []


def test_failed_first_save_leaves_nothing(user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        presets.save(experiment(), "mine")
    assert list(user_dir.iterdir()) == []


# ------------------------------------------------------------------ finding and listing


def test_find_by_name_and_by_path(user_dir: Path, tmp_path: Path) -> None:
    assert presets.find("mnist-mlp") == presets.builtin_dir() / "mnist-mlp.toml"
    path = presets.save(experiment(), "mine")
    assert presets.find("mine") == user_dir / "mine.toml"
    assert presets.find(str(path)) == path
    with pytest.raises(presets.PresetError, match=r"no preset of that name \(known: .*mnist-mlp.*mine"):
        presets.find("nope")
    with pytest.raises(presets.PresetError, match="file not found"):
        presets.find(str(tmp_path / "missing.toml"))


def test_lookup_order_builtin_then_local_then_user(user_dir: Path) -> None:
    local = Path.cwd() / "presets"
    local.mkdir()
    (local / "shared.toml").write_text('name = "shared"\ndescription = "local"\n')
    user_dir.mkdir()
    (user_dir / "shared.toml").write_text('name = "shared"\ndescription = "user"\n')
    (user_dir / "mnist-mlp.toml").write_text('name = "mnist-mlp"\ndescription = "impostor"\n')
    assert presets.load("shared").experiment.description == "local"
    assert presets.load("mnist-mlp").experiment.description != "impostor"
    infos = {info.name: info for info in presets.list_presets()}
    assert infos["shared"].source == "local"
    assert infos["mnist-mlp"].source == "builtin"
    assert [i.name for i in presets.list_presets()].count("shared") == 1


def test_list_shows_builtins_user_presets_and_broken_ones(user_dir: Path) -> None:
    presets.save(Experiment(name="mine", description="my experiment", dataset={"name": "imdb"}), "mine")
    (user_dir / "broken.toml").write_text("trainig = 1\n")
    (user_dir / ".hidden.toml").write_text("name = 'x'\n")
    (user_dir / "notes.txt").write_text("not a preset")
    infos = {info.name: info for info in presets.list_presets()}
    assert {"imdb-seed", "mnist-mlp", "digits-overfit", "mine", "broken"} <= set(infos)
    assert ".hidden" not in infos and "notes" not in infos
    assert infos["imdb-seed"].source == "builtin" and infos["imdb-seed"].dataset == "imdb"
    assert (infos["mine"].source, infos["mine"].dataset, infos["mine"].description) == ("user", "imdb", "my experiment")
    assert infos["broken"].error == "trainig: unknown field (did you mean 'training'?)"


def test_listed_file_is_the_loaded_one(user_dir: Path) -> None:
    user_dir.mkdir()
    (user_dir / "twin.json").write_text('{"name": "twin", "description": "json"}')
    (user_dir / "twin.toml").write_text('name = "twin"\ndescription = "toml"\n')
    (listed,) = [info for info in presets.list_presets() if info.name == "twin"]
    assert listed.description == presets.load("twin").experiment.description == "toml"


def test_search_dirs_lists_a_folder_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(presets.builtin_dir().resolve().parent)  # ./presets is the built-in folder itself
    sources = [source for source, _ in presets.search_dirs()]
    assert sources == ["builtin", "user"]


def test_user_dir_defaults_to_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUITRAIN_PRESETS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert presets.user_dir() == tmp_path / "tuitrain" / "presets"


# ------------------------------------------------------------------ reading files


def read_error(path: Path) -> str:
    with pytest.raises(presets.PresetError) as info:
        presets.load_file(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_read_errors(tmp_path: Path) -> None:
    assert read_error(tmp_path / "nope.toml").endswith(
        "nope.toml: file not found: check the path or run 'tuitrain presets list'"
    )
    assert read_error(tmp_path).endswith(": is a folder, not a preset file")
    (tmp_path / "e.toml").write_text("")
    assert read_error(tmp_path / "e.toml").endswith(
        "e.toml: the file is empty: a preset needs at least a name and a [dataset]"
    )


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text('description = "' + "x" * 1_100_000 + '"\n')
    assert read_error(path) == f"{path}: file is 1.1 MB; a preset is at most 1 MB of text"


def test_special_files_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert read_error(fifo) == f"{fifo}: not a regular file"  # reading would block forever


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.toml"
    path.write_text('name = "x"\n')
    path.chmod(0)
    assert read_error(path) == f"{path}: can't read the file: Permission denied"


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "bom"\n')
    assert presets.load_file(path).experiment.name == "bom"
    json_path = tmp_path / "bom.json"
    json_path.write_bytes(b'\xef\xbb\xbf{"name": "bom"}')
    assert presets.load_file(json_path).experiment.name == "bom"


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000, "invalid TOML: nested too deeply"),
        ("inf.json", '{"huber_delta": 1e999}', "huber_delta: must be a finite number (not nan or inf)"),
        ("inf.json", '{"huber_delta": Infinity}', "invalid JSON: Infinity is not a number a preset may hold"),
        ("multi.yaml", "a: 1\n---\nb: 2\n", "invalid YAML at line 2, column 1: "),
        ("scalar.yaml", "just text\n", "the top level must be a table of settings, got str"),
        ("dup.toml", "a = 1\na = 2\n", "invalid TOML: "),
    ],
)
def test_parse_errors_are_one_line(filename: str, text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / filename
    path.write_text(text)
    assert read_error(path).startswith(f"{path}: {expected}")


# ------------------------------------------------------------------ --set overrides


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("training.epochs=5", ["training", "epochs"], 5),
        ("training.epochs = 5", ["training", "epochs"], 5),
        ("optimizer.learning_rate=1e-3", ["optimizer", "learning_rate"], 0.001),
        ("training.shuffle=false", ["training", "shuffle"], False),
        ("optimizer.name=adam", ["optimizer", "name"], "adam"),
        ('name="a=b"', ["name"], "a=b"),
        ("description=two words", ["description"], "two words"),
        ("model.layers[1].rate=0.25", ["model", "layers", 1, "rate"], 0.25),
        ("model.layers[0]={kind='dropout', rate=0.1}", ["model", "layers", 0], {"kind": "dropout", "rate": 0.1}),
        ("metrics=['accuracy', 'auc']", ["metrics"], ["accuracy", "auc"]),
        ("training.epochs=", ["training", "epochs"], ""),
    ],
)
def test_parse_override(text: str, path: list[Any], value: Any) -> None:
    assert presets.parse_override(text) == (path, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("training.epochs", "expected key.path=value, e.g. training.epochs=5"),
        ("=5", "expected key.path=value"),
        ("training..epochs=5", "'' is not a valid key"),
        ("model.layers[x].units=5", "'layers[x]' is not a valid key"),
        ("model.layers[-1].units=5", "'layers[-1]' is not a valid key"),
        ("1abc=5", "'1abc' is not a valid key"),
        ("huber_delta=nan", "the value must be a finite number"),
        ("huber_delta=inf", "the value must be a finite number"),
        ("training.epochs=3\nname = 'x'", "the value must be a single TOML value"),
    ],
)
def test_bad_override_syntax(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        presets.parse_override(text)


def test_apply_overrides_creates_tables_and_copies() -> None:
    data: dict[str, Any] = {"model": {"layers": [{"kind": "dense", "units": 4}]}}
    out = presets.apply_overrides(data, ["training.epochs=2", "model.layers[0].units=8", "early_stopping.enabled=true"])
    assert out == {
        "model": {"layers": [{"kind": "dense", "units": 8}]},
        "training": {"epochs": 2},
        "early_stopping": {"enabled": True},
    }
    assert data["model"]["layers"][0]["units"] == 4, "the input is not changed"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.layers[3].units=8", "--set: model.layers[3]: no such list item"),
        ("model.layers[0].units[0]=8", "--set: model.layers[0].units[0]: no such list item"),
        ("training[0]=1", "--set: training[0]: no such list item"),
        (
            "model.layers.units=8",
            "--set: model.layers: is a list: pick an item by its index, e.g. model.layers[0].units",
        ),
        ("metrics[0].x=1", "--set: metrics[0]: is 'accuracy', not a table with a 'x' field"),
        ("model=", None),
    ],
)
def test_apply_overrides_errors(override: str, message: str | None) -> None:
    data = {"model": {"layers": [{"kind": "dense"}]}, "training": {"epochs": 1}, "metrics": ["accuracy"]}
    if message is None:  # replacing a table by a value is allowed here; validation reports it later
        assert presets.apply_overrides(data, [override])["model"] == ""
        return
    with pytest.raises(presets.PresetError) as info:
        presets.apply_overrides(data, [override])
    assert str(info.value) == message


def test_load_with_overrides_validates_the_result(user_dir: Path) -> None:
    loaded = presets.load("imdb-seed", ["training.epochs=3", "model.layers[1].units=32", "optimizer.name=adam"])
    exp = loaded.experiment
    assert (exp.training.epochs, exp.model.layers[1].units, exp.optimizer.name) == (3, 32, "adam")
    assert loaded.check.params is not None and loaded.check.params.total == 10_000 * 16 + 16 + 16 * 32 + 32 + 33
    with pytest.raises(presets.PresetError) as info:
        presets.load("imdb-seed", ["training.epochs=many"])
    assert str(info.value) == "--set training.epochs=many: training.epochs: must be a whole number, got 'many'"
    with pytest.raises(presets.PresetError, match="loss: binary crossentropy needs two classes"):
        # A whole table can be replaced: switching the dataset drops imdb's num_words with it.
        presets.load("imdb-seed", ["dataset={name='mnist'}", "model.output={}"])


def test_override_on_a_file_with_dates_works(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text("name = 2024-01-01\n")
    loaded = presets.load_file(path, ['name="fixed"'])
    assert loaded.experiment.name == "fixed"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    suffix=st.sampled_from([".toml", ".json", ".yaml", ".yml", ".txt"]),
)
def test_any_file_content_loads_or_gives_one_line_errors(content: bytes, suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    try:
        presets.load_file(path)
    except presets.PresetError as exc:
        assert exc.issues
        assert all("\n" not in str(issue) for issue in exc.issues)
