"""Values of every type through TradingService's doors on the real stack: nothing raises, every refusal says why.

The stack (SQLite file, paper venue, monitor, journal) is built once per module on its own event
loop; each example runs a few calls on it, valid ones mixed in so real orders, closes, armed
entries and exits happen too, and ticks move prices so the monitor acts between calls.

What a refusal may say, precisely (`why_refused`):
- input:  "<field>: ..." with <field> in trade_inputs.FIELDS (the argument checks and the
          domain's own checks use the same names);
- risk:   the result carries a RiskDecision and the reason is one of its RiskReason messages
          (each has a code: margin, account_leverage, leverage, volatility, price);
- venue:  the result names its venue and the reason is "<venue>: ..." (the venue could not be
          reached) or the reason the venue gave for rejecting the order it carries;
- state:  one of STATE_REASONS (no position to close, no price yet, no venue may take it...).
`preview` returns a RiskDecision or raises DomainError whose field is in FIELDS; nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.risk import RiskDecision
from grace_desktop.services.container import Services, build_services
from grace_desktop.services.trade_inputs import FIELDS
from grace_desktop.services.trade_types import TradeConditions, TradeResult
from grace_desktop.storage import open_storage
from tests.services.conftest import START_PRICES, settle

try:
    import numpy as np
except ImportError:  # numpy comes with pyqtgraph; the fuzz runs without it too
    np = None

FIELD_REASON = re.compile(r"^({}): ".format("|".join(sorted(FIELDS))))
STATE_REASONS = tuple(re.compile(p) for p in (
    r"^no open position in \S",
    r"^no price yet for \S",
    r"^could not read positions from \S",
    r"^conditional entries need the position monitor running$",
    # the selector's NoVenueError: no venue may take this trade, and why
    r" has no perpetual markets; configure a perp venue",
    r"; no allowed fallback \(enable paper fallback",
    r" is unhealthy \(",
))
VENUE_UNREACHED = (OrderStatus.REJECTED, OrderStatus.FAILED, OrderStatus.CANCELLED, OrderStatus.EXPIRED,
                   OrderStatus.UNKNOWN)


def why_refused(reason: str, result: TradeResult) -> str | None:
    """The kind of a refusal's reason (see the module doc), or None when it says nothing we can name."""
    if FIELD_REASON.match(reason):
        return "input"
    if result.decision is not None and reason in {r.message for r in result.decision.reasons}:
        return "risk"
    if result.venue is not None and reason.startswith(f"{result.venue}: "):
        return "venue"
    order = result.order
    if order is not None and order.status in VENUE_UNREACHED and reason == order.reason:
        return "venue"
    if any(p.search(reason) for p in STATE_REASONS):
        return "state"
    return None


# ----- values of every type -----------------------------------------------------------------
def _foreign() -> st.SearchStrategy[Any]:
    class Opaque:
        pass

    class NoRepr:
        def __repr__(self) -> str:
            raise RuntimeError("repr refused")

    class FloatBomb:
        def __float__(self) -> float:
            raise RuntimeError("float refused")

    class Sneaky(str):
        def __str__(self) -> str:
            return "BTC-PERP"

    values: list[Any] = [Opaque(), NoRepr(), FloatBomb(), Sneaky("SOL-PERP"), Sneaky(""), TradeConditions(),
                         TradeConditions(stop_loss=1.0), OrderSide.BUY, Side.SHORT, OrderType.LIMIT, Ellipsis,
                         object, int, print, range(3), frozenset({1}), 1j, float("nan") * 1j]
    if np is not None:
        values += [np.float64("nan"), np.float64(2.0), np.float32(0.5), np.int64(3), np.int8(-1), np.bool_(True),
                   np.array(1.0), np.array([1.0, 2.0]), np.uint64(2**64 - 1)]
    return st.sampled_from(values)


NUMBERS = st.one_of(
    st.integers(-10, 10),
    st.integers(),
    st.integers(min_value=2**53, max_value=10**400) | st.integers(min_value=-(10**400), max_value=-(2**53)),
    st.just(10**20),
    st.floats(),  # nan, inf, -0.0, subnormals included
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 0.0, 5e-324, 1.7976931348623157e308]),
    st.decimals(),  # NaN, sNaN, Infinity included
    st.fractions(),
    st.booleans(),
)
TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Zs"]), max_size=6),
    st.sampled_from(["", " ", "\t", "nan", "inf", "-0", "1e400", "1_000", "0x10", " 2 ", "١٢", "buy", "limit",
                     "SOL-PERP", " SOL-PERP\n", "paper", "PAPER", "x" * 65, "x" * 10_000]),
    st.from_regex(r"-?\d{1,4}(\.\d{1,3})?", fullmatch=True),
)
ANY = st.one_of(
    st.none(), NUMBERS, TEXTS, st.binary(max_size=8),
    st.lists(st.one_of(st.none(), st.floats(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.tuples(st.integers()), _foreign(),
)

CONDITIONS = st.one_of(
    st.builds(TradeConditions, take_profit=st.sampled_from([None, 130.0, 62_000.0]),
              stop_loss=st.sampled_from([None, 80.0, 58_000.0]),
              take_profit_percent=st.sampled_from([None, 5.0]), stop_loss_percent=st.sampled_from([None, 3.0]),
              trailing_percent=st.sampled_from([None, 2.0])),
    st.builds(TradeConditions, entry_below=st.sampled_from([95.0, 2_900.0]), stop_loss=st.sampled_from([None, 90.0])),
)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "action": st.sampled_from(["buy", "sell", " BUY ", "long", OrderSide.SELL, Side.LONG]),
    "amount": st.sampled_from([0.01, 0.1, 0.5, 1.0, 1.0, 2.0, 10.0, "1", Decimal("0.5"), 0.001, 1000.0]),
    "market": st.sampled_from(["SOL-PERP", "SOL-PERP", "SOL-PERP", "BTC-PERP", "ETH-PERP", "SOL/USDC", "DOGE-PERP"]),
    "account": st.sampled_from(["paper", "paper", "paper", "fuzz-2"]),
    "leverage": st.sampled_from([None, 1.0, 2.0, 3, 5.0, 10.0, 25.0]),
    "order_type": st.sampled_from(["market", "market", "market", "limit", OrderType.MARKET]),
    "price": st.sampled_from([None, None, 99.0, 100.0, 101.5, 3_000.0, 60_000.0]),
    "conditions": st.one_of(st.none(), st.none(), CONDITIONS),
    "reduce_only": st.sampled_from([False, False, False, True]),
    "venue": st.sampled_from([None, None, None, "paper", "mango_v3"]),
    "purpose": st.sampled_from(["", "", "manual", "fuzz"]),
    "fraction": st.sampled_from([1.0, 1.0, 0.5, 0.25, 0.01, 1]),
    "reason": st.sampled_from(["manual", "stop_loss", "fuzz"]),
}
TRADE_ARGS = ("action", "amount", "market", "account", "leverage", "order_type", "price", "conditions",
              "reduce_only", "venue", "purpose")
CLOSE_ARGS = ("account", "market", "fraction", "reason")
PREVIEW_ARGS = ("action", "amount", "market", "account", "leverage", "order_type", "price")


@st.composite
def calls(draw: st.DrawFn, names: tuple[str, ...]) -> dict[str, Any]:
    """Valid values, with none, one, two or all of them swapped for a value of any type."""
    args = {name: draw(VALID[name]) for name in names}
    swap = draw(st.sampled_from((0, 0, 0, 1, 1, 1, 2, len(names))))
    for name in draw(st.permutations(names))[:swap]:
        args[name] = draw(ANY)
    return args


# Orders that should go through (SOL/ETH perps, a few lots, modest leverage), so positions exist to close.
SANE_TRADE = st.fixed_dictionaries({
    "action": st.sampled_from(["buy", "sell"]), "amount": st.sampled_from([0.1, 0.5, 1.0, 2.0]),
    "market": st.sampled_from(["SOL-PERP", "ETH-PERP"]), "account": st.just("paper"),
    "leverage": st.sampled_from([None, 2.0, 3.0]), "order_type": st.just("market"), "price": st.none(),
    "conditions": VALID["conditions"], "reduce_only": st.just(False), "venue": st.none(), "purpose": st.just(""),
})

STEP = st.one_of(
    st.tuples(st.just("trade"), SANE_TRADE),
    st.tuples(st.just("trade"), calls(TRADE_ARGS)),
    st.tuples(st.just("close"), calls(CLOSE_ARGS)),
    st.tuples(st.just("preview"), calls(PREVIEW_ARGS)),
    st.tuples(st.just("tick"), st.fixed_dictionaries({
        "market": st.sampled_from(sorted(START_PRICES)), "move": st.floats(-0.15, 0.15)})),
)


# ----- the stack, once per module -------------------------------------------------------------
@dataclass
class Rig:
    loop: asyncio.AbstractEventLoop
    services: Services
    loop_errors: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.outcomes[what] = self.outcomes.get(what, 0) + 1


class _Collect(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        # Only exceptions that a task or listener swallowed and logged; error *alerts* are product behavior.
        if record.exc_info is None:
            return
        self.sink.append(f"{record.name}: {record.getMessage()} {record.exc_info[1] if record.exc_info else ''}")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = asyncio.new_event_loop()
    store = open_storage(tmp_path_factory.mktemp("fuzz"))
    services = loop.run_until_complete(build_services(store, "paper", feed=None, sweep_interval=3600,
                                                      retry_delays=(0.001, 0.002)))
    for market, price in START_PRICES.items():
        loop.run_until_complete(services.paper.push_tick(market, price))
    # Auto-trading on for the main account, so exits and entries fire orders (through the same doors)
    # as ticks move; "fuzz-2" keeps the defaults (alerts only).
    settings_ = services.trading.settings(services.account).updated(
        auto_trading_enabled=True, take_profit_enabled=True, stop_loss_enabled=True, trailing_stop_enabled=True)
    loop.run_until_complete(services.trading.save_settings(services.account, settings_))
    rig = Rig(loop, services)
    loop.set_exception_handler(lambda _loop, ctx: rig.loop_errors.append(str(ctx.get("exception") or ctx)))
    handler = _Collect(rig.logged)
    logging.getLogger("grace_desktop").addHandler(handler)
    try:
        yield rig
    finally:
        print("\nfuzz outcomes:", dict(sorted(rig.outcomes.items())))  # shown with -s
        logging.getLogger("grace_desktop").removeHandler(handler)
        loop.run_until_complete(services.stop())
        store.close()
        loop.close()


async def _step(rig: Rig, kind: str, args: dict[str, Any]) -> None:
    trading = rig.services.trading
    if kind == "tick":
        market = args["market"]
        last = trading.mark(market) or START_PRICES[market]
        # Prices wander but are pulled back towards the start, so the fixed valid prices stay near the mark.
        target = START_PRICES[market] * (1 + args["move"])
        await rig.services.paper.push_tick(market, round((last + target) / 2, 2))
        return
    if kind == "preview":
        try:
            decision = trading.preview(*(args[n] for n in PREVIEW_ARGS[:4]), leverage=args["leverage"],
                                       order_type=args["order_type"], price=args["price"])
        except DomainError as exc:
            assert exc.field in FIELDS, f"preview refused naming {exc.field!r}: {exc}"
            rig.count("preview refused")
            return
        assert isinstance(decision, RiskDecision)
        rig.count("preview")
        return
    if kind == "trade":
        result = await trading.execute_trade(*(args[n] for n in TRADE_ARGS[:4]),
                                             **{n: args[n] for n in TRADE_ARGS[4:]})
    else:
        result = await trading.close_position(*(args[n] for n in CLOSE_ARGS))
    assert isinstance(result, TradeResult)
    if result.success:
        rig.count(f"{kind} ok")
        return
    assert result.reasons, f"a refusal without a reason: {result}"
    for reason in result.reasons:
        kind_of = why_refused(reason, result)
        assert kind_of is not None, f"{kind} refusal names no field and no known reason: {reason!r}"
        rig.count(f"{kind} refused: {kind_of}")


def _run(rig: Rig, steps: list[tuple[str, dict[str, Any]]]) -> None:
    for kind, args in steps:
        rig.loop.run_until_complete(_step(rig, kind, args))
    rig.loop.run_until_complete(settle(rig.services))
    assert rig.loop_errors == [], rig.loop_errors
    assert rig.logged == [], rig.logged


COMMON = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=300, **COMMON)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_every_type_of_value_is_refused_naming_its_field_or_traded(rig: Rig, steps: list[Any]) -> None:
    _run(rig, steps)


@pytest.mark.slow
@settings(max_examples=10_000, **COMMON)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_every_type_of_value_ten_thousand_times(rig: Rig, steps: list[Any]) -> None:
    _run(rig, steps)


def test_the_fuzz_reached_real_orders_and_every_kind_of_refusal(rig: Rig) -> None:
    """Runs after the fuzz in this module: the mix of values did exercise the stack, not only the checks."""
    seen = rig.outcomes
    if sum(seen.values()) == 0:
        pytest.skip("run with the fuzz tests of this module")
    for what in ("trade ok", "close ok", "preview", "trade refused: input", "close refused: input",
                 "preview refused", "trade refused: risk"):
        assert seen.get(what, 0) > 0, f"never saw {what!r}: {seen}"
