"""Knobs of live mode on the local Solana world that ``Settings`` does not hold (yet).

Defaults are the production-like values of ``docs/solana-venue.md`` (rebroadcast every 2 s,
confirmed commitment, the swapper's slippage tiers, a 400 ms block). Everything the settings do
hold (trading switch, mode, key, tip, compute-unit price, limits, risk gates, state and log
directories) comes from the settings. Tests and demos pass a JSON file of these options
(``--options``); the names are the proposed settings (``SOLANA_LIVE_*``).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phantom.app.settings import Settings
from phantom.core.costs import CostBreakdown
from phantom.core.fees import LAMPORTS_PER_SOL, SolanaFeeSchedule
from phantom.core.orders import SwapLeg
from phantom.core.token import Token
from phantom.engines.lst.params import LstParams
from phantom.engines.scalp.params import PodParams
from phantom.execution.solana_live import SolanaExecConfig
from phantom.localsolana.faults import Faults
from phantom.market.state import MarketView
from phantom.venues.solana.rpc import Commitment


class SolanaLiveOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # landing (execution/solana_live)
    slippage_tiers_bps: tuple[int, ...] = (100, 300, 500, 1000)
    rebroadcast_interval_s: float = Field(2.0, gt=0)
    poll_interval_s: float = Field(0.2, gt=0)
    commitment: Commitment = "confirmed"
    max_resigns: int = Field(2, ge=0)
    max_compute_unit_limit: int = Field(1_400_000, gt=0)
    failed_grace_blocks: int = Field(2, ge=1)
    # market data and prices
    source_poll_interval_s: float = Field(0.1, gt=0)
    sol_usd: float = Field(
        150.0, gt=0, description="the embedded world's WSOL-USDC price at genesis; SOL's price "
        "when the world has no WSOL-USDC pool (else SOL is priced as WSOL)",
    )  # fmt: skip
    # the bar engines (scalp, lst: app/live_solana_bars)
    bar_s: float | None = Field(
        5.0, gt=0, description="bar length, s (the local world's time is fast: 0.4 s blocks, "
        "60 s epochs, de-pegs every 10 s); null: PAPER_BAR_S",
    )  # fmt: skip
    scalp_pool: str = Field("BONK-USDC", description="the scalp's pool: a token against USDC")
    scalp_pods: list[dict[str, Any]] | None = Field(
        None, description="the scalp's pods (PodParams fields each); unset: the default pods"
    )
    lst_params: dict[str, Any] = Field(
        default_factory=dict, description="LstParams overrides (max_hold_s, threshold_bps, ...)"
    )
    stake_poll_interval_s: float = Field(1.0, gt=0, description="LST rate accounts: read every")
    # restart reconciliation: how long to wait for an undecided signature
    reconcile_wait_s: float = Field(90.0, ge=0)
    # at the end of a run: how long in-flight intents may take to resolve
    drain_timeout_s: float = Field(120.0, ge=0)
    # the embedded world (when no world file names a running one)
    block_interval_s: float = Field(0.4, gt=0)
    blockhash_validity_blocks: int = Field(150, ge=1)
    confirm_after_blocks: int = Field(1, ge=0)
    noise_interval_s: float = Field(1.0, ge=0, description="0: no noise trader")
    noise_min_bps: int = Field(20, gt=0)
    noise_max_bps: int = Field(150, gt=0, lt=10_000)
    epoch_blocks: int = Field(150, ge=1, description="blocks per epoch (the LST rates grow)")
    stake_growth_ppm: int = Field(200, ge=0, description="LST rate growth per epoch, ppm")
    depeg_interval_s: float = Field(8.0, ge=0, description="the next LST de-pegs; 0: never")
    depeg_bps: int = Field(400, gt=0, lt=10_000)
    depeg_recover_s: float = Field(0.4, gt=0, description="arbitrageurs buy a de-peg back")
    depeg_recover_fraction: float = Field(0.12, gt=0, le=1, description="of the gap, each time")
    world_faults: dict[str, Any] = Field(
        default_factory=dict, description="more localsolana Faults for the embedded world"
    )
    # bundle transactions: signatures each (the wallet + the pool authority's)
    signatures_per_leg: int = Field(2, ge=1)

    @field_validator("slippage_tiers_bps")
    @classmethod
    def _tiers(cls, tiers: tuple[int, ...]) -> tuple[int, ...]:
        if (
            not tiers
            or any(not 0 < t <= 10_000 for t in tiers)
            or list(tiers) != sorted(set(tiers))
        ):
            raise ValueError("slippage tiers must be increasing bps in (0, 10000]")
        return tiers

    @field_validator("scalp_pods")
    @classmethod
    def _pods(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if value is not None:
            pods_from(value)  # a bad pod is an error here, naming it
        return value

    @field_validator("lst_params")
    @classmethod
    def _lst(cls, value: dict[str, Any]) -> dict[str, Any]:
        lst_overrides(value)
        return value

    @field_validator("world_faults")
    @classmethod
    def _faults(cls, value: dict[str, Any]) -> dict[str, Any]:
        Faults(**value)  # a bad fault name or value is an error here, naming it
        return value


def _typed(kind: object, value: Any) -> Any:
    """``value`` as a dataclass field of type ``kind`` (its annotation) wants it where JSON
    cannot say it: a Decimal from a number or a string."""
    wants_decimal = "Decimal" in str(kind) and value is not None
    return Decimal(str(value)) if wants_decimal else value


def pods_from(pods: list[dict[str, Any]]) -> tuple[PodParams, ...]:
    """Scalp pods from their fields (``share_pct`` and ``risk_pct`` as Decimal)."""
    kinds = {f.name: f.type for f in dataclasses.fields(PodParams)}
    out: list[PodParams] = []
    for pod in pods:
        unknown = set(pod) - set(kinds)
        if unknown:
            raise ValueError(f"scalp pod: unknown field(s) {', '.join(sorted(unknown))}")
        try:
            out.append(PodParams(**{k: _typed(kinds[k], v) for k, v in pod.items()}))
        except TypeError as exc:  # a missing field
            raise ValueError(f"scalp pod: {exc}") from None
    if not out:
        raise ValueError("scalp_pods: at least one pod")
    return tuple(out)


_LST_FIXED = frozenset({"lst", "underlying", "name", "route"})


def lst_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """LstParams overrides, typed (checked against a throwaway LstParams)."""
    kinds = {f.name: f.type for f in dataclasses.fields(LstParams)}
    unknown = set(values) - (set(kinds) - _LST_FIXED)
    if unknown:
        raise ValueError(f"lst_params: unknown or fixed field(s) {', '.join(sorted(unknown))}")
    typed = {k: _typed(kinds[k], v) for k, v in values.items()}
    probe = LstParams(Token("LST", 9, "solana", "x"), Token("SOL", 9, "solana", "y"))
    try:
        dataclasses.replace(probe, **typed)  # validates
    except TypeError as exc:  # a value of the wrong type
        raise ValueError(f"lst_params: {exc}") from None
    return typed


def load_options(path: Path | None) -> SolanaLiveOptions:
    if path is None:
        return SolanaLiveOptions()
    return SolanaLiveOptions.model_validate_json(path.read_text(encoding="utf-8"))


def exec_config(settings: Settings, options: SolanaLiveOptions) -> SolanaExecConfig:
    return SolanaExecConfig(
        slippage_tiers_bps=options.slippage_tiers_bps,
        compute_unit_price_micro_lamports=settings.compute_unit_price_micro_lamports,
        max_compute_unit_limit=options.max_compute_unit_limit,
        jito_tip_lamports=settings.jito_tip_lamports,
        max_resigns=options.max_resigns,
        rebroadcast_interval_s=options.rebroadcast_interval_s,
        poll_interval_s=options.poll_interval_s,
        commitment=options.commitment,
        failed_grace_blocks=options.failed_grace_blocks,
        deadline_s=max(600.0, settings.max_execution_time_s),
    )


class BundleCosts:
    """The engine's network-cost estimate of a cycle sent as one bundle of one transaction per
    leg: base fees of every signature, the compute-unit price on every leg but the last, which
    pays the Jito tip instead (``ArbParams.cost_estimator``)."""

    def __init__(self, schedule: SolanaFeeSchedule, native: Token, signatures_per_leg: int) -> None:
        self.schedule, self.native = schedule, native
        self.signatures_per_leg = signatures_per_leg

    def lamports(self, legs: int) -> tuple[int, int, int]:
        base = self.schedule.base_fee_lamports(self.signatures_per_leg * legs)
        priority = self.schedule.priority_fee_lamports() * max(0, legs - 1)
        return base, priority, self.schedule.jito_tip_lamports

    def __call__(self, legs: tuple[SwapLeg, ...], market: MarketView) -> CostBreakdown:
        price = Decimal(repr(market.price_usd(self.native))) / LAMPORTS_PER_SOL
        base, priority, tip = self.lamports(len(legs))
        return CostBreakdown(gas=base * price, priority_fee=priority * price, tip=tip * price)
