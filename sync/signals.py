"""SIGTERM and SIGINT stop this process's runs cleanly, well inside the 10 s Cloud Run gives.

Cloud Run ends a job at its task timeout (and a service instance when it scales in) with SIGTERM,
then SIGKILL 10 s later; `docker stop` does the same; Ctrl-C is SIGINT. Python as a container's
PID 1 ignores SIGTERM unless a handler is installed, so every `jssync` command that runs a sync
installs one (`handled()`); `jssync serve` wires its gunicorn workers to `note()`.

The handler only notes the signal and wakes the monitor thread through a pipe (also through
signal.set_wakeup_fd, which the interpreter writes to even while the main thread is blocked in a
database call). The monitor asks every open run's RunStop to stop; each run then does the work
on its own thread: no request starts, those in flight are abandoned, the batch in hand is merged
or rolled back, the run row is closed as stopped early and the report goes out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import weakref
from collections.abc import Iterator

from extract.stopping import RunStop

log = logging.getLogger("jssync.signals")

HANDLED = (signal.SIGTERM, signal.SIGINT)
STOPPING = frozenset({*HANDLED, signal.SIGQUIT})  # gunicorn's quick shutdown sends workers SIGQUIT
# A stopping run is done well before Cloud Run's SIGKILL; past this the process exits regardless
# (a last resort for work that did not notice the stop), still before the 10 s are up.
EXIT_AFTER_SECONDS = 9.0
_WHY = {
    signal.SIGTERM: "the process was asked to end (Cloud Run's task timeout, docker stop, a shutdown)",
    signal.SIGINT: "interrupted (Ctrl-C)",
}

_received: int | None = None  # the first signal this process got
_wake: int | None = None  # the pipe's write end, once the monitor runs
_fd_wakes = False  # the pipe is the interpreter's wakeup fd (handled()): it writes each signal
_owner: int | None = None  # the pid the monitor runs in (a forked worker starts its own)
_runs: weakref.WeakSet[RunStop] = weakref.WeakSet()
_lock = threading.Lock()


def name(signum: int) -> str:
    """SIGTERM, SIGINT, ..."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def stop_reason(signum: int) -> str:
    """The stop_reason of a run this signal stopped: it names the signal."""
    why = _WHY.get(signum, "the process was asked to end")
    return f"Stopped by {name(signum)}: {why}; unfinished ASINs stay due for the next run"


def received() -> int | None:
    """The first SIGTERM/SIGINT this process got, if any."""
    return _received


def note(signum: int, frame: object = None) -> None:
    """The signal handler: remember the first signal and wake the monitor; nothing else (no
    lock, no logging: it runs between two bytecodes of whatever the main thread was doing)."""
    global _received
    if _received is None:
        _received = signum
    fd = _wake
    if fd is not None and not _fd_wakes:  # else the interpreter wrote the byte already
        try:
            os.write(fd, bytes([signum]))
        except OSError:  # a full pipe wakes the monitor as well
            pass


def watch(stop: RunStop) -> None:
    """Stop `stop` at the next signal (at once when one already came)."""
    with _lock:
        _runs.add(stop)
    if _received is not None:
        stop.request(stop_reason(_received))


def unwatch(stop: RunStop) -> None:
    with _lock:
        _runs.discard(stop)


def start_monitor() -> None:
    """Start this process's monitor thread (once per process; a forked worker starts its own)."""
    global _wake, _owner
    with _lock:
        if _owner == os.getpid():
            return
        read, write = os.pipe()
        os.set_blocking(write, False)
        _wake, _owner = write, os.getpid()
    threading.Thread(target=_monitor, args=(read,), name="jssync-signals", daemon=True).start()


def _monitor(read: int) -> None:
    while True:
        try:
            data = os.read(read, 64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum in STOPPING:  # the wakeup fd carries every signal Python handles
                _fire(signum)


def _fire(signum: int) -> None:
    global _received
    if _received is None:
        _received = signum
    with _lock:
        runs = list(_runs)
    asked = [stop for stop in runs if stop.request(stop_reason(_received))]
    if asked:
        log.warning("%s received: stopping %d run(s)", name(signum), len(asked))
    elif runs:
        log.warning("%s received again: the run is already stopping", name(signum))
    else:
        log.warning("%s received: no run is open; the command ends as soon as it can", name(signum))
    if _exit_after is not None and _deadman is None:
        _start_deadman()


_exit_after: float | None = None  # set by handled(): the CLI's last resort
_deadman: threading.Thread | None = None


def _start_deadman() -> None:
    global _deadman
    seconds = _exit_after

    def last_resort() -> None:
        threading.Event().wait(seconds)
        log.error("still running %g s after %s: exiting now", seconds, name(_received or 0))
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(1)

    _deadman = threading.Thread(target=last_resort, name="jssync-last-resort", daemon=True)
    _deadman.start()


@contextlib.contextmanager
def handled(*, exit_after: float | None = EXIT_AFTER_SECONDS) -> Iterator[None]:
    """SIGTERM and SIGINT stop this process's runs while the block runs (the main thread only;
    elsewhere a no-op). `exit_after`: seconds after the signal when the process exits whatever
    it is doing (None: never). The previous handlers and wakeup fd come back afterwards."""
    global _exit_after, _fd_wakes
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    start_monitor()
    previous = {signum: signal.signal(signum, note) for signum in HANDLED}
    before_fd = signal.set_wakeup_fd(_wake, warn_on_full_buffer=False)
    before = (_exit_after, _fd_wakes)
    _exit_after, _fd_wakes = exit_after, True
    try:
        yield
    finally:
        _exit_after, _fd_wakes = before
        signal.set_wakeup_fd(before_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
