"""The sweep screen's leaderboard: a :class:`~textual.widgets.DataTable` that repaints only the rows that changed.

Textual's ``DataTable`` forgets every rendered cell and line of the table on any change (its caches are
keyed by one update counter for the whole table: ``update_cell``, ``add_row`` and ``sort`` all bump it),
so a single changed cell makes it render every visible row again, each cell through Rich: with 200
trials that was most of the sweep screen's time per refresh. Here :meth:`Leaderboard.update_rows` writes
a refresh's changed cells at once, :meth:`Leaderboard.append_rows` adds rows and
:meth:`Leaderboard.reorder` re-sorts, each forgetting only the renders of the rows it changed or moved;
when a column's width changes every row is drawn again (the whole table moves), exactly as the
DataTable does. A one-line Text cell is drawn without Rich's rendering (:meth:`Leaderboard._render_cell`).

This leans on the DataTable's private caches (``textual>=8,<9``, see ``pyproject.toml``);
``tests/ui/test_leaderboard.py`` checks that what is drawn after each kind of change is what a plain
DataTable draws, cell by cell and line by line, so a Textual release that changes them fails there
rather than showing stale rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual._types import SegmentLines
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowKey

Cell = str | Text
ROWS_REFRESHED_ALONE = 8
"""Up to this many changed rows are repainted one by one; more, and the visible part is (from the caches)."""


class Leaderboard(DataTable[Cell]):
    """A DataTable whose rows change in place, repainting only what changed (see the module's docstring)."""

    row_repaints = 0
    """How many rows :meth:`update_rows` repainted without repainting the others (for tests)."""
    full_repaints = 0
    """How many times :meth:`update_rows` had to repaint the whole table (a column's width moved)."""
    layouts_asked = 0
    """How many times a change of the table's virtual size asked for the screen to be laid out (for tests)."""

    # Textual lays the whole screen out again whenever a widget's virtual size changes (``Widget.virtual_size``
    # is a layout reactive), so each ended trial's new row cost the sweep screen a full layout and repaint
    # (about 65 ms at 200x60 with 200 trials). Only the table's width follows its content (``width: auto``);
    # its height is set by the screen (``1fr``): a taller table only moves the scrollbar, which
    # ``_scroll_update`` redraws (and a scrollbar that appears or goes still lays the screen out, through
    # its own reactive). Nor does a taller table repaint every row: only the lines that it gained.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=False)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        if not self.is_mounted:
            return
        height = self.styles.height
        if old.width != new.width or height is None or height.is_auto:
            self.layouts_asked += 1
            self.refresh(layout=True)
            return
        self._scroll_update(new)
        if new.height < old.height:
            self.refresh()  # rows went: everything below them moved up
            return
        # Rows were added at the end (whoever changed other rows repainted them): paint the lines gained.
        scroll_y = round(self.scroll_y)
        self.refresh(Region(0, old.height - scroll_y, self.size.width, new.height - old.height))

    def _refresh_lines_of(self, indexes: Collection[int]) -> None:
        """Repaint the visible lines of the rows at ``indexes``: one band from the first to the last of them
        (every row when rows are taller than a line or fixed, where a row's line is not header + index)."""
        if not indexes:
            return
        if self.fixed_rows or any(row.height != 1 for row in self.rows.values()):
            self.refresh()
            return
        header = self.header_height if self.show_header else 0
        scroll_y = round(self.scroll_y)
        top = max(header, header + min(indexes) - scroll_y)
        bottom = min(self.size.height - 1, header + max(indexes) - scroll_y)
        if top <= bottom:
            self.refresh(Region(0, top, self.size.width, bottom - top + 1))

    def update_rows(self, changes: Mapping[str, Mapping[str, Cell]], widened: Collection[str] = ()) -> None:
        """Write ``changes`` (row key -> column key -> new cell) and repaint the rows they touch.

        ``widened``: the columns whose widest cell changed; the table measures those cells again and, as
        its columns move, repaints in full. Raises :class:`CellDoesNotExist` for an unknown row or column.
        """
        if not changes:
            return
        rows = [RowKey(key) for key in changes]
        for row_key, cells in zip(rows, changes.values(), strict=True):
            if row_key not in self._row_locations:
                raise CellDoesNotExist(f"No row with the key {row_key.value!r}.")
            data = self._data[row_key]
            for column, value in cells.items():
                column_key = ColumnKey(column)
                if column_key not in self._column_locations:
                    raise CellDoesNotExist(f"No column with the key {column!r}.")
                data[column_key] = value
                if column in widened:
                    self._updated_cells.add(CellKey(row_key, column_key))
        if widened:
            self._require_update_dimensions = True
            self._update_count += 1  # every cache entry is stale: the columns moved
            self.full_repaints += 1
            self.refresh()
            return
        self._forget_rows(set(rows))
        self.row_repaints += len(rows)
        if len(rows) > ROWS_REFRESHED_ALONE:
            # One band over them: finding each row's region costs more, and the rows between come from the caches.
            self._refresh_lines_of([index for key in rows if (index := self._row_locations.get(key)) is not None])
            return
        for row_key in rows:
            self.refresh_row(self._row_locations.get(row_key))

    def append_rows(self, rows: Sequence[tuple[str, Sequence[Cell]]], widens: bool = True) -> None:
        """Add ``rows`` (key, cells) at the end. When they widen no column (``widens`` False) the rows
        already drawn keep their renders: only the new rows are drawn (``add_row`` alone draws every row)."""
        if not rows:
            return
        count = self._update_count
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if widens:
            self.full_repaints += 1
            self.refresh()  # a wider column moves the whole table
            return
        # Rows are appended: the indexes of the rows drawn so far did not move, nor did the columns. The
        # new rows' lines are painted when the table's height grows (watch_virtual_size).
        self._update_count = count
        self._offset_cache.clear()
        self._ordered_row_cache.clear()
        self._forget_rows({RowKey(key) for key, _ in rows})

    def reorder(self, keys: Sequence[str]) -> None:
        """Show the rows in the order of ``keys`` (each row's key once), as ``sort`` would; only the rows
        whose place changed are drawn again (``sort`` draws every row again)."""
        locations = TwoWayDict({RowKey(key): index for index, key in enumerate(keys)})
        if len(locations) != len(self._row_locations) or any(key not in self._row_locations for key in locations):
            raise ValueError("reorder needs every row's key, once each.")
        moved = {key for key in locations if locations.get(key) != self._row_locations.get(key)}
        if not moved:
            return
        # By their old indexes: the places they move to are the old places of other rows that moved.
        indexes = [index for key in moved if (index := self._row_locations.get(key)) is not None]
        self._forget_rows(moved)
        self._row_locations = locations
        self._offset_cache.clear()
        self._ordered_row_cache.clear()
        self._refresh_lines_of(indexes)

    def _forget_rows(self, rows: set[RowKey]) -> None:
        """Drop the cached renders of ``rows`` (by key, and by their current index), and the cached lines
        they are drawn on: a repaint of the whole table then rebuilds only those lines."""
        indexes = {self._row_locations.get(key) for key in rows}
        # By the keys' plain values: a RowKey hashes in Python, and the caches hold thousands of entries.
        values = {key.value for key in rows}
        # LRUCache has keys() but no __iter__: hence .keys() below.
        for key in [k for k in self._row_renderable_cache.keys() if k[1] in indexes]:  # noqa: SIM118
            self._row_renderable_cache.discard(key)
        for key in [k for k in self._cell_render_cache.keys() if k[0].value in values]:  # noqa: SIM118
            self._cell_render_cache.discard(key)
        for key in [k for k in self._row_render_cache.keys() if k[0].value in values]:  # noqa: SIM118
            self._row_render_cache.discard(key)
        if any(self.rows[key].height != 1 for key in rows if key in self.rows) or self.fixed_rows:
            self._line_cache.clear()  # a line's y is not its row's index plus the header
            return
        # Lines are cached by their y in the table: a row of height 1 is line header + its index.
        header = self.header_height if self.show_header else 0
        lines = {header + index for index in indexes if index is not None}
        for key in [k for k in self._line_cache.keys() if k[0] in lines]:  # noqa: SIM118
            self._line_cache.discard(key)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        """One cell's lines: a one-line Text cell that fits its column is built directly as segments (what
        Rich's Padding, Styled and Text rendering make of it, at a fraction of their cost); anything else
        (the header, a row label, an empty cell, one that wraps, is cut or has spans) is left to the
        DataTable. ``tests/ui/test_leaderboard.py`` checks both give the same segments."""
        pad = self.cell_padding
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        row = self.rows.get(row_key) if row_key is not None else None
        cell = self._data[row_key].get(column_key) if row is not None else None
        if (
            row is None
            or row.height != 1
            or not isinstance(cell, Text)
            or not cell.plain  # the DataTable draws an empty cell its own way
            or cell.spans
            or cell.justify not in (None, "default", "left")
            or "\n" in cell.plain
            or "\t" in cell.plain
            or cell_len(cell.plain) > width - 2 * pad
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        is_fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            is_fixed,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        edge = pre_style + post_style
        text_style = self.app.console.get_style(cell.style) if cell.style else None
        plain = cell.plain
        fill = " " * (width - 2 * pad - cell_len(plain))
        line = [Segment(" " * pad, edge)] if pad else []
        line.append(Segment(plain, (pre_style + text_style if text_style else pre_style) + post_style))
        if fill:
            line.append(Segment(fill, edge))
        if pad:
            line.append(Segment(" " * pad, edge))
        lines = [line]
        self._cell_render_cache[cache_key] = lines
        return lines
