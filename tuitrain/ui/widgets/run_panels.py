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
from tuitrain.runs.events import GpuUsage
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
        # (priority, text, style): when the line is too long the least telling parts go first, so the
        # learning rate and the GPU stay in view at 80 columns where the device name would push them out.
        parts: list[tuple[int, str, str]] = [
            (0, printable(run.name), "bold"),
            (0, f"[{run.state}]", _rich_style(state_style)),
            (1, epoch, ""),
        ]
        if run.learning_rates:
            lr_now = run.learning_rates[-1]
            lr_text = f"lr {short(lr_now)}"
            if run.learning_rate_changed():
                lr_text = f"lr {short(run.learning_rates[0])}→{short(lr_now)}"
            parts.append((1, lr_text, ""))
        if run.gpu is not None:
            parts.append((2, gpu_text(run.gpu), ""))
        parts.append((4, printable(run.device or "device ?"), ""))
        if run.params is not None:
            parts.append((5, f"{run.params:,} params", ""))
        if run.reason and run.ended:
            parts.append((3, printable(run.reason), _rich_style("$error" if run.state != "finished" else "")))
        room = width - 2
        # A long run name gives way to the epoch, the rate and the GPU (cut at its end, never below 16).
        kept = sum(len(t) + 2 for priority, t, _ in parts[1:] if priority <= 2)
        name = parts[0][1]
        if len(name) > max(room - kept, 16):
            parts[0] = (0, name[: max(room - kept, 16) - 1] + "…", "bold")
        while len(parts) > 2 and sum(len(t) for _, t, _ in parts) + 2 * (len(parts) - 1) > room:
            parts.remove(max(reversed(parts), key=lambda part: part[0]))
        first = Text("  ").join(Text(text, style=style) for _, text, style in parts)
        first.truncate(room, overflow="ellipsis")

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


def gpu_text(gpu: GpuUsage) -> str:
    """The GPU reading in a few characters: "GPU 3.1/16G 87%"."""
    gib = 2**30
    text = f"GPU {gpu.memory_used / gib:.1f}/{gpu.memory_total / gib:.0f}G"
    if gpu.utilization is not None:
        text += f" {gpu.utilization:.0f}%"
    return text


def _rich_style(style: str) -> str:
    # Static renders Rich Text: Textual's $variables are for CSS only, so map them to plain words.
    return style.replace("$success", "green").replace("$warning", "yellow").replace("$error", "red")


class FlagsPanel(Vertical):
    """The analysis in words: the summary sentences (always in view), then every flag with its epoch.

    Flags are listed newest first, so in a short terminal the one just raised is the one in full view;
    the list scrolls, the summary above it does not, and a line under the list says how much is below.
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
    FlagsPanel #flags-more {
        height: 1;
        color: $text-muted;
        text-style: italic;
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
        yield Static("", id="flags-more", markup=False)

    def on_mount(self) -> None:
        self.watch(self.query_one("#flags-list", VerticalScroll), "scroll_y", self._show_more, init=False)
        self._show_more()

    def _show_more(self, _scroll_y: float = 0.0) -> None:
        """Say how much of the list is out of view below, and how to scroll to it (a list that scrolls shows so)."""
        flags_list = self.query_one("#flags-list", VerticalScroll)
        hidden = max(0, round(flags_list.max_scroll_y - flags_list.scroll_y)) if flags_list.display else 0
        more = self.query_one("#flags-more", Static)
        more.display = hidden > 0
        if hidden:
            more.update(f"▼ {hidden} more line{'s' if hidden != 1 else ''} below: scroll, or tab to the list and ↓")

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
        self.call_after_refresh(self._show_more)
