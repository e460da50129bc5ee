"""One typed settings object: defaults < phantom.toml < .env < PHANTOM_* environment < CLI.

Percentages are in percent units (``5`` means 5 %), as the names say. The user's seed documents
store some of these as fractions (0.05 for 5 %); phantom does not.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "PHANTOM_"


class Mode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


Pct = float  # a percentage, 0..100

ENGINE_NAMES: tuple[str, ...] = ("arb", "scalp", "lst", "funding")
"""The engines ``phantom run`` can run, in the order a paper run feeds them."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_default=True,
        case_sensitive=False,
    )

    # --- mode and safety ---
    mode: Mode = Field(Mode.PAPER, description="paper (default) or live")
    enable_trading: bool = Field(False, description="live sends transactions only when true")
    seed: int = Field(0, ge=0, description="seed of every random draw")

    # --- dynamic slippage model (used when pool reserves are unknown) ---
    slippage_base_pct: Pct = Field(0.3, ge=0, le=100, description="base spread, percent")
    slippage_impact_multiplier: float = Field(
        0.05, ge=0, le=100, description="impact = multiplier * size / liquidity"
    )
    slippage_volatility_multiplier: float = Field(
        3.0, ge=1, le=100, description="slippage multiplier when the market is volatile"
    )

    # --- MEV ---
    mev_risk_rate_pct: Pct = Field(
        20.0, ge=0, le=100, description="chance a public order is seen by a sandwich bot, percent"
    )
    mev_penalty_max_pct: Pct = Field(
        1.0, ge=0, le=100, description="max probabilistic MEV penalty when reserves are unknown"
    )
    mev_attacker_min_profit_usd: Decimal = Field(
        Decimal("0.05"), ge=0, description="a sandwich bot acts only above this profit"
    )

    # --- failures, latency, partial fills ---
    transaction_failure_rate_pct: Pct = Field(5.0, ge=0, le=100, description="percent")
    execution_delay_min_ms: int = Field(200, ge=0, le=600_000)
    execution_delay_max_ms: int = Field(1200, ge=0, le=600_000)
    partial_fill_rate_pct: Pct = Field(10.0, ge=0, le=100, description="percent")
    min_fill_pct: Pct = Field(80.0, gt=0, le=100, description="smallest partial fill, percent")

    # --- network costs (Solana) ---
    simulation_swap_fee_sol: Decimal = Field(
        Decimal("0.000005"), ge=0, description="base fee per signature, SOL (5000 lamports)"
    )
    compute_unit_price_micro_lamports: int = Field(10_000, ge=0)
    compute_unit_limit: int = Field(300_000, gt=0, le=1_400_000)
    jito_tip_lamports: int = Field(1000, ge=1000, description="Jito minimum tip is 1000")

    # --- gas refuel ---
    gas_critical_sol: Decimal = Field(Decimal("0.02"), ge=0)
    gas_replenish_usd: Decimal = Field(Decimal("10"), gt=0)

    # --- profit and size limits ---
    min_profit_usd: Decimal = Field(Decimal("0.50"), ge=0)
    min_profit_bps: Decimal = Field(Decimal("10"), ge=0)
    max_slippage_bps: int = Field(50, ge=1, le=10_000)
    max_trade_usd: Decimal = Field(Decimal("5000"), gt=0)
    max_concurrent_executions: int = Field(3, ge=1, le=1000)
    max_execution_time_s: float = Field(300.0, gt=0)

    # --- circuit breaker and volatility gate ---
    max_consecutive_failures: int = Field(5, ge=1)
    failure_cooldown_s: float = Field(60.0, ge=0)
    volatility_window: int = Field(60, ge=2, description="reference ticks in the window")
    volatility_threshold_pct: Pct = Field(
        2.0, gt=0, le=100, description="realized move over the window above which it is volatile"
    )

    # --- route policy (sandwich risk = attacker's optimal profit / trade notional) ---
    sandwich_risk_medium_bps: Decimal = Field(Decimal("2"), ge=0)
    sandwich_risk_high_bps: Decimal = Field(Decimal("10"), ge=0)
    tight_slippage_bps: int = Field(10, ge=1, le=10_000)

    # --- engines (paper runs every enabled engine at once; live at most one) ---
    engines: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["arb"],
        description="enabled engines: JSON list or comma list of " + ", ".join(ENGINE_NAMES),
    )

    # --- capital (one vault per engine) ---
    arb_initial_usd: Decimal = Field(Decimal("20000"), gt=0)
    arb_initial_sol: Decimal = Field(Decimal("0.1"), ge=0)
    scalp_initial_usd: Decimal = Field(Decimal("5000"), gt=0, description="scalp vault, USDC")
    scalp_initial_sol: Decimal = Field(Decimal("0.1"), ge=0, description="scalp gas, SOL")
    lst_initial_sol: Decimal = Field(
        Decimal("100"), gt=0, description="lst vault, SOL (its capital and its gas)"
    )
    funding_initial_usd: Decimal = Field(Decimal("10000"), gt=0, description="funding, USDC")
    funding_initial_sol: Decimal = Field(Decimal("0.1"), ge=0, description="funding gas, SOL")

    # --- the other engines on the replay world (docs/paper-mode.md) ---
    paper_bar_s: int = Field(
        60, ge=5, le=3600, description="bar length fed to bar engines (scalp, lst), seconds"
    )
    scalp_pool: str | None = Field(
        None, description="replay SOL/USDC pool the scalp trades on; unset: the deepest"
    )
    scalp_liquidity_usd: Decimal | None = Field(
        None,
        gt=0,
        description="set: scalp orders use the dynamic slippage model at this liquidity "
        "(a thin, meme-like pool) instead of SCALP_POOL's curve",
    )
    lst_symbols: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["jitoSOL", "mSOL"], description="LSTs the lst engine trades"
    )
    lst_apr_pct: Pct | None = Field(
        None, ge=0, le=100, description="staking APR of every LST; unset: each LST's own"
    )
    lst_depeg_scale: float = Field(
        1.0, ge=0, le=10, description="multiplies the replay world's de-peg stress model"
    )
    funding_symbol: str = Field("ETH", pattern="^(ETH|BTC)$", description="perp and spot asset")
    funding_spot_pool: str | None = Field(
        None, description="replay pool of the spot leg; unset: the deepest <symbol>/USDC pool"
    )

    # --- replay world ---
    replay_speed: float = Field(
        600.0, gt=0, le=1_000_000, description="simulated seconds per wall second"
    )
    replay_data: Path | None = Field(None, description="price file; default: the embedded sample")
    replay_start: str | None = Field(None, description="ISO date/time to start the replay at")

    # --- storage and logs ---
    state_dir: Path = Field(Path("var"), description="ledger database lives here")
    logs_dir: Path = Field(Path("logs"))
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    # --- EVM live execution ---
    chain: str = Field("devnet", description="EVM chain for live mode (registry name or id)")
    evm_rpc_url: str | None = Field(None, description="HTTP JSON-RPC; devnet: from its file")
    evm_ws_url: str | None = Field(None, description="WebSocket JSON-RPC")
    max_base_fee_gwei: Decimal = Field(Decimal("200"), gt=0)
    max_priority_fee_gwei: Decimal = Field(Decimal("50"), ge=0)
    receipt_timeout_s: float = Field(60.0, gt=0)
    keystore_dir: Path = Field(Path("keystore"))
    evm_wallet: str | None = Field(None, description="keystore wallet name for live mode")
    keystore_password_env: str = Field("PHANTOM_KEYSTORE_PASSWORD")
    devnet_dir: Path = Field(Path("var/devnet"), description="devnet state and deployment file")

    # --- secrets (read by live venues; masked everywhere) ---
    solana_private_key: SecretStr | None = None
    evm_private_key: SecretStr | None = None
    jupiter_api_key: SecretStr | None = None
    solana_rpc_urls: list[str] = Field(default_factory=list)

    # --- perp venue (funding live) -------------------------------------------------------------
    # the funding engine's perp leg in live mode (docs/perp-venues.md); live funding refuses to
    # start unless PERP_EXCHANGE and PERP_API_URL are both set: nothing here defaults to a venue
    perp_exchange: str = Field(
        "", pattern=r"^[a-z0-9_]*$", description="ccxt exchange id (binanceusdm...); empty: none"
    )
    perp_api_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="base URL replacing the venue's API hosts (the local perp exchange's URL)",
    )
    perp_api_key: SecretStr | None = None
    perp_api_secret: SecretStr | None = None
    perp_market: str = Field(
        "SOL/USDC:USDC", min_length=1, description="unified perp symbol the funding engine shorts"
    )
    perp_testnet: bool = Field(False, description="the venue's testnet (ccxt sandbox mode)")
    # --- end perp venue (funding live) ---------------------------------------------------------

    @field_validator("engines", "lst_symbols", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A JSON list (``'["arb","scalp"]'``) or a comma list (``arb,scalp``)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                try:
                    return json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list: {exc}") from None
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("engines")
    @classmethod
    def _check_engines(cls, value: list[str]) -> list[str]:
        names = [v.strip().lower() for v in value]
        unknown = [n for n in names if n not in ENGINE_NAMES]
        if unknown:
            raise ValueError(
                f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINE_NAMES)}"
            )
        if not names:
            raise ValueError(f"enable at least one engine of {', '.join(ENGINE_NAMES)}")
        if len(set(names)) != len(names):
            raise ValueError(f"an engine is listed twice: {', '.join(names)}")
        return [n for n in ENGINE_NAMES if n in names]

    @field_validator("lst_symbols")
    @classmethod
    def _check_lsts(cls, value: list[str]) -> list[str]:
        from phantom.market.replay.lst import DEFAULT_LSTS

        known = [spec.symbol for spec in DEFAULT_LSTS]
        unknown = [v for v in value if v not in known]
        if unknown or not value or len(set(value)) != len(value):
            raise ValueError(
                f"expected distinct LSTs of {', '.join(known)}, got {', '.join(value) or 'none'}"
            )
        return list(value)

    @model_validator(mode="after")
    def _check_relations(self) -> Settings:
        if self.mode is Mode.LIVE and len(self.engines) > 1:
            raise ValueError(
                f"live mode runs at most one engine, ENGINES enables {len(self.engines)} "
                f"({', '.join(self.engines)}); paper mode runs them all at once"
            )
        if self.execution_delay_max_ms < self.execution_delay_min_ms:
            raise ValueError(
                "execution_delay_max_ms must be >= execution_delay_min_ms "
                f"(got {self.execution_delay_max_ms} < {self.execution_delay_min_ms})"
            )
        if self.execution_delay_max_ms > self.max_execution_time_s * 1000:
            raise ValueError(
                "execution_delay_max_ms must not exceed max_execution_time_s (in ms): "
                "an order may not take longer than the time allowed for an execution"
            )
        if self.sandwich_risk_high_bps < self.sandwich_risk_medium_bps:
            raise ValueError("sandwich_risk_high_bps must be >= sandwich_risk_medium_bps")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init (CLI) > environment > .env > phantom.toml > defaults
        return (init_settings, env_settings, dotenv_settings, _TomlSource(settings_cls))


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``phantom.toml`` (or the file named by PHANTOM_CONFIG) as flat keys."""

    path: Path | None = None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        import os

        path = Path(os.environ.get(f"{ENV_PREFIX}CONFIG", "phantom.toml"))
        if not path.exists():
            return {}
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        return {str(k).lower(): v for k, v in data.items()}


class SettingsError(Exception):
    """A bad setting; the message names it and what is allowed."""


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ())) or "settings"
    name = loc.upper()
    got = error.get("input")
    msg = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        return f"unknown setting {name}"
    shown = "(hidden)" if "key" in loc.lower() or "secret" in loc.lower() else repr(got)
    return f"setting {name} (env {ENV_PREFIX}{name}): got {shown}; {msg}"


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings, raising :class:`SettingsError` with a readable message."""
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        lines = [_describe(dict(e)) for e in exc.errors()]
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def masked_settings(settings: Settings) -> dict[str, str]:
    """Effective settings as display strings, secrets masked."""
    out: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            out[name] = "********" if value.get_secret_value() else "(empty)"
        elif value is None:
            out[name] = "(unset)"
        else:
            out[name] = str(value.value if isinstance(value, StrEnum) else value)
    return out
