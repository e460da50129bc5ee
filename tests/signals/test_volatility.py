from __future__ import annotations

import math

from phantom.signals.volatility import RollingVolatility


def test_flat_market_is_calm_and_a_slide_is_volatile() -> None:
    vol = RollingVolatility(window=10)
    for _ in range(20):
        vol.update(100.0)
    assert vol.value == 0.0
    price = 100.0
    for _ in range(10):
        price *= 0.99  # a steady 1 % per tick slide: mean-centred stdev would call it calm
        vol.update(price)
    assert math.isclose(vol.value, math.sqrt(10) * 1.0, rel_tol=1e-6)
    assert vol.is_volatile(2.0)


def test_window_forgets_old_moves() -> None:
    vol = RollingVolatility(window=3)
    vol.update(100.0)
    vol.update(110.0)
    for _ in range(3):
        vol.update(110.0)
    assert vol.value < 1e-9
