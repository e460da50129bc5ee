"""The reference directional strategy: SMA fast/slow crossover, long or flat."""

from phantom.engines.sma.engine import SmaEngine
from phantom.engines.sma.params import SmaParams

__all__ = ["SmaEngine", "SmaParams"]
