"""Paper sessions on disk: each ``phantom run`` starts a fresh session unless told to resume.

Layout under STATE_DIR::

    sessions/<id>/ledger.sqlite   the session's ledger and write-ahead journal
    sessions/<id>/session.json    seed, replay start, segments (one per start or resume)
    current                       the id of the latest session
    phantom.pid                   pid of the running ``phantom run``
    STOP                          present when ``phantom stop`` asked the run to stop
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class SessionError(Exception):
    pass


@dataclass(slots=True)
class Session:
    dir: Path
    session_id: str
    seed: int
    segments: list[dict[str, Any]]

    @property
    def ledger_path(self) -> Path:
        return self.dir / "ledger.sqlite"

    @property
    def segment(self) -> int:
        return len(self.segments)

    def add_segment(self, sim_start: float) -> None:
        self.segments.append({"segment": len(self.segments) + 1, "sim_start": sim_start})
        self._save()

    def _save(self) -> None:
        data = {"session_id": self.session_id, "seed": self.seed, "segments": self.segments}
        tmp = self.dir / "session.json.tmp"
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.dir / "session.json")


def _sessions_root(state_dir: Path) -> Path:
    return state_dir / "sessions"


def new_session(state_dir: Path, seed: int) -> Session:
    root = _sessions_root(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    base = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    session_id, n = base, 1
    while (root / session_id).exists():
        n += 1
        session_id = f"{base}-{n}"
    sdir = root / session_id
    sdir.mkdir()
    session = Session(sdir, session_id, seed, [])
    session._save()
    (state_dir / "current").write_text(session_id + "\n", encoding="utf-8")
    return session


def load_session(state_dir: Path, session_id: str | None = None) -> Session:
    if session_id is None:
        current = state_dir / "current"
        if not current.exists():
            raise SessionError(f"no session yet under {state_dir}: run `phantom run` first")
        session_id = current.read_text(encoding="utf-8").strip()
    sdir = _sessions_root(state_dir) / session_id
    meta = sdir / "session.json"
    if not meta.exists():
        raise SessionError(f"session {session_id} not found under {state_dir}")
    data = orjson.loads(meta.read_bytes())
    return Session(sdir, str(data["session_id"]), int(data["seed"]), list(data["segments"]))


def all_sessions(state_dir: Path) -> list[Session]:
    root = _sessions_root(state_dir)
    if not root.exists():
        return []
    return [load_session(state_dir, p.name) for p in sorted(root.iterdir()) if p.is_dir()]
