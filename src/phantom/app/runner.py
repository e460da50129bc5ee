"""Runs a paper session: logging, signals, pid file, status view, summary."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from phantom.app.logging_setup import configure, get_logger
from phantom.app.paper_run import PaperRun, RunOptions
from phantom.app.session import load_session, new_session
from phantom.app.settings import Settings
from phantom.app.status_view import StatusView
from phantom.app.stopping import install_signal_handlers, watch_stop_file
from phantom.risk.breaker import KillSwitch


def run_paper(
    settings: Settings,
    duration_s: float | None,
    summary_json: Path | None,
    pace: bool = True,
    resume: bool = False,
) -> int:
    log_path = configure(settings.logs_dir, settings.log_level)
    log = get_logger("phantom.runner")
    state_dir = settings.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    stop_file = state_dir / "STOP"
    session = load_session(state_dir) if resume and (state_dir / "current").exists() else None
    if session is None:
        session = new_session(state_dir, settings.seed)
    kill = KillSwitch()
    install_signal_handlers(kill)
    watcher_done = watch_stop_file(stop_file, kill)
    pid_file = state_dir / "phantom.pid"
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    log.info("run_start", session=session.session_id, seed=settings.seed, log=str(log_path))
    try:
        try:
            run = PaperRun(
                settings, session, RunOptions(duration_s, pace=pace, resume=resume), kill
            )
        except (ValueError, OSError) as exc:  # bad replay data, unreadable file, bad world
            print(f"error: cannot start the paper run: {exc}", file=sys.stderr)
            log.error("run_refused", error=str(exc))
            return 2
        with StatusView() as view:
            summary = run.run(on_status=view)
        view.final(run)
    finally:
        watcher_done.set()
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()
    summary["session"] = session.session_id
    if summary_json is not None:
        dump_json({k: v for k, v in summary.items() if k != "session"}, summary_json)
        print(f"summary written to {summary_json}")
    print(f"logs: {log_path}; ledger: {session.ledger_path}")
    log.info("run_end", **{k: v for k, v in summary.items() if not isinstance(v, dict)})
    return 0


def dump_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
