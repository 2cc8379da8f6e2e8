"""The monitor's text panels: the run header with progress and timing, and the flags in words.

Both only format what a :class:`~tuitrain.ui.live_run.LiveRun` already knows; neither decides anything.
Everything reads without colour: the state is a word in brackets, the bars are ``█`` and ``░``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tuitrain.analysis import Flag
from tuitrain.formatting import duration, short
from tuitrain.text import printable
from tuitrain.ui.live_run import LiveRun

STATE_STYLES = {
    "pending": "bold",
    "running": "bold $success",
    "finished": "bold",
    "stopped": "bold $warning",
    "diverged": "bold $error",
    "failed": "bold $error",
    "crashed": "bold $error",
}
SEVERITY_MARK = {"info": "i", "warning": "!", "error": "✗"}


def bar(fraction: float, width: int) -> str:
    """A text progress bar ``████░░░░`` of ``width`` cells (no colour needed to read it)."""
    width = max(width, 1)
    fraction = min(max(fraction, 0.0), 1.0)
    full = round(fraction * width)
    return "█" * full + "░" * (width - full)


class RunHeader(Static):
    """Two lines: the run, its state, device and epoch; then the progress bar, elapsed time and ETA."""

    DEFAULT_CSS = """
    RunHeader {
        height: 2;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.text = ""

    def show(self, run: LiveRun, now: float) -> None:
        """Redraw from ``run`` as of ``now`` (only if the text changed)."""
        text = self.format(run, now, self.size.width or 80)
        if text.plain != self.text:
            self.text = text.plain
            self.update(text)

    @staticmethod
    def format(run: LiveRun, now: float, width: int) -> Text:
        """The header text for ``run`` at ``now`` in ``width`` columns."""
        state_style = STATE_STYLES.get(run.state, "bold")
        planned = run.epochs_planned
        epoch = f"epoch {run.epochs_done}/{planned}" if planned else f"epoch {run.epochs_done}"
        first = Text()
        first.append(printable(run.name), style="bold")
        first.append("  ")
        first.append(f"[{run.state}]", style=_rich_style(state_style))
        first.append(f"  {epoch}  {printable(run.device or 'device ?')}")
        if run.params is not None:
            first.append(f"  {run.params:,} params")
        if run.learning_rates:
            lr_now = run.learning_rates[-1]
            lr_text = f"  lr {short(lr_now)}"
            if run.learning_rate_changed():
                lr_text = f"  lr {short(run.learning_rates[0])}→{short(lr_now)}"
            first.append(lr_text)
        if run.reason and run.ended:
            first.append(f"  {printable(run.reason)}", style=_rich_style("$error" if run.state != "finished" else ""))
        first.truncate(width - 2, overflow="ellipsis")

        timing = f"elapsed {duration(run.elapsed(now), '--')}"
        eta = run.eta(now)
        if eta is not None:
            timing += f"  ETA {duration(eta, '--')}"
        p = run.progress
        if p is not None and p.steps:
            counter = f"batch {p.step}/{p.steps} of epoch {p.epoch}"
            fraction = run.epoch_fraction()
        elif planned:
            counter = f"{run.epochs_done}/{planned} epochs"
            fraction = run.epochs_done / planned
        else:
            counter, fraction = "", 0.0
        room = width - 2 - len(counter) - len(timing) - 4
        second = Text()
        if room >= 6:
            second.append(bar(fraction, min(room, 40)))
            second.append(" ")
        second.append(counter)
        second.append("  ")
        second.append(timing)
        second.truncate(width - 2, overflow="ellipsis")
        return Text("\n").join([first, second])


def _rich_style(style: str) -> str:
    # Static renders Rich Text: Textual's $variables are for CSS only, so map them to plain words.
    return style.replace("$success", "green").replace("$warning", "yellow").replace("$error", "red")


class FlagsPanel(Vertical):
    """The analysis in words: the summary sentences (always in view), then every flag with its epoch.

    Flags are listed newest first, so in a short terminal the one just raised is the one in full view;
    the list scrolls, the summary above it does not.
    """

    DEFAULT_CSS = """
    FlagsPanel {
        height: auto;
        padding: 0 1;
        border-top: hkey $foreground 30%;
    }
    FlagsPanel #flags-summary {
        width: 1fr;
    }
    FlagsPanel #flags-list {
        height: auto;
        max-height: 8;
    }
    FlagsPanel #flags-list > Static {
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.summary = ""
        self.flags: tuple[Flag, ...] = ()
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="flags-summary", markup=False)
        with VerticalScroll(id="flags-list"):
            yield Static("", id="flags-text", markup=False)

    def show(self, summary: str, flags: Sequence[Flag], problem: str | None = None) -> None:
        """Show an optional ``problem`` line (why the run ended badly), ``summary``, and ``flags`` (oldest first)."""
        head = Text()
        if problem:
            head.append(f"✗ {printable(problem)}\n", style="bold red")
        head.append(printable(summary), style="bold")
        lines = Text()
        for i, flag in enumerate(reversed(flags)):
            mark = SEVERITY_MARK.get(flag.severity, "·")
            style = "red" if flag.severity == "error" else "yellow" if flag.severity == "warning" else ""
            lines.append(("\n" if i else "") + f"{mark} epoch {flag.epoch}: ", style=style)
            lines.append(printable(flag.message))
        text = head.plain + "\n" + lines.plain
        if text == self.text:
            return
        self.text = text
        self.summary = summary
        self.flags = tuple(flags)
        self.query_one("#flags-summary", Static).update(head)
        self.query_one("#flags-text", Static).update(lines)
        self.query_one("#flags-list", VerticalScroll).display = bool(flags)
        self.query_one("#flags-list", VerticalScroll).scroll_home(animate=False)
