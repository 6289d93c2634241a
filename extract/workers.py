"""Worker threads for the API requests of a batch, which a stopping run may abandon.

concurrent.futures' ThreadPoolExecutor joins its threads when the pool is shut down and again at
interpreter exit, so a process whose workers sit in 60 s socket reads would hang until the reads
time out (and Cloud Run kills it 10 s after SIGTERM). These are daemon threads that nobody joins:
close() only tells them to end after the task in hand, and the process may exit meanwhile.
Tasks still hand back concurrent.futures Futures, so `concurrent.futures.wait` works on them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class Workers:
    """Up to `size` daemon threads named `name-N`, started as tasks arrive. Thread-safe."""

    def __init__(self, size: int, name: str):
        if size < 1:
            raise ValueError(f"a worker pool needs at least 1 thread, not {size}")
        self.size, self.name = size, name
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run fn(*args) on a worker; its Future holds the result or the exception."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            self._tasks.put((future, fn, args))
            if self._idle > 0:
                self._idle -= 1  # that worker takes this task
            elif len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def close(self) -> None:
        """Let every worker end after its task in hand; returns at once (no join)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._tasks.put(None)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            future, fn, args = task
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future
                    future.set_exception(exc)
            del task, future, fn, args  # nothing of a finished task stays alive with the thread
            with self._lock:
                self._idle += 1
