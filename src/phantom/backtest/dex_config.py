"""Settings of the DEX replay (:mod:`phantom.backtest.dex_replay`) and their mapping onto the
engine's, the risk gates' and the paper realism model's parameters.

EVM gas through the paper model: the model's fee schedule is Solana-shaped (a base fee per
signature, a compute-unit price times a limit, a tip) and prices it in the native token with
nine decimals (``LAMPORTS_PER_SOL``). The replay's native token is therefore ETH counted in
**gwei** (``GAS_ETH``, 9 decimals), and one transaction's

* base fee = ``gas_units x base_fee_gwei`` gwei  (``base_fee_lamports_per_signature``),
* priority fee = ``gas_units x priority_fee_gwei`` gwei  (compute-unit limit = gas units,
  compute-unit price = the priority fee in micro-gwei),
* tip = ``private_tip_gwei`` (paid only by a private send that lands).

Scoring (the engine) and fills (the paper model) use the same schedule, so the expected and
the charged gas agree. The recorded data carries no block base fee, so it is one settable
figure for the whole day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from phantom.core.fees import SolanaFeeSchedule
from phantom.core.orders import Route
from phantom.core.token import Token
from phantom.execution.params import RealismParams

GAS_ETH = Token("ETH", 9, chain="ethereum")  # the gas token, counted in gwei (see above)


class PriceSource(StrEnum):
    POOL = "pool"  # WETH/USD from the deepest (lowest-fee) replayed pool's mid price
    BINANCE = "binance"  # ETH/USDT 5-minute closes (no look-ahead: the last closed bar)


@dataclass(frozen=True, slots=True)
class DexReplayConfig:
    """Every knob of the replay (``DexReplayConfig.from_params`` maps ``--param NAME=VALUE``).

    Capital and engine: ``initial_usdc`` / ``initial_eth`` (the vault; ETH pays gas),
    ``max_trade_usd`` (size cap), ``slippage_bps`` (bound on the cycle's output),
    ``min_profit_usd`` / ``min_profit_bps`` (the profit gate, after expected gas),
    ``max_concurrent`` and the circuit breaker.

    Costs: ``gas_units`` per two-pool cycle, ``base_fee_gwei``, ``priority_fee_gwei``,
    ``private_tip_gwei``; ``route``: ``public`` (the mempool: a sandwich bot may act, exact
    sandwich maths on the known pools) or ``private`` (a relay: no sandwich, pays the tip).

    Realism: ``latency_min_ms`` / ``latency_max_ms``: events inside a block are 1 µs apart by
    log index, so the default 12,000-12,001 ms lands the transaction at a uniformly random log
    position of the next slot; 0-1 ms is a same-block backrun. ``failure_rate_pct``,
    ``mev_risk_rate_pct``, ``mev_attacker_min_profit_usd``; no partial fills (a swap on chain
    fills in full or reverts).

    Prices: ``price_source`` (``pool`` or ``binance``, the latter needs ``binance_path``).
    """

    initial_usdc: Decimal = Decimal(100_000)
    initial_eth: Decimal = Decimal(2)
    max_trade_usd: Decimal = Decimal(100_000)
    slippage_bps: int = 30
    min_profit_usd: Decimal = Decimal(1)
    min_profit_bps: Decimal = Decimal(0)
    max_concurrent: int = 1
    max_consecutive_failures: int = 5
    failure_cooldown_s: float = 60.0
    gas_units: int = 250_000
    base_fee_gwei: Decimal = Decimal(20)
    priority_fee_gwei: Decimal = Decimal(1)
    private_tip_gwei: Decimal = Decimal(0)
    route: Route = Route.PUBLIC
    latency_min_ms: float = 12_000.0
    latency_max_ms: float = 12_001.0
    failure_rate_pct: float = 1.0
    mev_risk_rate_pct: float = 20.0
    mev_attacker_min_profit_usd: Decimal = Decimal(1)
    price_source: PriceSource = PriceSource.POOL
    binance_path: Path | None = None

    def __post_init__(self) -> None:
        for name in ("initial_usdc", "max_trade_usd"):
            if getattr(self, name) <= 0:
                raise ValueError(f"dex replay: {name} must be > 0, got {getattr(self, name)}")
        for name in (
            "initial_eth",
            "min_profit_usd",
            "min_profit_bps",
            "base_fee_gwei",
            "priority_fee_gwei",
            "private_tip_gwei",
            "mev_attacker_min_profit_usd",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"dex replay: {name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.slippage_bps <= 10_000:
            raise ValueError(f"dex replay: slippage_bps must be 0..10000, got {self.slippage_bps}")
        if self.gas_units <= 0:
            raise ValueError(f"dex replay: gas_units must be > 0, got {self.gas_units}")
        if self.max_concurrent < 1 or self.max_consecutive_failures < 1:
            raise ValueError("dex replay: max_concurrent and max_consecutive_failures must be >= 1")
        if self.price_source is PriceSource.BINANCE and self.binance_path is None:
            raise ValueError("dex replay: price_source=binance needs binance_path")

    # --- mapping onto the layers' parameters ---
    def fee_schedule(self) -> SolanaFeeSchedule:
        def gwei(value: Decimal) -> int:
            return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

        return SolanaFeeSchedule(
            base_fee_lamports_per_signature=gwei(self.base_fee_gwei * self.gas_units),
            compute_unit_price_micro_lamports=gwei(self.priority_fee_gwei * 1_000_000),
            compute_unit_limit=self.gas_units,
            jito_tip_lamports=gwei(self.private_tip_gwei),
        )

    def realism(self) -> RealismParams:
        return RealismParams(
            execution_delay_min_ms=self.latency_min_ms,
            execution_delay_max_ms=self.latency_max_ms,
            transaction_failure_rate_pct=self.failure_rate_pct,
            slippage_base_pct=0.0,  # every leg's pool is known: exact curve maths, no model
            slippage_impact_multiplier=0.0,
            slippage_volatility_multiplier=1.0,
            mev_risk_rate_pct=self.mev_risk_rate_pct,
            mev_penalty_max_pct=0.0,
            mev_attacker_min_profit_usd=self.mev_attacker_min_profit_usd,
            partial_fill_rate_pct=0.0,
            min_fill_pct=100.0,
            fee_schedule=self.fee_schedule(),
            native=GAS_ETH,
        )

    def as_dict(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> DexReplayConfig:
        """Build from ``NAME=VALUE`` strings; an unknown name or a bad value is a clear error."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - set(fields))
        if unknown:
            raise ValueError(
                f"dex replay: unknown parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(fields))})"
            )
        values: dict[str, object] = {}
        for name, raw in params.items():
            default = getattr(cls(), name) if name != "binance_path" else None
            try:
                values[name] = _convert(name, raw, default)
            except (ValueError, InvalidOperation):
                raise ValueError(f"dex replay: parameter {name}: bad value {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, default: object) -> object:
    if name == "binance_path":
        return Path(raw)
    if isinstance(default, Route):
        return Route(raw)
    if isinstance(default, PriceSource):
        return PriceSource(raw)
    if isinstance(default, Decimal):
        value = Decimal(raw)
        if not value.is_finite():
            raise ValueError(raw)
        return value
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw
