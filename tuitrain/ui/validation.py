"""Live validation of the data being edited: pydantic first, then the spec's cross-field checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tuitrain.spec import Experiment
from tuitrain.spec.checks import CheckResult, check_experiment
from tuitrain.spec.errors import SpecIssue, issues_from_validation_error


@dataclass(frozen=True)
class Validation:
    """The outcome of validating edited data: the experiment when it is valid, and every issue."""

    experiment: Experiment | None
    errors: tuple[SpecIssue, ...]
    warnings: tuple[SpecIssue, ...]
    check: CheckResult | None

    @property
    def ok(self) -> bool:
        """True when the experiment can be trained (no errors)."""
        return self.experiment is not None and not self.errors

    @property
    def issues(self) -> list[SpecIssue]:
        """Errors first, then warnings."""
        return [*self.errors, *self.warnings]

    def output_text(self) -> str:
        """The output layer and parameter count in words, e.g. ``Output: Dense 10 softmax (derived)``."""
        check = self.check
        if check is None or check.output is None:
            return "Output: unknown until the errors are fixed"
        out = check.output
        text = f"Output: Dense {out.units} {out.activation}{' (derived)' if out.derived else ''}"
        if check.params is not None:
            text += f" · {params_text(check)}"
        return text


def params_text(check: CheckResult) -> str:
    """``534,026 parameters`` (with the non-trainable part when there is one)."""
    params = check.params
    if params is None:
        return "parameters: ?"
    text = f"{params.total:,} parameters"
    if params.non_trainable:
        text += f" ({params.trainable:,} trainable)"
    return text


def validate_data(data: dict[str, Any], base_dir: Path | None = None, data_dir: Path | None = None) -> Validation:
    """Validate edited data as an Experiment, run the cross-field checks when it is valid, and look
    for the data set's files (``data_dir`` is searched first, as the trainer will)."""
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        return Validation(None, tuple(issues_from_validation_error(exc, data, Experiment)), (), None)
    check = check_experiment(experiment, base_dir)
    errors, warnings = list(check.errors), list(check.warnings)
    missing = data_file_issue(experiment.dataset.name, data_dir)
    if missing is not None:
        (errors if missing.severity == "error" else warnings).append(missing)
    return Validation(experiment, tuple(errors), tuple(warnings), check)


def data_file_issue(dataset: str, data_dir: Path | None) -> SpecIssue | None:
    """An issue on ``dataset`` when a built-in data set's files are not on this machine, else None.

    An error when downloading is off (the run could only fail, after the trainer loaded TensorFlow),
    a warning when the trainer will download them. Only looks at the file system: no TensorFlow.
    """
    # Imported here: the data package's file lookup is light, its loaders (numpy) are not used.
    from tuitrain.data.locate import OFFLINE_ENV, downloads_allowed, missing_files

    missing = missing_files(dataset, data_dir)
    if missing is None:
        return None
    files = ", ".join(missing.files)
    if downloads_allowed():
        return SpecIssue(
            "dataset",
            f"{files} not found in {missing.where()}: the run will download it into {missing.download_folder()} "
            "(or set the data folder below)",
            severity="warning",
        )
    return SpecIssue(
        "dataset",
        f"{files} not found in {missing.where()} and downloading is off ({OFFLINE_ENV}=1): "
        "set the data folder below to the folder that holds it",
    )
