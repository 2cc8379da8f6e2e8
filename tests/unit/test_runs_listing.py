"""The runs folder: names, listing, finding a run, deleting one, and refusing paths that leave the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuitrain.runs import (
    AmbiguousRun,
    EpochEnded,
    EventWriter,
    RunBusy,
    RunFinished,
    RunNotFound,
    RunPaths,
    RunStarted,
    RunStatus,
    delete_run,
    latest_running,
    list_runs,
    new_run_dir,
    resolve_run,
    runs_root,
    safe_child,
    sanitize_name,
    write_status,
)

EXPERIMENT = 'name = "x"\n[dataset]\nname = "digits"\n[training]\nepochs = 3\n'


def make_run(
    root: Path, name: str, started_at: float, *, finished: bool = True, status: RunStatus | None = None
) -> Path:
    run = new_run_dir(root, name, now=started_at)
    paths = RunPaths(run)
    paths.experiment.write_text(EXPERIMENT)
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                time=started_at,
                run_id=run.name,
                experiment_name=name,
                device="CPU",
                device_kind="cpu",
                params_total=1,
                params_trainable=1,
                pid=999_999_999,
                epochs=3,
                steps_per_epoch=1,
                train_samples=1,
                val_samples=1,
            )
        )
        for n in (1, 2):
            logs = {"loss": 1.0 / n, "val_loss": 1.0 / n, "val_accuracy": 0.4 * n}
            writer.write(EpochEnded(time=started_at + n, epoch=n, logs=logs, epoch_seconds=1.0))
        if finished:
            writer.write(RunFinished(time=started_at + 3, status="finished", epochs_done=2))
    write_status(paths, status or RunStatus(state="finished" if finished else "running", pid=999_999_999))
    return run


# ---------------------------------------------------------------------------------------------- names


def test_runs_root_prefers_explicit_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUITRAIN_RUNS", "/srv/env-runs")
    assert runs_root("/data/cli-runs") == Path("/data/cli-runs")
    assert runs_root() == Path("/srv/env-runs")
    monkeypatch.delenv("TUITRAIN_RUNS")
    assert runs_root() == Path("runs")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("digits-overfit", "digits-overfit"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("a b/c\\d", "a-b-c-d"),
        ("résumé v2", "resume-v2"),  # accents folded to their base letter
        ("größe 🚀", "grosse"),
        ("", "run"),
        ("...", "run"),
        ("-rf", "rf"),
    ],
)
def test_sanitize_name_allows_only_safe_characters(name: str, expected: str) -> None:
    assert sanitize_name(name) == expected


def test_new_run_dir_is_timestamped_sanitized_bounded_and_unique(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    first = new_run_dir(tmp_path / "runs", "../my run", now=now)
    second = new_run_dir(tmp_path / "runs", "../my run", now=now)
    assert first.parent == tmp_path / "runs" and first.is_dir() and second.is_dir()
    assert first.name.endswith("-my-run") and second.name == first.name + "-2"
    assert len(first.name) == len("YYYYMMDD-HHMMSS-my-run")
    long = new_run_dir(tmp_path / "runs", "x" * 300, now=now)
    assert len(long.name) <= 16 + 64


def test_safe_child_refuses_everything_that_leaves_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "out-link").symlink_to(outside)
    (root / "real").mkdir()
    (root / "in-link").symlink_to(root / "real")
    for bad in ("..", ".", "", "../elsewhere", str(outside), "a/b", "out-link"):
        with pytest.raises(ValueError):
            safe_child(root, bad)
    assert safe_child(root, "real") == root.resolve() / "real"
    assert safe_child(root, "in-link") == root.resolve() / "in-link"  # a link that stays inside
    assert safe_child(root, "not-yet") == root.resolve() / "not-yet"


# ---------------------------------------------------------------------------------------------- listing


def test_list_runs_newest_first_with_summaries(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    old = make_run(root, "old", 1_700_000_000.0)
    new = make_run(root, "new", 1_700_000_100.0, finished=False)
    (root / "not-a-run").mkdir()
    (root / ".hidden").mkdir()
    (root / "stray.txt").write_text("x")
    rows = list_runs(root)
    assert [r.run_dir for r in rows] == [new, old]
    crashed, done = rows
    assert crashed.state == "crashed" and done.state == "finished"
    assert done.dataset == "digits" and done.epochs_done == 2 and done.epochs_planned == 3
    assert done.best_val_loss == (2, 0.5) and done.best_val_accuracy == (2, 0.8)
    assert done.duration == 3.0 and done.started_at == 1_700_000_000.0 and done.error is None
    assert list_runs(tmp_path / "missing") == []


def test_broken_run_dirs_are_listed_never_raised(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    run = make_run(root, "ok", 1_700_000_000.0)
    (run / "experiment.toml").write_text("[[[")
    events = (run / "events.jsonl").read_bytes().splitlines(keepends=True)
    (run / "events.jsonl").write_bytes(b"".join([*events[:-1], b"garbage\n", events[-1]]))
    broken = root / "only-status"
    broken.mkdir()
    (broken / "status.json").write_text("not json")
    rows = {r.name: r for r in list_runs(root)}
    assert rows[run.name].state == "finished"
    assert "experiment.toml cannot be read" in (rows[run.name].error or "")
    assert "unreadable line" in (rows[run.name].error or "")
    assert rows["only-status"].state == "pending"


# ---------------------------------------------------------------------------------------------- finding


def test_resolve_by_exact_name_prefix_latest_and_path(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a = make_run(root, "alpha", 1_700_000_000.0)
    b = make_run(root, "beta", 1_700_086_400.0)  # a day later: a different name prefix
    assert resolve_run(root, a.name) == a.resolve()
    assert resolve_run(root, b.name[:9]) == b.resolve()  # unique prefix (the day)
    assert resolve_run(root, "latest") == b
    assert resolve_run(root, str(a)) == a
    assert resolve_run(tmp_path / "elsewhere", a) == a  # a Path is taken as given


def test_resolve_errors_are_clear(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a = make_run(root, "alpha", 1_700_000_000.0)
    make_run(root, "alpha", 1_700_000_000.0)
    with pytest.raises(AmbiguousRun, match="matches 2 runs"):
        resolve_run(root, a.name[:10])
    with pytest.raises(RunNotFound, match="no run named 'zzz'"):
        resolve_run(root, "zzz")
    with pytest.raises(RunNotFound, match="no runs in"):
        resolve_run(tmp_path / "empty", "latest")
    with pytest.raises(RunNotFound, match="not a run directory"):
        resolve_run(root, str(tmp_path))
    with pytest.raises(RunNotFound, match="not a run name"):
        resolve_run(root, "..")


def test_latest_running_skips_ended_and_dead_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    assert latest_running(root) is None
    make_run(root, "done", 1_700_000_000.0)
    make_run(root, "dead", 1_700_000_100.0, finished=False)  # its pid does not exist: crashed
    assert latest_running(root) is None
    live = make_run(root, "live", 1_699_000_000.0, finished=False, status=RunStatus.for_this_process("running"))
    assert latest_running(root) == live


# ---------------------------------------------------------------------------------------------- deleting


def test_delete_refuses_a_running_run_unless_forced(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    live = make_run(root, "live", 1_700_000_000.0, finished=False, status=RunStatus.for_this_process("running"))
    with pytest.raises(RunBusy, match=f"pid {os.getpid()}"):
        delete_run(root, live.name)
    assert live.is_dir()
    assert delete_run(root, live.name, force=True) == live.resolve()
    assert not live.exists()


def test_delete_refuses_a_run_training_on_another_host(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    run = make_run(root, "far", 1_700_000_000.0, finished=False, status=RunStatus(state="running", pid=1, host="far"))
    with pytest.raises(RunBusy, match="on far"):
        delete_run(root, run)


def test_delete_by_name_or_by_run_dir(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    a = make_run(root, "a", 1_700_000_000.0)
    b = make_run(root, "b", 1_700_086_400.0)
    delete_run(root, a.name)
    delete_run(root, b)  # a path: it must lie inside the runs root
    assert list(root.iterdir()) == []


def test_delete_stays_inside_the_runs_folder(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    other_root = tmp_path / "other"
    victim = make_run(other_root, "victim", 1_700_000_000.0)
    (root).mkdir()
    (root / "link").symlink_to(victim)
    with pytest.raises(ValueError, match="not inside the runs folder"):
        delete_run(root, str(victim))
    with pytest.raises(RunNotFound):
        delete_run(root, "../other/" + victim.name)
    with pytest.raises((ValueError, RunNotFound)):
        delete_run(root, "link")
    inside = make_run(root, "inside", 1_700_000_000.0)
    (root / "inside-link").symlink_to(inside)
    with pytest.raises(ValueError, match="symbolic link"):
        delete_run(root, "inside-link")
    assert inside.is_dir()
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ValueError, match="not a run directory"):
        delete_run(tmp_path, plain)
    assert victim.is_dir() and plain.is_dir()
