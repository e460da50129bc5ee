"""The funding engine's backtest: aligned spot/perp/funding/mark series, the paper perp venue
and the paper realism model for the spot legs (``run_funding_backtest``)."""
