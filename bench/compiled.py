"""A mypyc-compiled build of phantom's backtest hot path (``build/compiled/``), for the speed race.

The same source, compiled: ``src/phantom`` is copied to ``build/compiled/phantom`` and the
modules of :data:`HOT_MODULES` (the bar loop, the book, the paper realism model, the fill
builder, the SMA engine and the value types they pass around) are compiled to C extensions by
mypyc, next to their ``.py`` files; every other module stays interpreted. A process started with
``PYTHONPATH=build/compiled`` imports that tree instead of ``src/``. The build is cached: it is
redone only when a source file or the mypyc version changes (a stamp of their hashes).

Needs a C compiler and ``setuptools`` (a dev dependency); without them :func:`build` raises
:class:`BuildUnavailable` with the reason and the race lists the compiled rows as unavailable.
The race checks that the compiled build gives the same trades and final equity as the
interpreted one; ``tests/perf_golden`` can be run against it the same way
(``PYTHONPATH=build/compiled pytest tests/perf_golden``).

``python -m bench.compiled`` builds it and prints the directory.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "phantom"
OUT = ROOT / "build" / "compiled"
STAMP = OUT / "STAMP"

HOT_MODULES: tuple[str, ...] = (
    "phantom/backtest/runner.py",
    "phantom/backtest/book.py",
    "phantom/backtest/market.py",
    "phantom/backtest/clients.py",
    "phantom/execution/paper.py",
    "phantom/execution/realism.py",
    "phantom/execution/fill_builder.py",
    "phantom/execution/params.py",
    "phantom/execution/client.py",
    "phantom/engines/base.py",
    "phantom/engines/sma/engine.py",
    "phantom/core/orders.py",
    "phantom/core/fills.py",
    "phantom/core/costs.py",
    "phantom/core/fees.py",
    "phantom/core/rng.py",
    "phantom/core/token.py",
    "phantom/risk/gate.py",
    "phantom/risk/gates.py",
    "phantom/risk/breaker.py",
)

_SETUP = """
from setuptools import setup
from mypyc.build import mypycify
setup(
    name="phantom-compiled",
    ext_modules=mypycify({modules!r}, opt_level="3"),
    script_args=["build_ext", "--inplace"],
)
"""


class BuildUnavailable(RuntimeError):
    """The compiled build cannot be made here (no compiler, no setuptools, a mypyc error)."""


def _stamp() -> str:
    digest = hashlib.sha256()
    try:
        import mypy.version

        digest.update(mypy.version.__version__.encode())
    except ImportError as exc:
        raise BuildUnavailable("mypy (mypyc) is not installed") from exc
    for path in sorted(SRC.rglob("*.py")):
        digest.update(str(path.relative_to(SRC)).encode())
        digest.update(path.read_bytes())
    digest.update(repr(HOT_MODULES).encode())
    return digest.hexdigest()


def build(force: bool = False) -> Path:
    """Build (or reuse) the compiled tree; returns the directory to put on ``PYTHONPATH``."""
    stamp = _stamp()
    if not force and STAMP.is_file() and STAMP.read_text(encoding="utf-8") == stamp:
        return OUT
    try:
        import setuptools  # noqa: F401
    except ImportError as exc:
        raise BuildUnavailable("setuptools is not installed (uv sync installs it)") from exc
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        raise BuildUnavailable("no C compiler (apt install build-essential)")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    shutil.copytree(SRC, OUT / "phantom", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", OUT / "pyproject.toml")  # the same mypy settings
    proc = subprocess.run(
        [sys.executable, "-c", _SETUP.format(modules=list(HOT_MODULES))],
        cwd=OUT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-4:])
        raise BuildUnavailable(f"mypyc build failed: {tail[:400]}")
    for module in HOT_MODULES:
        stem = (OUT / module).with_suffix("")
        if not list(stem.parent.glob(f"{stem.name}.*.so")):
            raise BuildUnavailable(f"mypyc built no extension for {module}")
    STAMP.write_text(stamp, encoding="utf-8")
    return OUT


def is_compiled() -> bool:
    """Whether this process runs the compiled build (the paper client is a native class)."""
    from phantom.core.construct import is_native
    from phantom.execution.paper import PaperExecutionClient

    return is_native(PaperExecutionClient)


if __name__ == "__main__":
    try:
        print(build(force="--force" in sys.argv))
    except BuildUnavailable as exc:
        print(f"compiled build unavailable: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
