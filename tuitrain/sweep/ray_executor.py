"""Trials on a Ray cluster: the executor of ``[execution] backend = "ray"`` (``tuitrain sweep run --ray ADDRESS``).

The only module of tuitrain that imports Ray (an import-linter contract keeps it so); the controller
imports it only for a Ray sweep, and Ray is an optional extra (``pip install 'tuitrain[ray]'``).

**Placement.** Each slot is a Ray actor (:class:`SlotHost`) that reserves one trial's resources
(``num_gpus = 1 / trials_per_gpu`` on a GPU cluster, ``num_cpus = cpus_per_trial``; see
:func:`tuitrain.sweep.executor.plan_cluster_slots`); Ray places it on a node. There it trains each of
its trials exactly as this machine would: a :class:`~tuitrain.sweep.executor.LocalExecutor` for one
slot, starting tuitrain's own trainer process for the run directory (or keeping one warm worker
across trials), stopping it with SIGTERM (the trainer's normal stop path). Ray chooses where; Optuna
samples and prunes in the controller as on one machine; tuitrain schedules nothing itself.

**Run directories on shared storage.** The controller makes each trial's run directory in the sweep
folder, which every node mounts at the same path (NFS or the like); the trainer on the node writes
its events, status and models there, and the controller, ``tuitrain attach``, the monitor and the
sweep screen read them as they read local runs. The alternative (events sent through Ray to the
controller, which writes the folder) was measured and not taken: see the README, "Clusters:
searching on a cluster".

**Faults.** An actor's trainers are tied to it (they die with its process, as with its node). When
Ray reports an actor dead (its worker process or its node died), its trial's run is marked
``crashed`` in its ``status.json`` with everything it wrote kept, and the slot's next trial gets a
new actor wherever Ray finds room. The actors belong to the controller's Ray job: if the controller
(or the head node) is lost, Ray ends them and their trainers; ``tuitrain sweep resume`` then records
those trials as crashed (see :meth:`RayExecutor.alive`) and goes on to the budget.

**Liveness.** ``alive()`` is Ray's view: the actor answers for its trainer process, and an actor Ray
declares dead means its trial is gone. Every call to an actor is asynchronous: the controller's
loop never waits on the cluster.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, RayError, RayTaskError

from tuitrain import launcher, runs
from tuitrain.runs.status import ACTIVE_STATES
from tuitrain.sweep.executor import ClusterPlan, ExecutorError, LaunchError, LocalExecutor, Slot, plan_cluster_slots

ORPHAN_QUIET_SECONDS = 20.0
"""A resumed trial on another node whose run directory has been still this long has no trainer any more.

Its trainer ran under an actor of an earlier controller; Ray ends a job's actors when its driver dies,
which takes seconds. The wait only guards against calling it dead during those seconds."""
CONNECT_SECONDS = 10.0
"""How long the head's port may take to accept a connection (ray.init itself would retry for ever)."""
CLOSE_SECONDS = 30.0
"""How long :meth:`RayExecutor.close` waits for the actors to close their trainers before ending them."""
SETUP_HINT = "see the README, 'Clusters: searching on a cluster'"


class SlotHost:
    """One slot on a node of the cluster (run as a Ray actor): trains its trials as trainer processes there.

    Every method returns at once. Raises ExecutorError when the node cannot see the sweep's folders.
    """

    def __init__(self, trials_dir: str, data_dir: str | None, offline: bool, warm: bool, slot: Slot) -> None:
        self.host = runs.this_host()
        trials = Path(trials_dir)
        if not trials.is_dir():
            raise ExecutorError(
                f"{trials} is not visible on node {self.host}: the runs folder must be on storage every node "
                f"mounts at the same path ({SETUP_HINT})"
            )
        if data_dir is not None and not Path(data_dir).is_dir():
            raise ExecutorError(f"--data-dir {data_dir} is not visible on node {self.host}: share it like the runs")
        self.slot = slot
        self.local = LocalExecutor(
            trials, Path(data_dir) if data_dir else None, offline, warm=warm, die_with_parent=True
        )

    def where(self) -> str:
        """Where this actor runs: its node's name and its pid."""
        return f"{self.host} (pid {os.getpid()})"

    def launch(self, run_dir: str) -> None:
        """Start training ``run_dir`` here (LaunchError if no trainer could be started)."""
        self.local.launch(Path(run_dir), self.slot)

    def stop(self, run_dir: str) -> bool:
        """SIGTERM to the run's trainer: it stops after its current batch, keeping what it trained."""
        return self.local.stop(Path(run_dir))

    def alive(self, run_dir: str) -> bool | None:
        """Whether the run's trainer process still runs on this node."""
        return self.local.alive(Path(run_dir))

    def release(self) -> None:
        """The slot's trial has ended (its trainer's exit status is collected)."""
        self.local.release(self.slot)

    def close(self) -> None:
        """No more trials: a warm worker ends (it is idle by now)."""
        self.local.close()


_SlotActor = ray.remote(SlotHost)


def connect(address: str) -> bool:
    """Connect this process to the Ray cluster at ``address`` ("local": start a Ray instance of its own).

    True when this call connected (so :meth:`RayExecutor.close` disconnects); False when this process
    already was (a test, or a caller that set Ray up itself). ``ray.init`` installs its own SIGTERM
    handler; the caller's (the controller's stop request) is put back. Raises ExecutorError.
    """
    if ray.is_initialized():
        return False
    check_reachable(address)
    main = threading.current_thread() is threading.main_thread()
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)} if main else {}
    options: dict[str, Any] = {"log_to_driver": False}
    try:
        if address == "local":
            ray.init(address="local", include_dashboard=False, **options)
        else:
            ray.init(address=address, **options)
    except Exception as exc:  # Ray raises many kinds here (ConnectionError, RuntimeError, ...): one line for all
        raise ExecutorError(
            f"could not connect to the Ray cluster at {address!r}: {runs.one_line(str(exc))} "
            f"(start one with 'ray start --head', or give its address; {SETUP_HINT})"
        ) from exc
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)
    return True


def check_reachable(address: str) -> None:
    """Raise ExecutorError when nothing accepts connections at a HOST:PORT address (given, or $RAY_ADDRESS
    for "auto"): ray.init would retry for ever. Other forms ("auto" alone, "local", ray://) are Ray's to check.
    """
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS", "")
    host, sep, port = address.rpartition(":")
    if not sep or not host or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ExecutorError(
            f"nothing answers at {address} ({exc.strerror or exc}): is 'ray start --head' running there, "
            f"and its port open from this machine? ({SETUP_HINT})"
        ) from None


def live_nodes() -> list[dict[str, float]]:
    """The resources of every live node of the connected cluster."""
    return [dict(node.get("Resources", {})) for node in ray.nodes() if node.get("Alive")]


def error_line(exc: BaseException) -> str:
    """One line on why a Ray call failed: the trainer side's own error, or why Ray says the actor died."""
    if isinstance(exc, RayTaskError) and exc.cause is not None:
        return runs.one_line(str(exc.cause))
    if isinstance(exc, ActorDiedError) and exc.actor_init_failed:
        lines = [line.strip() for line in (exc.error_msg or "").splitlines() if line.strip()]
        last = lines[-1] if lines else "its actor could not start"
        name, sep, rest = last.partition(": ")
        return rest if sep and name.isidentifier() else last
    text = str(exc)
    marker = "The actor is dead because "
    if marker in text:
        reason = text.split(marker, 1)[1].split(".", 1)[0]
        return runs.one_line(reason)
    return runs.one_line(text.splitlines()[0] if text else type(exc).__name__)


@dataclass
class _Trial:
    """A trial this executor launched: its actor, and the calls to it still in flight."""

    run_dir: Path
    slot: str
    actor: Any
    launching: Any
    """The launch call until it has returned (its error, if any, is the trial's)."""
    probe: Any = None
    """An ``alive`` call in flight."""
    alive: bool | None = None
    ended: bool = False


@dataclass
class _Host:
    """A slot's actor and where Ray placed it (known once its first call returned)."""

    actor: Any
    where_call: Any
    where: str | None = None


@dataclass
class RayExecutor:
    """Trials on a Ray cluster, one actor per slot (see the module docstring). Connects on creation.

    ``trials_dir``, ``data_dir`` must be at the same path on every node; ``address`` as
    :func:`connect` takes it; ``warm`` keeps one trainer per slot alive across trials (``workers``).
    """

    trials_dir: Path
    data_dir: Path | None = None
    offline: bool = False
    warm: bool = True
    address: str = "auto"
    cpus_per_trial: int = 1
    _plan: ClusterPlan | None = field(default=None, repr=False)
    _hosts: dict[str, _Host] = field(default_factory=dict, repr=False)
    _trials: dict[Path, _Trial] = field(default_factory=dict, repr=False)
    _loose: list[Any] = field(default_factory=list, repr=False)
    _connected: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.trials_dir = Path(self.trials_dir).resolve()
        self._connected = connect(self.address)

    # ------------------------------------------------------------ the Executor protocol

    def plan(self, parallel: int | str, trials_per_gpu: int, trials: int) -> list[Slot]:
        """Slots sized to the cluster's live nodes now (:func:`plan_cluster_slots`)."""
        self._plan = plan_cluster_slots(live_nodes(), parallel, trials_per_gpu, self.cpus_per_trial, trials)
        return list(self._plan.slots)

    def launch(self, run_dir: Path, slot: Slot) -> None:
        """Hand the trial to the slot's actor (made first if the slot has none, or its last one died)."""
        run_dir = Path(run_dir).resolve()
        try:
            host = self._hosts.get(slot.name) or self._start_host(slot)
            call = host.actor.launch.remote(str(run_dir))
        except RayError as exc:
            raise LaunchError(f"Ray could not take the trial: {error_line(exc)}") from exc
        self._trials[run_dir] = _Trial(run_dir, slot.name, host.actor, call)

    def stop(self, run_dir: Path) -> bool:
        """Ask the trial's actor to stop its trainer (SIGTERM there); False if no actor trains it."""
        trial = self._trials.get(Path(run_dir).resolve())
        if trial is None or trial.ended:
            return launcher.stop_run(run_dir)  # a resumed trial: only a trainer on this machine can be reached
        self._loose.append(trial.actor.stop.remote(str(trial.run_dir)))
        return True

    def alive(self, run_dir: Path) -> bool | None:
        """Ray's view of the trial: its actor's answer for its trainer, False once Ray says the actor died.

        None while the trial waits for Ray to place its actor or to answer. A trial this executor did
        not launch (one a resumed sweep picks up) ran under an earlier controller's actors, which Ray
        ended with that controller: on this machine its pid tells; elsewhere it counts as gone once its
        run directory has been still for :data:`ORPHAN_QUIET_SECONDS`, and its run is marked crashed.
        """
        self._drain()
        trial = self._trials.get(Path(run_dir).resolve())
        if trial is None:
            return self._orphan_alive(Path(run_dir))
        if trial.ended:
            return False
        if trial.launching is not None:
            if not _ready(trial.launching):
                return None
            call, trial.launching = trial.launching, None
            try:
                ray.get(call)
            except RayError as exc:
                self._trial_lost(trial, exc, launching=True)
                return False
        if trial.probe is not None and _ready(trial.probe):
            call, trial.probe = trial.probe, None
            try:
                trial.alive = ray.get(call)
            except ActorUnavailableError:
                trial.alive = None  # unreachable for now (a network blip); Ray retries the actor
            except RayActorError as exc:
                self._trial_lost(trial, exc, launching=False)
                return False
        if trial.probe is None:
            trial.probe = trial.actor.alive.remote(str(trial.run_dir))
        return trial.alive

    def release(self, slot: Slot) -> None:
        """The slot's trial has ended: forget it; the actor collects its trainer's exit status."""
        for path in [p for p, t in self._trials.items() if t.slot == slot.name]:
            del self._trials[path]
        host = self._hosts.get(slot.name)
        if host is not None:
            self._loose.append(host.actor.release.remote())
        self._drain()

    def close(self) -> None:
        """End every actor (their trainers with them: by now none trains) and disconnect from Ray."""
        calls = [host.actor.close.remote() for host in self._hosts.values()]
        if calls:
            with contextlib.suppress(RayError):  # an actor that is already gone has nothing to close
                ray.wait(calls, num_returns=len(calls), timeout=CLOSE_SECONDS)
        for host in self._hosts.values():
            with contextlib.suppress(RayError):
                ray.kill(host.actor)
        self._hosts.clear()
        if self._connected:
            ray.shutdown()
            self._connected = False

    # ------------------------------------------------------------ actors

    def _start_host(self, slot: Slot) -> _Host:
        assert self._plan is not None, "plan() comes before launch()"
        actor = _SlotActor.options(
            num_cpus=self._plan.cpus, num_gpus=self._plan.gpus, max_restarts=0, max_concurrency=1
        ).remote(
            str(self.trials_dir),
            str(Path(self.data_dir).resolve()) if self.data_dir else None,
            self.offline,
            self.warm,
            slot,
        )
        host = _Host(actor, actor.where.remote())
        self._hosts[slot.name] = host
        return host

    def _where(self, slot: str) -> str:
        host = self._hosts.get(slot)
        if host is None:
            return "its node"
        if host.where is None and _ready(host.where_call):
            with contextlib.suppress(RayError):
                host.where = ray.get(host.where_call)
        return host.where or "its node"

    def _trial_lost(self, trial: _Trial, exc: RayError, *, launching: bool) -> None:
        """Ray reported the trial's actor dead, or the launch failed: record the run's end and free the slot."""
        why = error_line(exc)
        where = self._where(trial.slot)
        actor_died = isinstance(exc, RayActorError)
        if actor_died:
            self._hosts.pop(trial.slot, None)  # the slot's next trial gets a new actor
            message = f"its Ray actor on {where} ended ({why})"
            state = "failed" if launching and isinstance(exc, ActorDiedError) and exc.actor_init_failed else "crashed"
        else:
            message, state = f"its trainer could not be started on {where}: {why}", "failed"
        for other in self._trials.values():
            if other.slot == trial.slot and (other is trial or actor_died) and not other.ended:
                other.ended = True
                mark_ended(other.run_dir, state, message)

    def _orphan_alive(self, run_dir: Path) -> bool | None:
        known = runs.trainer_alive(run_dir)
        if known is not None:
            return known
        if runs.quiet_for(run_dir) < ORPHAN_QUIET_SECONDS:
            return None
        mark_ended(run_dir, "crashed", "its trainer ran under an earlier controller, whose Ray actors ended with it")
        return False

    def _drain(self) -> None:
        """Collect fire-and-forget calls that have returned (stop, release): their errors show in ``alive``."""
        if not self._loose:
            return
        done, self._loose = ray.wait(self._loose, num_returns=len(self._loose), timeout=0)
        for call in done:
            with contextlib.suppress(RayError):  # a dead actor is reported by the trial's next alive()
                ray.get(call)


def _ready(call: Any) -> bool:
    done, _ = ray.wait([call], timeout=0)
    return bool(done)


def mark_ended(run_dir: Path, state: str, why: str) -> None:
    """Record in a run's ``status.json`` that it ended without its trainer saying so (the trainer is gone).

    Only a run whose status still says it is under way: readers on any machine (``tuitrain attach``,
    ``runs list``, the dashboard) then see it ended, where the trainer's pid on another node could not
    tell them. Its history up to the last finished epoch stays as the trainer wrote it.
    """
    paths = runs.RunPaths(run_dir)
    status = runs.read_status(paths)
    if status is not None and status.state not in ACTIVE_STATES:
        return
    record = runs.load_run(run_dir)
    done = record.epochs_done
    kept = f"history kept up to epoch {done}" if done else "no epoch had finished"
    base = status or runs.RunStatus(state="pending")
    runs.write_status(
        paths,
        base.model_copy(
            update={"state": state, "ended_at": time.time(), "epochs_done": done, "message": f"{why}; {kept}"}
        ),
    )
