"""A small threaded TCP proxy for tests and benchmarks: added latency, and simulated outages.

    with TcpProxy("127.0.0.1", 5432, delay=0.002) as proxy:   # +2 ms each way
        connect(host=proxy.host, port=proxy.port)
        proxy.cut()       # drop every connection and refuse new ones
        proxy.restore()   # accept again

Each connection gets one reader and one sender thread per direction. The reader stamps each chunk
with ``arrival + delay`` and queues it; the sender sends chunks in order once their time has come.
So latency is added per chunk, chunks never overtake each other, and connections never wait on
each other.
"""

from __future__ import annotations

import collections
import selectors
import socket
import threading
import time
from types import TracebackType

__all__ = ["TcpProxy"]

_CHUNK = 65536


class _Direction:
    """One way of a connection: a FIFO of (due time, bytes) between a reader and a sender thread."""

    def __init__(self, conn: _Connection, src: socket.socket, dst: socket.socket, name: str):
        self.conn = conn
        self.src = src
        self.dst = dst
        self.name = name
        self.items: collections.deque[tuple[float, bytes]] = collections.deque()
        self.cond = threading.Condition()
        self.closed = False

    def read_loop(self) -> None:
        try:
            while True:
                try:
                    data = self.src.recv(_CHUNK)
                except OSError:
                    self.conn.kill()
                    return
                with self.cond:
                    if self.closed:
                        return
                    # delay is read per chunk so the proxy's delay can change at run time.
                    self.items.append((time.monotonic() + max(0.0, self.conn.proxy.delay), data))
                    self.cond.notify()
                if not data:
                    return
        finally:
            self.conn.thread_done()

    def send_loop(self) -> None:
        try:
            while True:
                with self.cond:
                    while not self.items and not self.closed:
                        self.cond.wait()
                    if self.closed:
                        return
                    due, data = self.items[0]
                    remaining = due - time.monotonic()
                    if remaining > 0:
                        # Woken early by close() or a new chunk: re-check; FIFO keeps the order.
                        self.cond.wait(remaining)
                        continue
                    self.items.popleft()
                try:
                    if not data:
                        self.dst.shutdown(socket.SHUT_WR)  # pass the half-close on
                        return
                    self.dst.sendall(data)
                except OSError:
                    self.conn.kill()
                    return
        finally:
            self.conn.thread_done()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.items.clear()
            self.cond.notify_all()


class _Connection:
    """A client socket and its upstream; sockets are closed only after all its threads have left.

    Closing a socket another thread is blocked on neither wakes that thread nor is safe (the fd number
    can be reused), so kill() only shuts the sockets down and the last thread out closes them.
    """

    def __init__(self, proxy: TcpProxy, client: socket.socket):
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.directions: list[_Direction] = []
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._active = 1  # the setup thread
        self._killed = False
        self._finalized = False

    def start(self) -> None:
        thread = threading.Thread(target=self._setup, name="tcpproxy-setup", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _setup(self) -> None:
        try:
            try:
                upstream = socket.create_connection(self.proxy.target, timeout=10)
            except OSError:
                self.kill()
                return
            upstream.settimeout(None)
            with self._lock:
                self.upstream = upstream
                if self._killed:
                    return  # cut()/stop() raced the connect; thread_done() closes upstream too
                for sock in (self.client, upstream):
                    # Without it, Nagle + delayed ACKs add ~40 ms stalls to small request/response traffic.
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.directions = [
                    _Direction(self, self.client, upstream, "c2s"),
                    _Direction(self, upstream, self.client, "s2c"),
                ]
                new_threads = [
                    threading.Thread(target=fn, name=f"tcpproxy-{d.name}-{kind}", daemon=True)
                    for d in self.directions
                    for kind, fn in (("read", d.read_loop), ("send", d.send_loop))
                ]
                self._active += len(new_threads)
                self.threads.extend(new_threads)
            for thread in new_threads:
                thread.start()
        finally:
            self.thread_done()

    def kill(self) -> None:
        """Abort both sides now (idempotent); threads notice and exit."""
        with self._lock:
            if self._killed:
                return
            self._killed = True
            socks = [s for s in (self.client, self.upstream) if s is not None]
            directions = list(self.directions)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes threads blocked in recv/send
            except OSError:
                pass
        for direction in directions:
            direction.close()
        self.proxy._forget(self)

    def thread_done(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active > 0 or self._finalized:
                return
            self._finalized = True
        # All threads are gone (both directions saw EOF, or the connection was killed).
        self.kill()
        self.client.close()
        if self.upstream is not None:
            self.upstream.close()

    def any_thread_alive(self) -> bool:
        with self._lock:
            return any(t.is_alive() for t in self.threads)

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        # Threads may be appended by _setup while we wait, hence the loop.
        while True:
            with self._lock:
                pending = [t for t in self.threads if t.is_alive() and t is not threading.current_thread()]
            if not pending or time.monotonic() >= deadline:
                return
            pending[0].join(max(0.0, deadline - time.monotonic()))


class TcpProxy:
    """Forward ``listen_host:listen_port`` (0: any free port) to ``target_host:target_port``.

    ``delay`` (seconds, settable at run time) is added to every chunk in each direction, so a
    request/response round trip gains about ``2 * delay``.
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        delay: float = 0.0,
    ):
        self.target = (target_host, target_port)
        self.host = listen_host
        self.port = listen_port
        self.delay = delay
        self._lock = threading.Lock()
        self._live: set[_Connection] = set()
        self._all: list[_Connection] = []  # for joining on stop(), including already-dead ones
        self._cut = False
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"TcpProxy({self.host}:{self.port} -> {self.target[0]}:{self.target[1]}, delay={self.delay})"

    @property
    def connections(self) -> int:
        """Number of live proxied connections."""
        with self._lock:
            return len(self._live)

    def start(self) -> TcpProxy:
        """Bind and start accepting; returns self."""
        if self._listener is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        self.host, self.port = listener.getsockname()[:2]
        self._listener = listener
        # A socketpair lets stop() wake the selector immediately instead of polling.
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"tcpproxy-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and join all threads."""
        if self._listener is None:
            return
        assert self._wake_w is not None and self._wake_r is not None
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._accept_thread is not None:
            self._accept_thread.join(5)
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._listener = self._wake_r = self._wake_w = None
        self._accept_thread = None
        with self._lock:
            conns = list(self._all)
            self._all.clear()
        for conn in conns:
            conn.kill()
        for conn in conns:
            conn.join(5)

    def cut(self) -> None:
        """Simulate an outage: close every live connection and refuse new ones until restore()."""
        with self._lock:
            self._cut = True
            conns = list(self._live)
        for conn in conns:
            conn.kill()

    def restore(self) -> None:
        """End an outage started by cut()."""
        with self._lock:
            self._cut = False

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- internals

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            self._live.discard(conn)

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                events = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in events):
                    return
                try:
                    client, _ = self._listener.accept()
                except OSError:
                    continue  # e.g. the client gave up already
                with self._lock:
                    if self._cut:
                        conn = None
                    else:
                        conn = _Connection(self, client)
                        self._live.add(conn)
                        # Drop finished connections so a long benchmark doesn't accumulate them.
                        self._all = [c for c in self._all if not c._finalized or c.any_thread_alive()]
                        self._all.append(conn)
                if conn is None:
                    client.close()  # outage: the peer sees its connection accepted, then closed
                    continue
                conn.start()
