"""An asyncio event loop in a helper thread, driven from synchronous code.

The live loop is synchronous like every other mode (engines are sync and pure); the EVM venue is
async (httpx, websockets). :class:`AsyncBridge` runs one event loop in a daemon thread; the
synchronous side hands it coroutines with :meth:`spawn` (fire and forget, result via a
``concurrent.futures.Future``) or :meth:`run` (block until done). Every coroutine that touches the
venue (RPC client, transaction manager, WebSocket streams) runs on that one loop, so the venue's
asyncio locks and connection pools are never shared across loops.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")


class AsyncBridge:
    def __init__(self, name: str = "phantom-evm-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._started = False

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # drain what is left so nothing is destroyed while pending
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def start(self) -> Self:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    @property
    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def spawn(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns at once."""
        if not self._started:
            coro.close()
            raise RuntimeError("AsyncBridge is not started")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result (re-raises its exception)."""
        if self.in_loop_thread:
            coro.close()
            raise RuntimeError("AsyncBridge.run called from the loop thread (would deadlock)")
        future = self.spawn(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the EVM loop did not finish within {timeout}s") from None

    def stop(self, timeout: float = 10.0) -> None:
        if not self._started or not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
