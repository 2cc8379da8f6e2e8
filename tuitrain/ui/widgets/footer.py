"""The screens' footer: Textual's, rebuilt only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """Textual's :class:`~textual.widgets.Footer`, rebuilt only when the keys it would show change.

    Textual's footer throws its keys away and builds them again whenever the screen's bindings may
    have changed: every focus change and every ``refresh_bindings``. Each rebuild styles every key
    twice (once mounted, once more when it takes the footer's compact class), which was a fifth of the
    setup screen's first frame. Here a rebuild happens only when the keys shown (key, words, enabled,
    tooltip) differ from the last ones, and the keys are built with the compact class already set.
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette, id=id)
        self._shown: Hashable | None = None
        """What the keys on show were built from (None: nothing built yet)."""

    def _keys_to_show(self) -> Hashable:
        """Everything the footer's keys are built from, as one comparable value."""
        active = self.screen.active_bindings
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in active.values()
            if binding.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette_key = None if palette is None else (palette.binding.description, palette.enabled, palette.tooltip)
        return keys, palette_key, self.compact, self.show_command_palette

    def compose(self) -> ComposeResult:
        """Textual's keys, each given the compact class before it is styled (not after it is mounted)."""
        self._shown = self._keys_to_show() if self._bindings_ready else None
        for widget in super().compose():  # a key in a group passes here too (the group is not yielded)
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        """Rebuild the keys after the next refresh, if what they show changed by then."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        if self.is_attached and self._keys_to_show() != self._shown:
            await self.recompose()
