"""The footer is built again only when the keys it shows change (issue 14, faster first frame).

Textual's footer rebuilt its keys on every focus change and every ``refresh_bindings``: six times
before the setup screen's first frame was idle, each key styled twice each time.
"""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from tuitrain.ui.widgets.footer import KeysFooter


def shown_keys(footer: KeysFooter) -> list[FooterKey]:
    return list(footer.query(FooterKey))


async def test_the_setup_footer_keeps_its_keys_while_focus_moves_and_they_stay_the_same(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.setup.query_one(KeysFooter)
        keys = shown_keys(footer)
        assert [key.description for key in keys][:2] == ["Start", "Save"]
        # Built compact: the class is there before the key is first styled, not added after.
        assert all(key.has_class("-compact") for key in keys)
        focused = app.focused
        await pilot.press("tab", "tab")  # focus moves on to the form's fields
        await pilot.pause()
        assert app.focused is not focused
        app.setup.refresh_bindings()  # asked to show the keys again: nothing changed
        await pilot.pause()
        assert shown_keys(footer) == keys  # the very same widgets: not rebuilt


async def test_the_setup_footer_is_rebuilt_when_a_key_it_shows_changes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = app.setup
        await setup.form.show_section("training")
        await pilot.pause()
        footer = setup.query_one(KeysFooter)

        def start_key() -> FooterKey:
            return next(key for key in shown_keys(footer) if key.action == "start")

        assert not start_key().has_class("-disabled")
        epochs = next(field.editor for field in setup.form.issue_targets().values() if field.path == "training.epochs")
        assert isinstance(epochs, Input)
        epochs.value = "0"  # an error: Start is shown disabled
        await pilot.pause()
        assert start_key().has_class("-disabled")
        epochs.value = "3"
        await pilot.pause()
        assert not start_key().has_class("-disabled")
