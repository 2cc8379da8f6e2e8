"""The learning-rate range test in the trainer, and whether its suggestion is a rate that trains.

Each case runs the test in this process on a run directory made by the launcher, then trains the
experiment for a few epochs (5 on digits, 10 of the small IMDB sets) at the suggested rate (it must
converge: validation loss falling well below what guessing scores) and at a rate from the divergent
regime (it must not).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from datafiles import write_fake_imdb_npz
from enginekit import train
from typer.testing import CliRunner

from tuitrain import launcher, presets, runs
from tuitrain.analysis.lr_finder import LrFinderReport, analyze_lr_range
from tuitrain.cli import app
from tuitrain.engine import lr_finder
from tuitrain.engine.signals import StopRequest
from tuitrain.runs.lr_find import NAME_SUFFIX, LrFindSettings, read_curve, write_settings
from tuitrain.spec import Experiment

REPO = Path(__file__).resolve().parents[2]
SHARED_IMDB = next(
    (p for p in (REPO.parent / "shared/data/imdb_500w_5k.npz", REPO / "shared/data/imdb_500w_5k.npz") if p.is_file()),
    None,
)


def range_test(
    exp: Experiment, tmp_path: Path, data_dir: Path | None = None, settings: LrFindSettings | None = None
) -> tuple[Path, LrFinderReport]:
    run_dir = launcher.prepare_run(exp, tmp_path / "runs", name_suffix=NAME_SUFFIX)
    write_settings(run_dir, settings or LrFindSettings())
    assert lr_finder.run(run_dir, data_dir=data_dir, allow_download=False) == 0, (run_dir / "trainer.log").read_text()
    curve = read_curve(run_dir)
    return run_dir, analyze_lr_range(curve.learning_rates, curve.losses)


def converges(exp: Experiment, rate: float, data_dir: Path | None, chance: float) -> bool:
    """Whether the experiment's epochs at ``rate`` bring the validation loss well below guessing (a fifth
    below what a uniform guess scores), ending lower than after the first epoch."""
    history = train(
        exp.model_copy(update={"optimizer": exp.optimizer.model_copy(update={"learning_rate": rate})}),
        data_dir=data_dir,
    ).history["val_loss"]
    finite = all(math.isfinite(v) for v in history)
    return finite and history[-1] < 0.8 * chance and history[-1] < history[0]


@pytest.mark.slow
def test_range_test_records_its_own_kind_of_run_and_touches_nothing_else(tmp_path: Path) -> None:
    exp = presets.load("digits-mlp").experiment
    run_dir, report = range_test(exp, tmp_path)
    record = runs.load_run(run_dir)
    assert run_dir.name.endswith("-digits-mlp-lr-find") and record.state == "finished"
    assert record.started is not None and record.started.kind == "lr_find"
    steps = [e for e in record.events if isinstance(e, runs.LrStep)]
    rates = [e.learning_rate for e in steps]
    assert rates[0] == pytest.approx(1e-7) and rates == sorted(rates) and len(steps) >= 100
    assert [e.step for e in steps] == list(range(1, len(steps) + 1))
    assert all(math.isfinite(e.smoothed_loss) for e in steps[:-1])
    # The run keeps nothing but its record, and its experiment as it was given.
    assert not any((run_dir / name).exists() for name in ("best.keras", "final.keras", "history.csv"))
    assert presets.load_file(runs.RunPaths(run_dir).experiment).experiment.optimizer.learning_rate == 0.003
    assert "suggested learning rate" in record.reason and report.suggestion is not None


@pytest.mark.slow
def test_digits_suggestion_converges_and_the_divergent_regime_does_not(tmp_path: Path) -> None:
    exp = presets.load("digits-mlp", ["training.epochs=5"]).experiment
    _, report = range_test(exp, tmp_path)
    assert report.suggestion is not None, report.problem
    assert [s.regime for s in report.regimes][-1] == "diverging"
    chance = math.log(10)
    assert converges(exp, report.suggestion.learning_rate, None, chance)
    assert not converges(exp, report.regimes[-1].low, None, chance)


def _imdb_case(tmp_path: Path, source: str) -> tuple[Experiment, Path]:
    data_dir = tmp_path / "data"
    if source == "shared-subset":
        if SHARED_IMDB is None:
            pytest.skip("shared/data/imdb_500w_5k.npz is not here (a real IMDB subset; optional)")
        data_dir.mkdir()
        (data_dir / "imdb.npz").symlink_to(SHARED_IMDB)
        return presets.load("imdb-seed", ["dataset.num_words=500", "training.epochs=10"]).experiment, data_dir
    write_fake_imdb_npz(data_dir / "imdb.npz", n_train=2000, n_test=500, vocab=400, max_len=60)
    return presets.load("imdb-seed", ["dataset.num_words=400", "training.epochs=10"]).experiment, data_dir


@pytest.mark.slow
@pytest.mark.parametrize("source", ["made-up", "shared-subset"])
def test_imdb_suggestion_converges_and_the_divergent_regime_does_not(source: str, tmp_path: Path) -> None:
    exp, data_dir = _imdb_case(tmp_path, source)
    _, report = range_test(exp, tmp_path, data_dir)
    assert report.suggestion is not None, report.problem
    chance = math.log(2)
    assert converges(exp, report.suggestion.learning_rate, data_dir, chance)
    assert not converges(exp, report.regimes[-1].low * 10, data_dir, chance)


def test_a_stop_request_ends_the_test_as_stopped(tmp_path: Path) -> None:
    exp = presets.load("digits-mlp", ["dataset.train_subset=200"]).experiment
    run_dir = launcher.prepare_run(exp, tmp_path, name_suffix=NAME_SUFFIX)
    write_settings(run_dir, LrFindSettings(steps=50))
    stop = StopRequest()
    stop.set("SIGTERM")
    assert lr_finder.run(run_dir, allow_download=False, stop=stop) == 0
    record = runs.load_run(run_dir)
    assert record.state == "stopped" and "stopped by SIGTERM" in record.reason
    assert len(read_curve(run_dir).losses) == 1


def test_broken_settings_fail_the_test_with_one_line(tmp_path: Path) -> None:
    run_dir = launcher.prepare_run(presets.load("digits-mlp").experiment, tmp_path, name_suffix=NAME_SUFFIX)
    runs.RunPaths(run_dir).lr_find.write_text('{"steps": 2}')
    assert lr_finder.run(run_dir, allow_download=False) == 1
    record = runs.load_run(run_dir)
    assert record.state == "failed" and "lr_find.json is not valid" in record.reason
    assert "\n" not in record.reason


@pytest.mark.slow
def test_cli_lr_find_runs_the_trainer_and_prints_chart_regimes_and_suggestion(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["lr-find", "digits-mlp", "--steps", "120", "--set", "dataset.train_subset=600", "--runs-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for words in ("learning rate (log scale)", "too small", "good", "range test directory:"):
        assert words in out, words
    assert "suggested learning rate" in out and "use it: tuitrain run digits-mlp" in out
    assert "--set=dataset.train_subset=600 --set optimizer.learning_rate=" in out
    (run_dir,) = tmp_path.iterdir()
    assert run_dir.name.endswith("-lr-find")
