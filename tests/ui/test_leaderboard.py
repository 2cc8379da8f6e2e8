"""The sweep leaderboard's own drawing: the same segments as Textual's DataTable, rows repainted on their own."""

from __future__ import annotations

import random

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from tuitrain.ui.widgets.leaderboard import Leaderboard

CELLS = [
    [Text("★1", style="bold"), Text("7", style="bold"), Text("0.1 @ 3", style="bold"), Text("finished", style="green")],
    [Text("2"), Text("12"), Text("0.25 @ 14"), Text("finished")],
    [Text("-"), Text("3"), Text(""), Text("pruned", style="dim")],
    [Text("-"), Text("4"), Text("日本語"), Text("failed", style="bold red")],  # wide characters
    [Text("-"), Text("5"), Text("a rather long value that is cut", no_wrap=True, overflow="ellipsis"), "plain str"],
]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table = Leaderboard(cursor_type="row", cell_padding=1)
        for key in ("rank", "trial", "value", "state"):
            table.add_column(Text(key), key=key, width=12 if key == "value" else None)
        for number, cells in enumerate(CELLS):
            table.add_row(*cells, key=str(number))
        yield table


async def test_each_cell_is_drawn_exactly_as_the_datatable_draws_it() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(Leaderboard)
        await pilot.pause()
        compared = 0
        for focused in (True, False):
            if not focused:
                app.set_focus(None)
                await pilot.pause()
            for row in range(-1, table.row_count):
                for column, spec in enumerate(table.ordered_columns):
                    width = spec.get_render_width(table)
                    for cursor in (False, True):
                        for hover in (False, True):
                            table._cell_render_cache.clear()
                            ours = table._render_cell(row, column, table.rich_style, width, cursor, hover)
                            table._cell_render_cache.clear()
                            theirs = DataTable._render_cell(table, row, column, table.rich_style, width, cursor, hover)
                            assert ours == theirs, (row, column, cursor, hover, focused)
                            compared += 1
        assert compared == 2 * 6 * 4 * 4


async def test_update_rows_repaints_the_changed_rows_and_a_wider_cell_the_whole_table() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(Leaderboard)
        await pilot.pause()

        def line(y: int) -> str:
            return "".join(segment.text for segment in table.render_line(y))

        table.update_rows({"1": {"rank": Text("3"), "state": Text("pruned")}})
        await pilot.pause()
        assert line(2).split()[:2] == ["3", "12"] and "pruned" in line(2)
        assert table.row_repaints == 1 and table.full_repaints == 0
        table.update_rows({"2": {"value": Text("0.987654321 @ 10")}}, widened={"value"})
        await pilot.pause()
        assert table.full_repaints == 1 and "0.987654321 " in line(3)  # cut to the fixed width
        assert table.columns["value"].get_render_width(table) == 12 + 2  # a fixed-width column stays fixed


LABELS = ("rank", "trial", "value")


class PairApp(App[None]):
    """A Leaderboard and a plain DataTable, fed the same changes (the plain one through its own API)."""

    def compose(self) -> ComposeResult:
        for table in (Leaderboard(cursor_type="row", id="ours"), DataTable(cursor_type="row", id="theirs")):
            for key in LABELS:
                table.add_column(Text(key), key=key)
            yield table


async def test_rows_changed_added_and_reordered_are_drawn_as_the_datatable_draws_them() -> None:
    rng = random.Random(13)
    app = PairApp()
    async with app.run_test(size=(80, 30)) as pilot:
        ours, theirs = app.query_one("#ours", Leaderboard), app.query_one("#theirs", DataTable)
        rows: dict[str, list[Text]] = {}

        def drawn(table: DataTable) -> list[str]:
            return ["".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)]

        for step in range(60):
            kind = rng.choice(["change", "change", "add", "order"]) if rows else "add"
            widths = [max([len(label), *(len(row[i]) for row in rows.values())]) for i, label in enumerate(LABELS)]
            if kind == "change":
                key = rng.choice(list(rows))
                value = Text(str(rng.random())[: rng.randint(3, 9)], style=rng.choice(["", "bold", "dim"]))
                rows[key][2] = value
                wider = max([5, *(len(row[2]) for row in rows.values())]) != widths[2]
                ours.update_rows({key: {"value": value}}, widened={"value"} if wider else ())
                theirs.update_cell(key, "value", value, update_width=True)
            elif kind == "add":
                key = str(len(rows))
                rows[key] = [Text(str(rng.randint(1, 99))), Text(key), Text("x" * rng.randint(1, 6))]
                widens = any(len(cell) > width for cell, width in zip(rows[key], widths, strict=True))
                ours.append_rows([(key, rows[key])], widens=widens)
                theirs.add_row(*rows[key], key=key)
            else:
                order = list(rows)
                rng.shuffle(order)
                ours.reorder(order)
                position = {key: i for i, key in enumerate(order)}
                theirs.sort("trial", key=lambda cell: position[str(cell)])
            if rng.random() < 0.3:
                row = rng.randrange(len(rows))
                ours.move_cursor(row=row)
                theirs.move_cursor(row=row)
            await pilot.pause()
            assert drawn(ours) == drawn(theirs), (step, kind)


class FixedHeightApp(App[None]):
    """The table as the sweep screen sizes it: its height set by the screen, its width by its content."""

    CSS = "Leaderboard { height: 6; width: auto; }"

    def compose(self) -> ComposeResult:
        table = Leaderboard(cursor_type="row", cell_padding=1)
        table.add_column(Text("trial"), key="trial")
        table.add_column(Text("value"), key="value")
        for number in range(3):
            table.add_row(Text(str(number)), Text("0.5"), key=str(number))
        yield table


async def test_a_new_row_lays_the_screen_out_only_when_the_table_widens_or_its_scrollbar_appears() -> None:
    app = FixedHeightApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(Leaderboard)
        await pilot.pause()
        layouts = [0]
        screen = app.screen
        plain = screen._refresh_layout

        def counted(*args, **kwargs):
            layouts[0] += 1
            return plain(*args, **kwargs)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        asked = table.layouts_asked  # its first sizing, on mount, asked for one
        table.append_rows([("3", [Text("3"), Text("0.4")])], widens=False)  # taller, no scrollbar yet
        await pilot.pause()
        assert layouts[0] == 0 and table.layouts_asked == asked
        assert not table.show_vertical_scrollbar and table.virtual_size.height == 5

        table.append_rows([(str(n), [Text(str(n)), Text("0.4")]) for n in (4, 5, 6)], widens=False)
        await pilot.pause()
        assert table.show_vertical_scrollbar  # the scrollbar appeared: that does lay the screen out
        assert layouts[0] >= 1
        before = layouts[0]
        table.append_rows([("7", [Text("7"), Text("0.3")])], widens=False)  # taller still, scrollbar already there
        await pilot.pause()
        assert layouts[0] == before and table.virtual_size.height == 9
        assert table.vertical_scrollbar.window_virtual_size == 9  # the thumb follows without a layout
        table.scroll_end(animate=False)
        await pilot.pause()
        assert "7" in "".join(s.text for s in table.render_line(table.size.height - 1))

        table.append_rows([("8", [Text("8"), Text("a much longer value")])])  # wider: the screen is laid out
        await pilot.pause()
        assert table.layouts_asked == asked + 1 and layouts[0] > before


async def test_a_changed_row_forgets_only_its_own_cached_line() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(Leaderboard)
        await pilot.pause()
        for y in range(table.size.height):
            table.render_line(y)  # every line drawn once, so cached

        def cached_lines() -> set[int]:
            return {key[0] for key in table._line_cache.keys()}  # noqa: SIM118 (LRUCache has no __iter__)

        before = cached_lines()
        assert {1, 2, 3} <= before  # header on line 0, row i on line 1 + i
        table.update_rows({"1": {"state": Text("stopped")}})
        assert cached_lines() == before - {2}
        await pilot.pause()
        assert "stopped" in "".join(segment.text for segment in table.render_line(2))
        table.reorder(["0", "2", "1", "3", "4"])  # rows 1 and 2 swap: their two lines are drawn again
        assert cached_lines() == before - {2, 3}


class ScrolledPairApp(PairApp):
    """The pair, each table shorter than its rows (so some are scrolled out of view)."""

    CSS = "DataTable { height: 9; width: auto; }"


async def test_every_line_that_changes_on_screen_is_repainted() -> None:
    """The leaderboard repaints bands of lines, not itself whole: a line it forgot to repaint would stay
    stale on the terminal while ``render_line`` (what the other tests compare) is right. So every change
    here is followed by a check that each visible line whose text changed lay in a region it repainted."""
    rng = random.Random(5)
    app = ScrolledPairApp()
    async with app.run_test(size=(80, 24)) as pilot:
        ours, theirs = app.query_one("#ours", Leaderboard), app.query_one("#theirs", DataTable)
        repainted: list[Region | None] = []  # None: the whole table
        plain_refresh = ours.refresh

        def recording_refresh(*regions: Region, repaint: bool = True, layout: bool = False, **kwargs: object):
            if layout or (repaint and not regions):
                repainted.append(None)
            elif repaint:
                repainted.extend(regions)
            return plain_refresh(*regions, repaint=repaint, layout=layout, **kwargs)

        ours.refresh = recording_refresh  # type: ignore[method-assign]
        rows: dict[str, list[Text]] = {}

        def drawn(table: DataTable) -> list[str]:
            return ["".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)]

        checked = 0
        for step in range(80):
            before = drawn(ours)
            repainted.clear()
            kind = rng.choice(["change", "many", "add", "order", "scroll"]) if len(rows) > 3 else "add"
            widths = [max([len(label), *(len(row[i]) for row in rows.values())]) for i, label in enumerate(LABELS)]
            if kind in ("change", "many"):
                keys = rng.sample(list(rows), 1 if kind == "change" else min(len(rows), 12))
                changes = {}
                for key in keys:
                    rows[key][2] = Text(str(rng.random())[: rng.randint(3, 6)])
                    changes[key] = {"value": rows[key][2]}
                    theirs.update_cell(key, "value", rows[key][2], update_width=True)
                wider = max([5, *(len(row[2]) for row in rows.values())]) != widths[2]
                ours.update_rows(changes, widened={"value"} if wider else ())
            elif kind == "add":
                for _ in range(rng.randint(1, 2)):
                    key = str(len(rows))
                    rows[key] = [Text(str(rng.randint(1, 99))), Text(key), Text("x" * rng.randint(1, 5))]
                    widens = any(len(cell) > width for cell, width in zip(rows[key], widths, strict=True))
                    ours.append_rows([(key, rows[key])], widens=widens)
                    theirs.add_row(*rows[key], key=key)
            elif kind == "order":
                order = list(rows)
                if rng.random() < 0.5:
                    rng.shuffle(order)
                else:  # one row moves up by a few places, as a trial ranked anew does
                    i = rng.randrange(len(order))
                    order.insert(max(0, i - rng.randint(1, 6)), order.pop(i))
                ours.reorder(order)
                position = {key: i for i, key in enumerate(order)}
                theirs.sort("trial", key=lambda cell: position[str(cell)])
            else:
                y = rng.randrange(len(rows))
                ours.scroll_to(y=y, animate=False)
                theirs.scroll_to(y=y, animate=False)
            await pilot.pause()
            after = drawn(ours)
            assert after == drawn(theirs), (step, kind)
            if None in repainted:
                continue
            for y, (old, new) in enumerate(zip(before, after, strict=True)):
                if old != new:
                    assert any(r.y <= y < r.y + r.height for r in repainted if r is not None), (step, kind, y)
                    checked += 1
        assert checked > 20  # lines were really checked, not all covered by whole repaints
