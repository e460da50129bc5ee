"""Fair value of an LST from its market ratio alone: the staking-accrual trend, past data only.

A liquid staking token accrues staking rewards, so its exchange rate against the underlying grows
at a nearly constant rate: ``log(rate)`` is close to a straight line in time. The model fits that
line to the trailing window of closes and extrapolates it to the bar being decided.

- **Past data only.** Fits are made on a fixed grid of anchor times (multiples of ``refit_s``
  epoch seconds). The fit at anchor ``a`` uses the closes known at ``a`` (close time ``<= a``)
  in ``(a - window_s, a]``; a bar closing at ``t`` uses the fit of the last anchor ``<= t``. No
  fit ever sees a bar after the one it prices, and the grid does not depend on how the bars are
  batched, so any batch size gives the same fair values, bit for bit.
- **Robust.** A de-peg must not drag the trend down: the slope is the median of the slopes
  between each point and the one half a window later (a Theil-Sen estimate on ``n / 2`` disjoint
  pairs, breakdown point about 25 %), the level the median of the residuals. One fit is O(n).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
MIN_POINTS = 8


def robust_line(t: FloatArray, y: FloatArray, at: float) -> tuple[float, float]:
    """``(level, slope)`` of a robust line through ``(t, y)`` (``t`` increasing), the level
    taken at time ``at``: ``y(x) ~ level + slope * (x - at)``."""
    h = t.shape[0] // 2
    slopes = (y[h : 2 * h] - y[:h]) / (t[h : 2 * h] - t[:h])
    slope = float(np.median(slopes))
    level = float(np.median(y - slope * (t - at)))
    return level, slope


class TrendFairValue:
    """Fair values of consecutive batches of closes (see the module's docstring)."""

    def __init__(self, window_s: float, min_history_s: float, refit_s: float) -> None:
        self.window_s = window_s
        self.min_history_s = min_history_s
        self.refit_s = refit_s
        self._t: FloatArray = np.empty(0, dtype=np.float64)
        self._y: FloatArray = np.empty(0, dtype=np.float64)
        self._first_t = math.nan
        self.fits = 0

    def update(self, close_ts: FloatArray, ratio: FloatArray) -> FloatArray:
        """Append a batch (close times, market ratios); return each bar's fair ratio (NaN while
        the history is shorter than ``min_history_s``)."""
        n = close_ts.shape[0]
        out = np.full(n, np.nan, dtype=np.float64)
        if n == 0:
            return out
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(ratio)
        t = np.concatenate((self._t, close_ts))
        y = np.concatenate((self._y, logs))
        if math.isnan(self._first_t):
            self._first_t = float(close_ts[0])
        anchors = np.floor(close_ts / self.refit_s) * self.refit_s
        cuts = np.flatnonzero(np.diff(anchors)) + 1
        bounds = [0, *cuts.tolist(), n]
        for g0, g1 in itertools.pairwise(bounds):
            a = float(anchors[g0])
            fit = self._fit(t, y, a)
            if fit is not None:
                level, slope = fit
                out[g0:g1] = np.exp(level + slope * (close_ts[g0:g1] - a))
        keep = t > float(t[-1]) - self.window_s - self.refit_s
        self._t, self._y = t[keep].copy(), y[keep].copy()
        return out

    def _fit(self, t: FloatArray, y: FloatArray, a: float) -> tuple[float, float] | None:
        if a - self._first_t < self.min_history_s:
            return None
        i0 = int(np.searchsorted(t, a - self.window_s, side="right"))
        i1 = int(np.searchsorted(t, a, side="right"))
        ts, ys = t[i0:i1], y[i0:i1]
        ok = np.isfinite(ys)
        if not ok.all():
            ts, ys = ts[ok], ys[ok]
        if ts.shape[0] < MIN_POINTS:
            return None
        self.fits += 1
        return robust_line(ts, ys, a)
