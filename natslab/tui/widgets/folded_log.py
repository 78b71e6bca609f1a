"""A server's log as folded, compact lines that wrap: drawn line by line, only what shows."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable

from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.events import MouseScrollUp
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from natslab.cluster.logformat import LogFolder
from natslab.present.renderings import entry_plain, entry_text


class FoldedLog(ScrollView, can_focus=True):
    """Entries of a LogFolder, wrapped at the pane's width between words (log lines are
    ASCII), so a new or updated entry costs its length and drawing costs what is visible."""

    DEFAULT_CSS = "FoldedLog { height: 1fr; scrollbar-size-vertical: 1; }"

    def __init__(self, limit: int, id: str | None = None) -> None:
        super().__init__(id=id)
        self.limit = limit
        self.raw_lines: deque[str] = deque(maxlen=limit)
        self.folder = LogFolder(limit)
        self.show_raw = False
        self.pattern: re.Pattern[str] | None = None
        self._plain: list[str] = []  # each entry's text: rows are known without drawing
        self._rows: list[int] = []  # each entry's rows at self._width (computed once)
        self._starts: list[int] = [0]  # first row of each entry, and the total at the end
        # A few screens of drawn rows: enough to scroll back and forth without drawing again;
        # each Strip carries seven caches of its own, all of them objects the collector walks.
        self._cache: LRUCache[tuple[int, int, int], Strip] = LRUCache(256)
        self._text_cache: LRUCache[int, Text] = LRUCache(256)
        self._seen = 0
        self._width = 0
        self._base = 0  # entries dropped so far: rows are cached by entry number, not index
        self._rows_of_last = 0
        self.follow = True
        self.cited: frozenset[str] = frozenset()  # lines the current step's checks quoted
        self._match_at: int | None = None  # the search's current match, by entry number

    # --- feeding -----------------------------------------------------------------------

    def add(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.raw_lines.append(line)
            self.folder.add(line)
        self._sync()

    # Following the end stops while the reader scrolls back, and resumes at the end.
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new >= self.max_scroll_y and self.pattern is None:  # a search holds the place
            self.follow = True

    def _stop_following(self) -> None:
        if self.max_scroll_y > 0:
            self.follow = False

    def action_scroll_up(self) -> None:
        self._stop_following()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._stop_following()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._stop_following()
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: MouseScrollUp) -> None:
        self._stop_following()
        super()._on_mouse_scroll_up(event)

    def refold(self, fold: bool | None = None, raw: bool | None = None) -> None:
        """Show the kept lines again, folded or not, compact or raw."""
        if raw is not None:
            self.show_raw = raw
        self.folder = LogFolder(self.limit, self.folder.fold if fold is None else fold)
        for line in self.raw_lines:
            self.folder.add(line)
        self._plain, self._rows, self._seen = [], [], 0
        self._cache.clear()
        self._text_cache.clear()
        self._sync()
        if self.pattern is not None:  # the entries are others now: the latest match again
            found = self.matches()
            self._match_at = found[-1] if found else None
            self.call_after_refresh(self._show_match)

    def mark(self, pattern: re.Pattern[str] | None) -> None:
        """Mark a search pattern and show its latest match; the reader's place then holds,
        whatever the server logs, until the search is left (None clears it and follows the
        end again)."""
        self.pattern = pattern
        self._cache.clear()  # every row is drawn anew, with or without marks
        self.refresh()
        if pattern is None:
            self._match_at, self.follow = None, True
            self.call_after_refresh(self.scroll_end, animate=False)
            return
        found = self.matches()
        self._match_at = found[-1] if found else None
        self.follow = False
        self._show_match()

    def matches(self) -> list[int]:
        """The entries (by number) whose text matches the search, oldest first."""
        if self.pattern is None:
            return []
        return [self._base + i for i, line in enumerate(self.lines) if self.pattern.search(line)]

    def step_match(self, step: int) -> None:
        """To the next (1) or previous (-1) match, round the end."""
        found = self.matches()
        if not found:
            return
        if self._match_at in found:
            self._match_at = found[(found.index(self._match_at) + step) % len(found)]
        else:  # it scrolled out of the kept lines: start again from the newest
            self._match_at = found[-1]
        self._show_match()

    def match_position(self) -> tuple[int, int]:
        """(which match is shown, 1-based; how many there are)."""
        found = self.matches()
        return (found.index(self._match_at) + 1 if self._match_at in found else 0, len(found))

    def _show_match(self) -> None:
        if self._match_at is None:
            return
        index = self._match_at - self._base
        if 0 <= index < len(self._starts) - 1:
            self.scroll_to(y=max(0, self._starts[index] - self.size.height // 2), animate=False)

    def cite(self, lines: frozenset[str]) -> None:
        """Mark the entries holding these lines (what the current step's checks quoted)."""
        if lines != self.cited:
            self.cited = lines
            self._text_cache.clear()
            self._cache.clear()
            self.refresh()

    @property
    def lines(self) -> list[str]:
        """What each entry reads, as plain text."""
        return [entry_plain(entry, self.show_raw) for entry in self.folder.entries]

    def entry_at(self, y: int) -> int:
        """The entry drawn on row y of the whole log."""
        return bisect_right(self._starts, y) - 1

    # --- keeping rows in step with the folder ------------------------------------------

    def _sync(self) -> None:
        entries, plain = self.folder.entries, self._plain
        new = self.folder.added - self._seen
        dropped = max(0, len(plain) + new - len(entries))  # the folder's bound let them go
        del plain[:dropped]
        del self._rows[:dropped]
        self._base += dropped
        if plain:
            # The last shown entry may have folded in more lines since: it reads anew.
            index = len(plain) - 1
            plain[index] = entry_plain(entries[index], self.show_raw)
            self._text_cache.discard(self._base + index)
            for part in range(self._rows_of_last + 1):
                self._cache.discard((self._base + index, part, self._width))
        first_changed = max(len(plain) - 1, 0)
        plain += [entry_plain(entries[i], self.show_raw) for i in range(len(plain), len(entries))]
        self._seen = self.folder.added
        self._layout(first_changed, rebuild=dropped > 0)

    def _layout(self, first: int = 0, rebuild: bool = True) -> None:
        """Wrap entries from `first` on (their text is new or changed) and lay out the rows:
        all of them when `rebuild` (a drop, a resize), else from `first`. An entry is
        wrapped once per width; after a drop the others' row counts only add up again."""
        width = max(1, self.scrollable_content_region.width or self.size.width or 80)
        rows = self._rows
        if width != self._width:
            first, rebuild = 0, True
        del rows[first:]
        rows += [len(row_starts(text, width)) for text in self._plain[len(rows) :]]
        if rebuild:
            starts = [0, *itertools.accumulate(rows)]
        else:
            starts = self._starts
            del starts[first + 1 :]
            starts += itertools.accumulate(rows[first:], initial=starts[-1])
            del starts[first + 1]  # accumulate repeats its initial value first
        self._starts, self._width = starts, width
        self._rows_of_last = starts[-1] - starts[-2] if len(starts) > 1 else 0
        self._grow_to(Size(width, starts[-1]))
        self.refresh()
        if self.follow and self.is_mounted:
            # After the rows are laid out: a scrollbar appearing narrows them, adding rows.
            self.call_after_refresh(self.scroll_end, animate=False)

    def _grow_to(self, size: Size) -> None:
        """A longer or shorter log that already scrolls, and still will, changes only its
        scrollbar: set without the layout of the whole screen that the reactive asks for
        (under a log flood that layout, several times a second, was what held keys up)."""
        height = self.container_size.height
        before = self.virtual_size
        if (
            self.is_mounted
            and size.width == before.width
            and min(before.height, size.height) > height > 0
        ):
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)  # Textual's own: the scrollbar's thumb, the clamped offset
        else:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._cache.clear()
        self._layout(0)  # shown again, or at a new size: the end is elsewhere now

    def _fit_width(self) -> None:
        if self.scrollable_content_region.width not in (0, self._width):
            self._cache.clear()
            self._layout(0)

    # --- drawing -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if y == 0 and self.scrollable_content_region.width not in (0, self._width):
            # The scrollbar came or went without a resize: lay the rows out again, after
            # this frame (not while it is drawn).
            self.call_after_refresh(self._fit_width)
        return self.strip_at(self.scroll_offset.y + y)

    def first_row(self, index: int) -> int:
        """The row an entry starts on."""
        return self._starts[index]

    def strip_at(self, row: int) -> Strip:
        """Row `row` of the whole log, as drawn."""
        width = self._width or self.size.width
        if row >= self._starts[-1] or not self._plain:
            return Strip.blank(self.size.width, self.rich_style)
        index = self.entry_at(row)
        part = row - self._starts[index]
        key = (self._base + index, part, width)
        strip = self._cache.get(key)
        if strip is None:
            rows = row_starts(self._plain[index], width)
            end = rows[part + 1] if part + 1 < len(rows) else None
            piece = self._text(index)[rows[part] : end]
            if self.pattern is not None:
                piece.highlight_regex(self.pattern, "reverse bold")
            segments = list(piece.render(self.app.console, end=""))
            strip = Strip(Segment.apply_style(segments, self.rich_style), piece.cell_len)
            strip = strip.crop_extend(0, self.size.width, self.rich_style)
            self._cache[key] = strip
        return strip

    def _text(self, index: int) -> Text:
        """An entry's styled text, built only when one of its rows is drawn."""
        number = self._base + index
        text = self._text_cache.get(number)
        if text is None:
            entry = self.folder.entries[index]
            cited = bool(self.cited) and (entry.raw in self.cited or entry.first_raw in self.cited)
            text = entry_text(entry, self.show_raw, cited)
            self._text_cache[number] = text
        return text


def row_starts(text: str, width: int) -> list[int]:
    """Where each row of `text` starts when wrapped at `width`: after the last space that
    fits (so a wrapped row ends in a space), or at the width when a word is longer than a
    row (a long name or address)."""
    starts, start, length = [0], 0, len(text)
    while length - start > width:
        space = text.rfind(" ", start + 1, start + width)
        start = space + 1 if space > start else start + width
        starts.append(start)
    return starts
