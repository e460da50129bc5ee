"""Rewrite the golden files from the current code: ``python tests/perf_golden/regenerate.py``.

Only for an intended behaviour change; a speed-up must leave every file byte-identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS), str(TESTS / "execution")]

from perf_golden.golden import write_all  # noqa: E402

if __name__ == "__main__":
    for name in write_all():
        print(f"wrote tests/perf_golden/golden/{name}")
