"""The data folder on the Data tab: where the trainer looks first for mnist.npz, imdb.npz, ..."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from tuitrain.ui.widgets.fields import FormPart
from tuitrain.ui.widgets.path_input import PathInput


class DataFolderField(Vertical):
    """Edits the folder searched first for a built-in data set's files (``--data-dir``).

    Not part of the experiment: it belongs to this machine, so it is kept by the app for every run
    it starts, not saved in presets. Posts :class:`DataFolderField.Changed` as it is edited.
    """

    DEFAULT_CSS = """
    DataFolderField {
        height: auto;
        margin-top: 1;
    }
    DataFolderField > Horizontal {
        height: auto;
    }
    DataFolderField .field-label {
        padding-right: 1;
    }
    DataFolderField PathInput {
        width: 1fr;
        max-width: 72;
    }
    """

    help_text = (
        "data folder: searched first for the data set's files (mnist.npz, imdb.npz, the Fashion-MNIST .gz files), "
        "then $TUITRAIN_DATA and ~/.keras/datasets. Tab completes a path. Kept for this session, not in the preset."
    )

    class Changed(Message):
        """The data folder was edited; ``folder`` is None when the field is empty."""

        def __init__(self, folder: Path | None) -> None:
            super().__init__()
            self.folder = folder

    def __init__(self, folder: Path | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._folder = folder

    def compose(self) -> ComposeResult:
        with Horizontal():
            label = Label("data folder", classes="field-label")
            label.styles.width = FormPart.LABEL_WIDTH
            yield label
            yield PathInput(
                str(self._folder) if self._folder is not None else "",
                folders_only=True,
                placeholder="(default: $TUITRAIN_DATA, ~/.keras/datasets)",
                compact=True,
                id="data-folder",
                select_on_focus=False,
            )

    @on(Input.Changed, "#data-folder")
    def _edited(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        self.post_message(self.Changed(Path(text).expanduser() if text else None))
