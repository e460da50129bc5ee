"""The golden tests reuse the execution tests' builders (``tests/execution/exec_support.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

EXECUTION_TESTS = str(Path(__file__).resolve().parent.parent / "execution")
if EXECUTION_TESTS not in sys.path:
    sys.path.insert(0, EXECUTION_TESTS)
