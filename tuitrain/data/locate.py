"""Find a built-in data set's files on this machine, or download them into the Keras cache.

Search order: the explicit ``data_dir`` (the CLI's ``--data-dir``), ``$TUITRAIN_DATA``,
``$KERAS_HOME/datasets``, ``~/.keras/datasets``. A folder holds ``mnist.npz`` / ``imdb.npz`` directly;
Fashion-MNIST's four ``.gz`` files may sit in a ``fashion-mnist/`` sub-folder (the Keras layout) or
directly in the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tuitrain.data.download import ProgressCallback, download_file
from tuitrain.data.errors import DataError, DatasetUnavailable
from tuitrain.data.sources import SOURCES, Source

OFFLINE_ENV = "TUITRAIN_OFFLINE"
DATA_ENV = "TUITRAIN_DATA"


def downloads_allowed(allow_download: bool = True) -> bool:
    """Whether a missing file may be downloaded: the caller allows it and ``$TUITRAIN_OFFLINE`` isn't set."""
    flag = os.environ.get(OFFLINE_ENV, "").strip().lower()
    return allow_download and flag in ("", "0", "false", "no", "off")


def keras_home() -> Path:
    """Keras' own base folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if home is read-only)."""
    env = os.environ.get("KERAS_HOME")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    # Same fallback as Keras, so both agree on where a downloaded file is cached.
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def keras_cache_dir() -> Path:
    """The folder Keras downloads data sets into, and where tuitrain downloads them too."""
    return keras_home() / "datasets"


def search_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders searched for data files, in order, without duplicates (missing folders included)."""
    candidates: list[Path] = []
    if data_dir is not None and str(data_dir):
        candidates.append(Path(data_dir).expanduser())
    if os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]).expanduser())
    if os.environ.get("KERAS_HOME"):
        candidates.append(Path(os.environ["KERAS_HOME"]).expanduser() / "datasets")
    candidates.append(Path.home() / ".keras" / "datasets")
    unique: list[Path] = []
    seen: set[str] = set()
    for path in candidates:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise DataError(f"{name!r} is not a built-in data set stored in files ({', '.join(SOURCES)})") from None


def _holds(folder: Path, source: Source) -> bool:
    return all((folder / f.name).is_file() for f in source.files)


def find_local(name: str, data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The local copy of a built-in data set, or None: the ``.npz`` file, or for Fashion-MNIST its folder."""
    source = _source(name)
    for folder in search_dirs(data_dir):
        if source.subdir is not None:
            for candidate in (folder / source.subdir, folder):
                if _holds(candidate, source):
                    return candidate
        elif _holds(folder, source):
            return folder / source.files[0].name
    return None


@dataclass(frozen=True)
class MissingFiles:
    """A built-in data set that is not on this machine: the files it needs and where they were looked for."""

    dataset: str
    files: tuple[str, ...]
    looked_in: tuple[Path, ...]
    download_to: Path

    def where(self) -> str:
        """The folders looked in, as a person would type them."""
        return ", ".join(_show(p) for p in self.looked_in)

    def download_folder(self) -> str:
        """The folder a download would go to, as a person would type it."""
        return _show(self.download_to)


def missing_files(name: str, data_dir: str | os.PathLike[str] | None = None) -> MissingFiles | None:
    """What a built-in data set lacks on this machine (None: found, or not a data set stored in files).

    Only looks: nothing is downloaded and nothing heavy is imported, so it can run before every start.
    """
    source = SOURCES.get(name)
    if source is None or find_local(name, data_dir) is not None:
        return None
    cache = keras_cache_dir()
    return MissingFiles(
        source.dataset,
        tuple(f.name for f in source.files),
        tuple(search_dirs(data_dir)),
        cache / source.subdir if source.subdir else cache,
    )


def locate_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    allow_download: bool = True,
    *,
    progress: ProgressCallback | None = None,
) -> Path:
    """Path of a built-in data set (``mnist``, ``imdb``: the ``.npz``; ``fashion_mnist``: the folder of .gz files).

    Downloads into the Keras cache when missing and downloads are allowed (see :func:`downloads_allowed`).
    Raises DatasetUnavailable, with where it looked and where to put the file, otherwise.
    """
    found = find_local(name, data_dir)
    if found is not None:
        return found
    source = _source(name)
    looked = ", ".join(_show(p) for p in search_dirs(data_dir))
    cache = keras_cache_dir()
    target_dir = cache / source.subdir if source.subdir else cache
    what = "the 4 files" if len(source.files) > 1 else source.files[0].name
    advice = f"copy {what} into {_show(target_dir)} or pass --data-dir DIR"
    if not downloads_allowed(allow_download):
        why = f" ({OFFLINE_ENV}=1)" if allow_download else ""
        raise DatasetUnavailable(f"{source.label} not found (looked in {looked}) and downloading is off{why}: {advice}")
    for remote in source.files:
        target = target_dir / remote.name
        if target.is_file():
            continue  # an earlier, interrupted download of Fashion-MNIST got this one already
        try:
            download_file(remote.url, target, remote.sha256, progress=progress)
        except OSError as exc:
            reason = getattr(exc, "reason", None) or exc.strerror or exc
            raise DatasetUnavailable(
                f"{source.label} not found (looked in {looked}) and downloading {remote.url} failed "
                f"({reason}): {advice}"
            ) from exc
    return target_dir if source.subdir else target_dir / source.files[0].name


def _show(path: Path) -> str:
    """A path as a person would type it: ``~`` for the home folder."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text
