"""LSTs in the replay world: per-epoch staking accrual, the de-peg stress model, LST pools."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from itertools import islice

import pytest

from phantom.amm.swap import spot_price
from phantom.core.events import PoolUpdate, PriceTick
from phantom.core.rng import SeededRng
from phantom.market.replay import ReplayWorld, WorldParams, load_sample
from phantom.market.replay.layout import DEFAULT_POOLS, LST_POOLS
from phantom.market.replay.lst import DEFAULT_LSTS, YEAR_S, DepegModel, LstSpec, StakingModel

PATH = load_sample()


def _ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def _model(**kw: float) -> StakingModel:
    return StakingModel(DEFAULT_LSTS, PATH, 216_000.0, DepegModel(), **kw)  # type: ignore[arg-type]


def test_rate_accrues_per_epoch_only() -> None:
    m = _model()
    t0 = PATH.start
    assert m.rate("jitoSOL", t0) == 1.07 and m.rate("mSOL", t0) == 1.12
    assert m.rate("jitoSOL", t0 + 215_999) == 1.07  # the pool updates once per epoch
    step = m.rate("jitoSOL", t0 + 216_000)
    assert step == pytest.approx(1.07 * 1.068 ** (216_000 / YEAR_S))
    assert m.epoch(t0 + 216_000) == 1 and m.epoch_start(1) == t0 + 216_000
    later = _model(apr_pct=0.0)
    assert later.rate("mSOL", t0 + 10 * 216_000) == 1.12


def test_depeg_follows_the_sol_drawdown_of_the_ftx_crash() -> None:
    m = _model()
    calm = _ts(2022, 11, 2, 12)
    assert m.discount("jitoSOL", calm, PATH.price_at("SOL", calm)) == 0.0
    crash = _ts(2022, 11, 9, 21)
    sol = PATH.price_at("SOL", crash)
    discount = m.discount("jitoSOL", crash, sol)
    assert 0.05 < discount < 0.07  # stSOL traded about 6.2 % below fair value then
    assert m.discount("mSOL", crash, sol) == pytest.approx(discount * 0.9)
    assert m.ratio("jitoSOL", crash, sol) == pytest.approx(
        m.rate("jitoSOL", crash) * (1 - discount)
    )
    assert _model(depeg_scale=0.0).discount("jitoSOL", crash, sol) == 0.0
    capped = StakingModel(DEFAULT_LSTS, PATH, 216_000.0, DepegModel(max_discount=0.02))
    assert capped.discount("jitoSOL", crash, sol) == 0.02


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"symbol": "SOL", "start_rate": 1.0, "apr_pct": 5.0}, "differ from the underlying"),
        ({"symbol": "x", "start_rate": 0.0, "apr_pct": 5.0}, "start_rate"),
        ({"symbol": "x", "start_rate": 1.0, "apr_pct": 101.0}, "apr_pct"),
    ],
)
def test_bad_lst_spec_is_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LstSpec(**kwargs)  # type: ignore[arg-type]


def test_bad_world_params_name_the_field() -> None:
    with pytest.raises(ValueError, match="WorldParams.depeg_scale"):
        WorldParams(depeg_scale=-1.0)
    with pytest.raises(ValueError, match="DepegModel.max_discount"):
        DepegModel(max_discount=1.5)


def test_lst_pools_trade_around_the_depegged_ratio() -> None:
    start = _ts(2022, 11, 9, 18)
    params = WorldParams(pools=DEFAULT_POOLS + LST_POOLS)
    world = ReplayWorld(params, PATH, SeededRng(4).stream("world"), start)
    assert world.lst_symbols == ("jitoSOL", "mSOL")
    ticks: dict[str, int] = {}
    worst = 0.0
    for event in world.events(until=start + 2 * 3600):
        if isinstance(event, PriceTick):
            ticks[event.symbol] = ticks.get(event.symbol, 0) + 1
            if event.symbol == "jitoSOL":
                sol = PATH.price_at("SOL", event.ts)
                ratio = world.staking.ratio("jitoSOL", event.ts, sol)
                assert event.price == pytest.approx(sol * ratio)
        elif isinstance(event, PoolUpdate) and event.pool.pool_id == "orca-mSOL-SOL":
            pool = event.pool
            sol = PATH.price_at("SOL", event.ts)
            fair = world.staking.ratio("mSOL", event.ts, sol)
            worst = max(worst, abs(math.log(spot_price(pool, pool.token0) / fair)))
    assert ticks["jitoSOL"] == ticks["SOL"] == ticks["mSOL"] > 1000
    assert 0 < worst < 0.02  # noise and lag around the model's ratio, never far from it
    rate = world.stake_rate("mSOL", world.now)
    assert rate > 1.12 and spot_price(world.pool("orca-mSOL-SOL"), world.tokens["mSOL"]) < rate


def test_default_world_has_no_lst_and_is_unchanged_by_the_model() -> None:
    a = ReplayWorld(WorldParams(), PATH, SeededRng(9).stream("w"))
    b = ReplayWorld(WorldParams(pools=DEFAULT_POOLS + LST_POOLS), PATH, SeededRng(9).stream("w"))
    assert a.lst_symbols == () and len(a.pools()) == 13 and "jitoSOL" not in a.tokens
    first = [e for e in islice(a.events(), 3000)]
    mine = [e for e in islice(b.events(), 6000) if _default(e)][: len(first)]
    assert mine == first  # the LST pools' flow never shifts another pool's draws


def _default(event: PriceTick | PoolUpdate) -> bool:
    if isinstance(event, PriceTick):
        return event.symbol not in ("jitoSOL", "mSOL")
    return event.pool.pool_id not in {p.pool_id for p in LST_POOLS}
