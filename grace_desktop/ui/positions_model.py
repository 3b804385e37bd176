"""Open positions as a Qt table model: every figure from domain.margin, text cached per update.

Ticks can arrive far faster than a table repaints, so the model never formats inside
`data()`: each row's strings are built once when its position or mark changes, and only
the changed rows are announced with `dataChanged`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from grace_desktop.domain import mango_health, margin
from grace_desktop.domain.models import MarketSpec, Portfolio, Position
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.qt import AMBER, GREEN, MUTED, RED, QAbstractTableModel, QColor, QModelIndex, Qt

COLUMNS = (
    "Market", "Side", "Size", "Entry", "Mark", "PnL", "PnL %", "Leverage",
    "Liq. price", "Dist. to liq.", "Margin", "Funding", "Account", "Venue", "Actions",
)
(COL_MARKET, COL_SIDE, COL_SIZE, COL_ENTRY, COL_MARK, COL_PNL, COL_PNL_PCT, COL_LEV, COL_LIQ, COL_DIST, COL_MARGIN,
 COL_FUNDING, COL_ACCOUNT, COL_VENUE, COL_ACTIONS) = range(15)
RowKey = tuple[str, str, str]  # venue, account, market
# Columns that move with the mark; only these are repainted on a price update.
FIRST_LIVE, LAST_LIVE = COL_MARK, COL_DIST

# Distance to liquidation (in % of the mark) below which the cell turns red / amber.
DANGER_PCT = 5.0
WARNING_PCT = 15.0

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1

_GREEN, _RED, _AMBER, _MUTED = QColor(GREEN), QColor(RED), QColor(AMBER), QColor(MUTED)


def distance_colour(distance_pct: float) -> QColor:
    """Red under DANGER_PCT, amber under WARNING_PCT, green beyond; graded inside each band."""
    if math.isinf(distance_pct) or distance_pct >= WARNING_PCT:
        return _GREEN
    if distance_pct < DANGER_PCT:
        return _RED
    # Blend amber -> green across the warning band so a drift toward danger is visible.
    t = (distance_pct - DANGER_PCT) / (WARNING_PCT - DANGER_PCT)
    r = round(_AMBER.red() + (_GREEN.red() - _AMBER.red()) * t)
    g = round(_AMBER.green() + (_GREEN.green() - _AMBER.green()) * t)
    b = round(_AMBER.blue() + (_GREEN.blue() - _AMBER.blue()) * t)
    return QColor(r, g, b)


class PositionRow:
    """One position with its figures at the current mark.

    Numbers are recomputed on every mark; the text and colours only when a view asks for
    them (`cells`), so 200 rows ticking cost formatting for the ~20 rows actually painted.
    """

    __slots__ = ("position", "venue", "funding", "spec", "perp", "mark", "pnl", "pnl_pct", "liq", "distance",
                 "_static", "_cells")

    def __init__(self, position: Position, spec: MarketSpec | None, mark: float | None, venue: str = "",
                 funding: float = 0.0, liq: float | None = None) -> None:
        self.position = position
        self.venue = venue
        self.funding = funding  # received (+) minus paid (-) since the position opened
        self.spec = spec
        self.perp = spec is None or spec.is_perp
        # Spot holdings (1x, fully paid) are never liquidated. `liq` is given on a cross-margin
        # account, where it depends on the whole account (see PositionsModel._cross_liqs).
        if liq is None:
            liq = margin.position_liquidation_price(position, spec.maint_margin if spec else 0.0) if self.perp else 0.0
        self.liq = liq
        tick = spec.tick_size if spec else 0.01
        lot = spec.lot_size if spec else 0.0001
        p = position
        self._static = (
            p.market, p.side.value.upper(), fmt.size(p.size, lot), fmt.price(p.entry_price, tick),
            fmt.leverage(p.leverage), fmt.liquidation(self.liq, tick), fmt.money(margin.position_margin(p)),
            p.account, venue,
        )
        self.remark(mark)

    def relevel(self, liq: float) -> None:
        """A new liquidation price (cross margin: another market moved); the mark is unchanged."""
        self.liq = liq
        tick = self.spec.tick_size if self.spec else 0.01
        self._static = self._static[:5] + (fmt.liquidation(liq, tick),) + self._static[6:]
        self.remark(self.mark)

    def remark(self, mark: float | None) -> None:
        p = self.position
        self.mark = mark if mark is not None and mark > 0 else p.entry_price
        self.pnl = p.unrealized_pnl(self.mark)
        self.pnl_pct = margin.pnl_percent(p, self.mark)
        self.distance = margin.distance_to_liquidation_pct(p.side, self.mark, self.liq)
        self._cells: tuple[tuple[str, ...], dict[int, QColor]] | None = None

    @property
    def text(self) -> tuple[str, ...]:
        return self.cells()[0]

    @property
    def colours(self) -> dict[int, QColor]:
        return self.cells()[1]

    def cells(self) -> tuple[tuple[str, ...], dict[int, QColor]]:
        if self._cells is None:
            market, side, size, entry, lev, liq, held, account, venue = self._static
            tick = self.spec.tick_size if self.spec else 0.01
            distance = (fmt.percent(self.distance) if math.isfinite(self.distance) else "∞") if self.perp else "—"
            text = (
                market, side, size, entry, fmt.price(self.mark, tick), fmt.money(self.pnl, signed=True),
                fmt.percent(self.pnl_pct, signed=True), lev, liq, distance, held,
                fmt.money(self.funding, signed=True) if self.perp else "—", account, venue, "",
            )
            pnl_colour = _GREEN if self.pnl > 0 else _RED if self.pnl < 0 else _MUTED
            colours = {
                COL_SIDE: _GREEN if self.position.side.sign > 0 else _RED,
                COL_PNL: pnl_colour,
                COL_PNL_PCT: pnl_colour,
                COL_DIST: distance_colour(self.distance) if self.perp else _MUTED,
                COL_FUNDING: _GREEN if self.funding > 0 else _RED if self.funding < 0 else _MUTED,
            }
            self._cells = (text, colours)
        return self._cells

    def sort_key(self, col: int) -> object:
        p = self.position
        return (
            p.market, p.side.value, p.size, p.entry_price, self.mark, self.pnl, self.pnl_pct,
            p.leverage, self.liq, self.distance, margin.position_margin(p), self.funding, p.account, self.venue, 0,
        )[col]

    def set_funding(self, amount: float) -> None:
        self.funding = amount
        self._cells = None

    @property
    def key(self) -> RowKey:
        return (self.venue, self.position.account, self.position.market)


class PositionsModel(QAbstractTableModel):
    """Rows keyed by (venue, account, market); `set_portfolio` replaces one account's rows on one venue."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[PositionRow] = []
        self._index: dict[RowKey, int] = {}
        self._funding: dict[RowKey, float] = {}
        # Ticks the window receives are the primary venue's; another venue's rows are revalued
        # from that venue's own portfolio reads instead.
        self.primary_venue = ""
        self._specs: dict[str, MarketSpec] = {}
        self._marks: dict[str, float] = {}
        # Cross-margin accounts (Mango) by (venue, account): liq prices need the whole account.
        self._cross: dict[tuple[str, str], Portfolio] = {}

    # --- Qt model interface -------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.text[col]
        if role == Qt.ItemDataRole.ForegroundRole:
            return row.colours.get(col)
        if role == SORT_ROLE:
            return row.sort_key(col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_MARKET, COL_SIDE, COL_ACCOUNT, COL_VENUE):
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_DIST:
            return "How far the mark may move against the position before it is liquidated"
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_FUNDING:
            return "Funding received (+) or paid (−) since the position opened"
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_MARGIN:
            return "Margin the position holds (its isolated collateral)"
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- updates ------------------------------------------------------------------------
    def set_markets(self, specs: Mapping[str, MarketSpec]) -> None:
        self._specs = dict(specs)

    def set_portfolio(self, portfolio: Portfolio, venue: str = "") -> None:
        """Make the rows of `portfolio.account` on `venue` match its positions, valued at its marks."""
        primary = venue in ("", self.primary_venue)
        if primary:
            self._marks.update(portfolio.marks)
        marks = self._marks if primary else dict(portfolio.marks)
        wanted = {p.market: p for p in portfolio.positions}
        account = portfolio.account
        if mango_health.is_cross(portfolio):
            self._cross[(venue, account)] = portfolio
        else:
            self._cross.pop((venue, account), None)
        liqs = self._cross_liqs((venue, account), marks)
        # Remove from the bottom up so earlier row numbers stay valid.
        for i in range(len(self._rows) - 1, -1, -1):
            p = self._rows[i].position
            if self._rows[i].venue == venue and p.account == account and p.market not in wanted:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()
        self._reindex()
        changed: list[int] = []
        new: list[PositionRow] = []
        for market, position in wanted.items():
            key = (venue, account, market)
            i = self._index.get(key)
            liq = liqs.get(market)
            if i is None:
                new.append(PositionRow(position, self._specs.get(market), marks.get(market), venue,
                                       self._funding.get(key, 0.0), liq))
                continue
            row = self._rows[i]
            if row.position != position:
                self._rows[i] = PositionRow(position, self._specs.get(market), marks.get(market), venue,
                                            self._funding.get(key, 0.0), liq)
                changed.append(i)
            else:
                mark = marks.get(market)
                if liq is not None and liq != row.liq:
                    row.relevel(liq)
                    changed.append(i)
                if mark is not None and mark != row.mark:
                    row.remark(mark)
                    changed.append(i)
        self._announce(sorted(set(changed)), 0, len(COLUMNS) - 1)
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()
            self._reindex()

    def update_marks(self, marks: Mapping[str, float]) -> None:
        """Revalue the rows of the markets in `marks`; repaint only those rows' live columns."""
        self._marks.update(marks)
        # On a cross-margin account every position's liquidation price moves with every mark.
        moved = {k for k, p in self._cross.items()
                 if k[0] in ("", self.primary_venue) and any(q.market in marks for q in p.positions)}
        liqs = {k: self._cross_liqs(k, self._marks) for k in moved}
        changed = []
        for i, row in enumerate(self._rows):
            if row.venue not in ("", self.primary_venue):
                continue
            mark = marks.get(row.position.market)
            liq = liqs.get((row.venue, row.position.account), {}).get(row.position.market)
            if liq is not None and liq != row.liq:
                row.relevel(liq)
                changed.append(i)
            if mark is not None and mark != row.mark:
                row.remark(mark)
                changed.append(i)
        self._announce(sorted(set(changed)), FIRST_LIVE, LAST_LIVE)

    def _cross_liqs(self, key: tuple[str, str], marks: Mapping[str, float]) -> dict[str, float]:
        """Per market, the price where the account's maint health reaches zero, every other price
        held (domain.mango_health), at the latest marks; empty for an isolated account."""
        portfolio = self._cross.get(key)
        if portfolio is None:
            return {}
        held = {p.market for p in portfolio.positions}
        valued = replace(portfolio, marks={**portfolio.marks, **{m: marks[m] for m in held if m in marks}})
        return {p.market: mango_health.position_liquidation_price(valued, p, self._specs) for p in portfolio.positions}

    def set_funding(self, funding: Mapping[RowKey, float]) -> None:
        """Accumulated funding per (venue, account, market); repaints the rows whose figure changed."""
        self._funding = dict(funding)
        changed = []
        for i, row in enumerate(self._rows):
            amount = self._funding.get(row.key, 0.0)
            if amount != row.funding:
                row.set_funding(amount)
                changed.append(i)
        self._announce(changed, COL_FUNDING, COL_FUNDING)

    def venues(self) -> set[str]:
        return {r.venue for r in self._rows}

    def clear(self) -> None:
        self.beginResetModel()
        self._cross.clear()
        self._rows.clear()
        self._index.clear()
        self.endResetModel()

    # --- lookups ------------------------------------------------------------------------
    def row_at(self, row: int) -> PositionRow:
        return self._rows[row]

    def key_at(self, row: int) -> tuple[str, str]:
        return self._rows[row].position.key

    def venue_at(self, row: int) -> str:
        return self._rows[row].venue

    def row_of(self, account: str, market: str, venue: str | None = None) -> int | None:
        if venue is not None:
            return self._index.get((venue, account, market))
        return next((i for (_v, a, m), i in self._index.items() if a == account and m == market), None)

    def positions(self) -> list[Position]:
        return [r.position for r in self._rows]

    def rows(self) -> Iterable[PositionRow]:
        return iter(self._rows)

    def _reindex(self) -> None:
        self._index = {r.key: i for i, r in enumerate(self._rows)}

    def _announce(self, rows: list[int], first_col: int, last_col: int) -> None:
        """One dataChanged per run of consecutive rows: fewer signals, same repaint."""
        if not rows:
            return
        rows.sort()
        start = prev = rows[0]
        for r in rows[1:] + [None]:  # type: ignore[list-item]
            if r is not None and r == prev + 1:
                prev = r
                continue
            self.dataChanged.emit(self.index(start, first_col), self.index(prev, last_col))
            if r is not None:
                start = prev = r
