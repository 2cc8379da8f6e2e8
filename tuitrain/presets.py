"""Find, load, validate and save experiment presets (TOML; JSON and YAML load too)."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import ValidationError

from tuitrain.fsutil import atomic_write_text, os_error_text, read_regular
from tuitrain.spec import Experiment
from tuitrain.spec.checks import CheckResult, check_experiment
from tuitrain.spec.errors import SpecIssue, issues_from_validation_error, quote_key
from tuitrain.text import toml_printable

MAX_PRESET_BYTES = 1_000_000
PRESET_SUFFIXES = (".toml", ".json", ".yaml", ".yml")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PresetSource = Literal["builtin", "local", "user"]


class PresetError(Exception):
    """A preset that can't be used; ``issues`` holds every problem, ``str()`` is one line per problem.

    ``sources`` names, per issue, what is to blame: the preset's file, or the ``--set`` option that
    put the bad value there (default: ``source`` for every issue).
    """

    def __init__(self, source: str, issues: list[SpecIssue], sources: list[str] | None = None):
        self.source = source
        self.issues = issues
        self.sources = list(sources) if sources is not None else [source] * len(issues)
        super().__init__("\n".join(self.lines()))

    def line(self, index: int) -> str:
        """Issue ``index`` as ``source: path: message``."""
        return f"{self.sources[index]}: {self.issues[index]}"

    def lines(self) -> list[str]:
        """Every issue as ``source: path: message``."""
        return [self.line(i) for i in range(len(self.issues))]


@dataclass(frozen=True)
class PresetInfo:
    """A preset as listed: where it is and what it trains, or why it is broken."""

    name: str
    source: PresetSource
    path: Path
    dataset: str = "?"
    description: str = ""
    error: str | None = None


@dataclass
class LoadedPreset:
    """A validated experiment, the file it came from, and its cross-field check result."""

    experiment: Experiment
    path: Path | None
    check: CheckResult = field(repr=False)


def builtin_dir() -> Path:
    """Folder of the presets that ship with tuitrain (``presets/`` at the repo root)."""
    return Path(__file__).resolve().parent / "builtin_presets"


def user_dir() -> Path:
    """Where ``presets new`` and the dashboard save user presets ($TUITRAIN_PRESETS_DIR overrides)."""
    env = os.environ.get("TUITRAIN_PRESETS_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("tuitrain")) / "presets"


def local_dir() -> Path:
    """``./presets`` of the working directory: presets kept next to a project."""
    return Path.cwd() / "presets"


def search_dirs() -> list[tuple[PresetSource, Path]]:
    """Preset folders in lookup order; a folder that is the built-in one is listed once."""
    seen: set[Path] = set()
    out: list[tuple[PresetSource, Path]] = []
    for source, folder in (("builtin", builtin_dir()), ("local", local_dir()), ("user", user_dir())):
        resolved = folder.resolve()
        if resolved not in seen:
            seen.add(resolved)
            out.append((source, folder))  # type: ignore[arg-type]
    return out


def check_name(name: str) -> str:
    """Return ``name`` if it is safe as a file name, else raise ValueError saying what is allowed."""
    # fullmatch: with match(), "$" would also accept a name ending in a newline.
    if not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ValueError(
            f"invalid preset name {name!r}: use letters, digits, '-', '_' and '.', starting with a letter "
            "or digit, at most 64 characters"
        )
    if name.lower().endswith(PRESET_SUFFIXES):
        # "mine.toml" would be saved as mine.toml.toml, and looked up later as a file path.
        raise ValueError(f"invalid preset name {name!r}: leave out the extension, tuitrain adds .toml")
    return name


# ---------------------------------------------------------------- reading


def read_preset_data(path: Path) -> dict[str, Any]:
    """Parse a preset file into a dict; every failure becomes a PresetError with one clear line."""
    src = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PresetError(
            src, [SpecIssue("", "file not found: check the path or run 'tuitrain presets list'")]
        ) from None
    except OSError as exc:
        raise PresetError(src, [SpecIssue("", f"can't read the file: {os_error_text(exc)}")]) from None
    if path.is_dir():
        raise PresetError(src, [SpecIssue("", "is a folder, not a preset file")])
    if not path.is_file():
        # A FIFO or a device such as /dev/zero: reading it could block or never end.
        raise PresetError(src, [SpecIssue("", "not a regular file")])
    if size > MAX_PRESET_BYTES:
        raise PresetError(src, [SpecIssue("", f"file is {size / 1e6:.1f} MB; a preset is at most 1 MB of text")])
    try:
        # open_regular: the path may have been swapped for a FIFO since the checks above.
        raw = read_regular(path, MAX_PRESET_BYTES + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise PresetError(src, [SpecIssue("", f"can't read the file: {os_error_text(exc)}")]) from None
    if len(raw) > MAX_PRESET_BYTES:
        raise PresetError(src, [SpecIssue("", "file is over 1 MB; a preset is at most 1 MB of text")])
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark; it is not content.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PresetError(src, [SpecIssue("", "not a text file (expected UTF-8 TOML, JSON or YAML)")]) from None
    if "\x00" in text:
        raise PresetError(src, [SpecIssue("", "not a text file (it contains NUL bytes)")])
    if not text.strip():
        raise PresetError(src, [SpecIssue("", "the file is empty: a preset needs at least a name and a [dataset]")])
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = _parse_json(text, src)
    elif suffix in (".yaml", ".yml"):
        data = _parse_yaml(text, src)
    else:
        data = _parse_toml(text, src)
    if not isinstance(data, dict):
        raise PresetError(src, [SpecIssue("", f"the top level must be a table of settings, got {type(data).__name__}")])
    return data


def _parse_toml(text: str, src: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(src, [SpecIssue("", f"invalid TOML: {exc}")]) from None
    except RecursionError:
        raise PresetError(src, [SpecIssue("", "invalid TOML: nested too deeply")]) from None


def _parse_json(text: str, src: str) -> Any:
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number a preset may hold")

    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise PresetError(
            src, [SpecIssue("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from None
    except ValueError as exc:
        raise PresetError(src, [SpecIssue("", f"invalid JSON: {exc}")]) from None
    except RecursionError:
        raise PresetError(src, [SpecIssue("", "invalid JSON: nested too deeply")]) from None


_YAML_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
# Fields that hold text: "1e3" there is a legitimate value, not a number gone wrong.
_TEXT_FIELDS = frozenset({"name", "description", "monitor", "path"})


@cache
def _yaml_loader() -> type:
    """``yaml.safe_load``'s loader without anchors and aliases: a preset never needs them, and a few
    nested aliases ("billion laughs") expand into billions of values that would hang the validator.

    Made on first use: PyYAML is imported only when a YAML preset is read, not by every start.
    """
    import yaml

    class PresetYamlLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "anchors and aliases (&name, *name) are not allowed in a preset", event.start_mark
                )
            return super().compose_node(parent, index)

    return PresetYamlLoader


def _parse_yaml(text: str, src: str) -> Any:
    import yaml

    try:
        data = yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass: as safe as safe_load
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "<block" in problem:  # PyYAML's words for a line indented more or less than its siblings
            problem += " (check the indentation)"
        raise PresetError(src, [SpecIssue("", f"invalid YAML{where}: {problem}")]) from None
    except RecursionError:
        raise PresetError(src, [SpecIssue("", "invalid YAML: nested too deeply")]) from None
    issues: list[SpecIssue] = []
    for path, key, value in _walk(data):
        if value is _NON_TEXT_KEY:
            issues.append(SpecIssue(path, f"the key {key!r} must be text: quote it"))
        elif isinstance(value, str) and key not in _TEXT_FIELDS and _YAML_NUMBER_TEXT.match(value):
            issues.append(
                SpecIssue(
                    path,
                    f"YAML 1.1 reads {value!r} as text, not a number: write it with a dot and a signed "
                    f"exponent, e.g. {_yaml_fix(value)}",
                )
            )
    if issues:
        raise PresetError(src, issues)
    return data


def _yaml_fix(value: str) -> str:
    """The spelling YAML 1.1 reads as a float: a dot in the mantissa and a sign on the exponent."""
    mantissa, _, exponent = value.lower().partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    elif mantissa.endswith("."):
        mantissa += "0"
    if exponent[:1] not in ("+", "-"):
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


_NON_TEXT_KEY = object()


def _walk(node: Any, path: str = "", key: Any = None) -> list[tuple[str, Any, Any]]:
    """Every leaf as (path, its key, value); a dict key that is not text is a leaf valued _NON_TEXT_KEY."""
    out: list[tuple[str, Any, Any]] = []
    if isinstance(node, dict):
        for k, value in node.items():
            sub = f"{path}.{quote_key(str(k))}" if path else quote_key(str(k))
            if not isinstance(k, str):
                out.append((sub, k, _NON_TEXT_KEY))
                continue
            out += _walk(value, sub, k)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _walk(value, f"{path}[{i}]", i)
    else:
        out.append((path, key, node))
    return out


def experiment_from_data(data: dict[str, Any], source: str = "<preset>") -> Experiment:
    """Validate a dict as an Experiment, raising PresetError with every problem."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise PresetError(source, issues_from_validation_error(exc, data, Experiment)) from None


def load_file(path: Path, overrides: list[str] | None = None) -> LoadedPreset:
    """Load and fully validate a preset file, applying ``--set`` overrides first.

    Cross-field errors (e.g. binary crossentropy on 10 classes) raise PresetError like field errors;
    warnings are in ``result.check.warnings``.
    """
    path = Path(path)
    data = read_preset_data(path)
    overrides = list(overrides or [])
    with blaming_overrides(overrides):
        if overrides:
            data = apply_overrides(data, overrides, source=str(path))
        exp = experiment_from_data(data, str(path))
        check = check_experiment(exp, base_dir=path.parent)
        if check.errors:
            raise PresetError(str(path), check.errors)
    return LoadedPreset(exp, path, check)


def find(name_or_path: str) -> Path:
    """Resolve a preset name (built-in first, then ./presets, then the user folder) or a file path."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix.lower() in PRESET_SUFFIXES or os.sep in name_or_path or candidate.is_file():
        if candidate.is_file() or candidate.exists():
            return candidate  # (not a regular file: read_preset_data says what it is instead)
        raise PresetError(name_or_path, [SpecIssue("", "file not found: check the path")])
    for _source, folder in search_dirs():
        for suffix in PRESET_SUFFIXES:
            path = folder / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    known = ", ".join(sorted({p.name for p in list_presets()})) or "none"
    raise PresetError(name_or_path, [SpecIssue("", f"no preset of that name (known: {known})")])


def load(name_or_path: str, overrides: list[str] | None = None) -> LoadedPreset:
    """Find and load a preset by name or path."""
    return load_file(find(name_or_path), overrides)


def list_presets() -> list[PresetInfo]:
    """Every preset in every search folder, broken ones included (with their first error)."""
    infos: list[PresetInfo] = []
    names: set[str] = set()
    for source, folder in search_dirs():
        if not folder.is_dir():
            continue
        try:
            entries = list(folder.iterdir())
        except OSError as exc:
            infos.append(PresetInfo(folder.name, source, folder, error=f"cannot list {folder}: {os_error_text(exc)}"))
            continue
        # In find()'s suffix order, so that of mine.toml and mine.json the one listed is the one loaded.
        for path in sorted(entries, key=lambda p: (p.stem, _suffix_rank(p))):
            if path.suffix.lower() not in PRESET_SUFFIXES or not path.is_file() or path.name.startswith("."):
                continue
            if path.stem in names:  # shadowed by an earlier folder: lookup would never reach it
                continue
            names.add(path.stem)
            try:
                exp = experiment_from_data(read_preset_data(path), str(path))
            except PresetError as exc:
                infos.append(PresetInfo(path.stem, source, path, error=str(exc.issues[0])))
                continue
            infos.append(PresetInfo(path.stem, source, path, exp.dataset.name, exp.description))
    return infos


def _suffix_rank(path: Path) -> int:
    suffix = path.suffix.lower()
    return PRESET_SUFFIXES.index(suffix) if suffix in PRESET_SUFFIXES else len(PRESET_SUFFIXES)


# ---------------------------------------------------------------- writing


def to_toml(exp: Experiment) -> str:
    """Serialize an experiment as TOML. ``None`` fields are left out: they are the defaults.

    Every control character in a string is written as an escape, so ``cat`` on the file is safe.
    """
    import tomli_w  # only when writing: a start that only reads presets does without it

    data = _tags_first(exp.model_dump(mode="json", exclude_none=True))
    return toml_printable(tomli_w.dumps(data))


def _tags_first(node: Any) -> Any:
    """Put ``name``/``kind`` first in every table: a reader sees what a table is before its settings."""
    if isinstance(node, dict):
        first = [k for k in ("name", "kind", "description") if k in node]
        return {k: _tags_first(node[k]) for k in [*first, *(k for k in node if k not in first)]}
    if isinstance(node, list):
        return [_tags_first(v) for v in node]
    return node


def save(exp: Experiment, name: str, folder: Path | None = None, overwrite: bool = False) -> Path:
    """Write ``exp`` as user preset ``name`` atomically; never over a built-in, never silently over a file.

    Raises ValueError (a bad name, a file where the folder should be), FileExistsError, or OSError
    (the disk is full, the folder cannot be written: the old file, if any, is left as it was).
    """
    check_name(name)
    folder = Path(folder) if folder is not None else user_dir()
    if (builtin_dir() / f"{name}.toml").exists() and folder.resolve() != builtin_dir().resolve():
        raise FileExistsError(f"{name!r} is a built-in preset: save under another name")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder: save the preset into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / f"{name}.toml").resolve()
    if target.parent != folder.resolve():
        raise ValueError(f"invalid preset name {name!r}")
    if target.exists() and not overwrite:
        raise FileExistsError(f"preset {name!r} already exists at {target}: choose another name or overwrite")
    atomic_write_text(target, to_toml(exp))
    return target


# ---------------------------------------------------------------- --set key.path=value

_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def parse_path(key: str) -> list[str | int]:
    """Split ``model.layers[1].units`` into ``["model", "layers", 1, "units"]``; ValueError if malformed."""
    path: list[str | int] = []
    for part in key.strip().split("."):
        m = _PATH_PART.fullmatch(part)
        if not m:
            raise ValueError(f"{part!r} is not a valid key")
        path.append(m.group(1))
        path += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return path


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """Split ``model.layers[1].units=32`` into a path and a TOML-parsed value (bare words are text)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--set {text!r}: expected key.path=value, e.g. training.epochs=5")
    try:
        path = parse_path(key)
    except ValueError as exc:
        raise ValueError(f"--set {text!r}: {exc}") from None
    raw = raw.strip()
    try:
        doc = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        doc = {"v": raw}
    if set(doc) != {"v"}:
        # e.g. "1\nother = 2": TOML would quietly set a second key.
        raise ValueError(f"--set {text!r}: the value must be a single TOML value")
    value = doc["v"]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"--set {text!r}: the value must be a finite number")
    return path, value


def override_paths(overrides: list[str]) -> list[tuple[str, str]]:
    """Each well-formed override as (its dotted path, its text): what an issue can be traced back to."""
    out = []
    for text in overrides:
        try:
            path, _value = parse_override(text)
        except ValueError:
            continue  # a malformed one is reported by apply_overrides, naming itself
        out.append((dotted_path(path), text))
    return out


def _related(issue_path: str, set_path: str) -> bool:
    """True when one path is the other or lies inside it (``optimizer`` and ``optimizer.learning_rate``)."""
    if not issue_path:
        return False
    return any(a == b or a.startswith((b + ".", b + "[")) for a, b in ((issue_path, set_path), (set_path, issue_path)))


def blame(error: PresetError, overrides: list[str]) -> PresetError:
    """``error`` with each issue that lies at or under an overridden path blamed on that ``--set``.

    ``--set training.epochs=0`` must be named for ``training.epochs: must be >= 1``, not the preset
    file, which holds a valid value. The last matching override wins, as it is the one applied last.
    """
    paths = override_paths(overrides)
    if not paths:
        return error
    sources = list(error.sources)
    for i, issue in enumerate(error.issues):
        matches = [text for path, text in paths if _related(issue.path, path)]
        if matches:
            sources[i] = f"--set {matches[-1]}"
    return type(error)(error.source, error.issues, sources)


@contextmanager
def blaming_overrides(overrides: list[str]) -> Iterator[None]:
    """Inside ``with blaming_overrides(overrides):`` a PresetError comes out with issues blamed on ``--set``."""
    try:
        yield
    except PresetError as exc:
        if not overrides:
            raise
        raise blame(exc, overrides) from None


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str = "--set") -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key.path=value`` applied (creating tables as needed)."""
    # deepcopy, not a JSON round trip: TOML and YAML values include dates, which JSON can't hold.
    data = copy.deepcopy(data)
    for text in overrides:
        try:
            path, value = parse_override(text)
        except ValueError as exc:
            raise PresetError(source, [SpecIssue("", str(exc))]) from None
        set_value(data, path, value, source)
    return data


def set_value(data: dict[str, Any], path: list[str | int], value: Any, source: str = "--set") -> None:
    """Set ``value`` at ``path`` (as :func:`parse_override` splits it) in ``data``, in place.

    Missing tables on the way are created; a list index must exist. Raises PresetError naming the
    part of the path that does not fit the data.
    """
    node: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise PresetError(source, [SpecIssue(dotted_path(path[: i + 1]), "no such list item")])
        elif not isinstance(node, dict):
            where = dotted_path(path[:i])
            problem = (
                f"is a list: pick an item by its index, e.g. {where}[0].{part}"
                if isinstance(node, list)
                else f"is {node!r}, not a table with a {part!r} field"
            )
            raise PresetError(source, [SpecIssue(where, problem)])
        if last:
            node[part] = value
        else:
            if isinstance(part, str) and not isinstance(node.get(part), dict | list):
                node[part] = [] if isinstance(path[i + 1], int) else {}
            node = node[part]


def dotted_path(path: list[str | int]) -> str:
    """A path as ``--set`` writes it: ``model.layers[1].units``."""
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
