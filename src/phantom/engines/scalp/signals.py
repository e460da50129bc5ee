"""Entry signals of the scalp pods, vectorised over a batch of bars.

Every value a bar's signal depends on comes from a fixed window ending at that bar (the bar and
the ones before it), computed the same way wherever the batch starts: sums are accumulated in
a fixed left-to-right order and maxima are exact. The caller prepends the last bars of the
previous batch (the *tail*), so any batch size gives the same signals, bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from phantom.engines.scalp.params import PodParams

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def trailing_sum(x: FloatArray, w: int) -> FloatArray:
    """``out[k] = x[k] + x[k+1] + ... + x[k+w-1]``, added in that order, for every full window."""
    m = x.shape[0] - w + 1
    if m <= 0:
        return np.empty(0, dtype=np.float64)
    out = x[:m].copy()
    for k in range(1, w):
        out += x[k : k + m]
    return out


def pod_signal(
    pod: PodParams, close: FloatArray, high: FloatArray, volume: FloatArray, offset: int
) -> BoolArray:
    """Entry signal of ``pod`` for bars ``offset..`` of the extended arrays (tail + batch).

    Index ``j`` of the extended arrays is bar ``j - offset`` of the batch; a bar without
    ``pod.warmup_bars`` bars before it in the extended arrays never signals.
    """
    total = close.shape[0]
    n = total - offset
    out = np.zeros(n, dtype=bool)
    first = max(offset, pod.warmup_bars)  # first extended index that can signal
    if first >= total:
        return out
    j = np.arange(first, total)
    ok = np.ones(j.shape[0], dtype=bool)
    lb = pod.lookback_bars
    ret = close[j] / close[j - lb] - 1.0
    ok &= ret >= pod.entry_return_pct / 100.0
    if pod.breakout_bars:
        b = pod.breakout_bars
        prior_max = sliding_window_view(high, b).max(axis=1)  # window k: high[k .. k+b-1]
        ok &= close[j] > prior_max[j - b]
    if pod.volume_bars:
        v = pod.volume_bars
        sums = trailing_sum(volume, v)  # window k: volume[k .. k+v-1]
        ok &= volume[j] * v >= pod.volume_mult * sums[j - v]
    out[first - offset :] = ok
    return out
