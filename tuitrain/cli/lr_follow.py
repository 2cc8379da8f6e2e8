"""How ``tuitrain lr-find`` follows its range test: batches instead of epochs, then the chart."""

from __future__ import annotations

from dataclasses import dataclass

from tuitrain.cli.common import console, err_console
from tuitrain.cli.follow import EXIT_CODES, Follower
from tuitrain.cli.lr_find_cmd import print_report
from tuitrain.runs.events import LrStep, RunStarted
from tuitrain.runs.tail import TailEvent

PLAIN_EVERY = 25
"""Batches between progress lines when the output is not a terminal."""


@dataclass
class LrFollower(Follower):
    """:class:`~tuitrain.cli.follow.Follower` for a range test: batches instead of epochs, then the chart."""

    steps_total: int = 300
    apply_hint: str = ""

    def show(self, event: TailEvent) -> None:
        """Print one event: a batch's rate and losses, the start; the rest as a run's follower does."""
        match event:
            case LrStep():
                text = f"lr {event.learning_rate:.3g}  loss {event.loss:.4g}  smoothed {event.smoothed_loss:.4g}"
                if self._progress is not None:
                    self._progress.update(
                        self._task,
                        description="range test",
                        completed=event.step,
                        total=self.steps_total,
                        metrics=text,
                        eta="",
                    )
                elif event.step % PLAIN_EVERY == 0:
                    self._note(f"batch {event.step}/{self.steps_total}  {text}")
            case RunStarted():
                samples = f"{event.train_samples:,} training samples, {event.steps_per_epoch} batches per epoch"
                self._note(f"{event.device}; {samples}")
            case _:
                super().show(event)

    def _summary(self) -> None:
        console.print()
        state = self.state or "crashed"
        if EXIT_CODES.get(state, 1) != 0:
            err_console.print(f"tuitrain: {state}: {self.reason or 'no reason recorded'}", markup=False, soft_wrap=True)
        print_report(self.run_dir, interactive=self.interactive, apply_hint=self.apply_hint)
