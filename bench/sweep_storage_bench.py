"""Which Optuna storage a sweep keeps its study in: SQLite (RDBStorage) or a journal file (JournalFileBackend).

Measured, not assumed, on this machine, for both storages in the same run:

* **Concurrent writers**: ``--writers`` processes each run ``--trials`` trials (ask, report
  ``--steps`` intermediate values, tell) against one study file at the same time, as a sweep
  controller, a resumed controller and the dashboard's reads (or Ray workers, issue 15) may. Counted:
  calls that raised, trials lost or left unfinished, and the wall time.
* **kill -9**: one writer asks, reports and tells in a loop and is killed with SIGKILL at a random
  moment, ``--kills`` times. After each kill a fresh process opens the study (does it load?), checks
  that every trial whose ``tell`` had returned is stored as complete, marks the trials the killed
  writer left running as failed (what ``sweep resume`` does) and the loop goes on.

Prints a table per storage and the ratio of wall times (journal / SQLite).

    .venv/bin/python bench/sweep_storage_bench.py               # 4 writers x 40 trials, 20 kills
    .venv/bin/python bench/sweep_storage_bench.py --small       # seconds
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STUDY = "bench"


def open_storage(kind: str, path: Path) -> Any:
    """The Optuna storage of ``kind`` ("sqlite" or "journal") at ``path``."""
    import optuna

    if kind == "sqlite":
        return optuna.storages.RDBStorage(f"sqlite:///{path}")
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    return JournalStorage(JournalFileBackend(str(path)))


def writer(kind: str, path: Path, trials: int, steps: int, done_log: Path | None) -> None:
    """Run ``trials`` trials (0 = for ever); after each tell returns, append its number to ``done_log``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = open_storage(kind, path)
    study = optuna.load_study(study_name=STUDY, storage=storage, sampler=optuna.samplers.RandomSampler())
    errors = 0
    n = 0
    while trials == 0 or n < trials:
        n += 1
        try:
            trial = study.ask()
            x = trial.suggest_float("x", 1e-4, 1.0, log=True)
            for step in range(steps):
                trial.report(x * (step + 1), step)
            study.tell(trial, x)
        except Exception as exc:  # counted, not hidden: the point is how often this happens
            errors += 1
            print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}", file=sys.stderr, flush=True)
            continue
        if done_log is not None:
            with open(done_log, "a") as fh:
                fh.write(f"{trial.number}\n")
                fh.flush()
                os.fsync(fh.fileno())
    print(json.dumps({"errors": errors}), flush=True)


def create(kind: str, path: Path) -> None:
    """Create the study (one process, before the writers start)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name=STUDY, storage=open_storage(kind, path), direction="minimize")


def check(kind: str, path: Path, done_log: Path) -> dict[str, int | str]:
    """Open the study in this process; compare it with the trials whose tell returned; fail leftovers."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = optuna.load_study(study_name=STUDY, storage=open_storage(kind, path))
        trials = study.get_trials(deepcopy=False)
    except Exception as exc:  # a storage that no longer loads is the result being measured
        return {"loads": f"no: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"}
    told = {int(line) for line in done_log.read_text().split()} if done_log.exists() else set()
    complete = {t.number for t in trials if t.state == TrialState.COMPLETE}
    running = [t for t in trials if t.state == TrialState.RUNNING]
    for t in running:
        study.tell(t.number, state=TrialState.FAIL)
    return {
        "loads": "yes",
        "trials": len(trials),
        "told_but_not_complete": len(told - complete),
        "left_running": len(running),
    }


def _child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def concurrent(kind: str, folder: Path, writers: int, trials: int, steps: int) -> dict[str, float | int]:
    """``writers`` processes at once on one study; errors, missing trials and wall time."""
    path = folder / ("study.db" if kind == "sqlite" else "study.journal")
    create(kind, path)
    start = time.perf_counter()
    procs = [_child(["--role", "writer", kind, str(path), str(trials), str(steps)]) for _ in range(writers)]
    errors = 0
    for proc in procs:
        out, _err = proc.communicate()
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        errors += int(json.loads(last).get("errors", 0)) if proc.returncode == 0 else trials
    wall = time.perf_counter() - start
    import optuna
    from optuna.trial import TrialState

    study = optuna.load_study(study_name=STUDY, storage=open_storage(kind, path))
    complete = sum(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))
    return {"wall_s": wall, "errors": errors, "complete": complete, "expected": writers * trials}


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def kills(kind: str, folder: Path, rounds: int, steps: int, seed: int) -> dict[str, Any]:
    """Kill a busy writer with SIGKILL ``rounds`` times; after each, check the study as a resume would."""
    path = folder / ("kill.db" if kind == "sqlite" else "kill.journal")
    done_log = folder / f"done-{kind}.log"
    create(kind, path)
    rng = random.Random(seed)
    bad_loads = 0
    lost = 0
    left_running = 0
    slowest = 0.0  # a writer killed while holding the journal's lock file makes the next one wait for it
    for _ in range(rounds):
        before = _lines(done_log)
        proc = _child(["--role", "writer", kind, str(path), "0", str(steps), str(done_log)])
        deadline = time.monotonic() + 60
        while _lines(done_log) == before and time.monotonic() < deadline:
            time.sleep(0.01)  # until the writer is in its ask/report/tell loop (past imports and opening)
        time.sleep(rng.random() * 0.5)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        started = time.perf_counter()
        result = check(kind, path, done_log)
        slowest = max(slowest, time.perf_counter() - started)
        if result["loads"] != "yes":
            bad_loads += 1
            print(f"  {kind}: study does not load after a kill: {result['loads']}", flush=True)
            break
        lost += int(result["told_but_not_complete"])
        left_running += int(result["left_running"])
    final = check(kind, path, done_log)
    return {
        "kills": rounds,
        "loads_after_every_kill": "yes" if bad_loads == 0 and final["loads"] == "yes" else "no",
        "trials": int(final.get("trials", 0)),
        "told_but_lost": lost,
        "left_running_then_failed": left_running,
        "slowest_check_s": slowest,
    }


def main() -> None:
    """Measure both storages and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--steps", type=int, default=10, help="intermediate values reported per trial")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--small", action="store_true", help="2 writers x 5 trials, 2 kills")
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "writer":
        kind, path, trials, steps, *log = args.rest
        writer(kind, Path(path), int(trials), int(steps), Path(log[0]) if log else None)
        return
    if args.small:
        args.writers, args.trials, args.kills = 2, 5, 2
    print(
        f"{args.writers} concurrent writers x {args.trials} trials ({args.steps} reports each); "
        f"{args.kills} kill -9 rounds; {os.cpu_count()} CPUs",
        flush=True,
    )
    walls = {}
    for kind in ("sqlite", "journal"):
        with tempfile.TemporaryDirectory(prefix=f"storage-{kind}-") as tmp:
            conc = concurrent(kind, Path(tmp), args.writers, args.trials, args.steps)
            killed = kills(kind, Path(tmp), args.kills, args.steps, args.seed)
        walls[kind] = conc["wall_s"]
        print(
            f"{kind:8} concurrent: {conc['wall_s']:.1f} s, {conc['errors']} failed calls, "
            f"{conc['complete']}/{conc['expected']} trials complete | kill -9 x{killed['kills']}: "
            f"loads after every kill: {killed['loads_after_every_kill']}, {killed['trials']} trials, "
            f"{killed['told_but_lost']} told but lost, {killed['left_running_then_failed']} left running "
            f"(then marked failed), slowest reopen + repair {killed['slowest_check_s']:.1f} s",
            flush=True,
        )
    print(f"wall time ratio journal/sqlite: {walls['journal'] / walls['sqlite']:.2f}")


if __name__ == "__main__":
    main()
