"""A TCP proxy adding a network round trip, run as a process of its own.

In its own process the proxy's threads never wait for the measuring process's GIL, nor slow it
down. `python -m bench.proxy HOST PORT DELAY` prints `host port` where it listens and serves
until its stdin closes.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def proxy_process(host: str, port: int, delay: float) -> Iterator[tuple[str, int]]:
    """A TcpProxy to host:port adding `delay` seconds each way; yields where it listens."""
    with subprocess.Popen(
        [sys.executable, "-m", "bench.proxy", host, str(port), str(delay)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            line = child.stdout.readline().split()
            if len(line) != 2:
                raise RuntimeError("the TCP proxy process did not start")
            yield line[0], int(line[1])
        finally:
            child.stdin.close()  # the proxy's cue to stop; leaving `with` waits for it


def main() -> None:
    from sandbox.tcpproxy import TcpProxy

    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with TcpProxy(host, port, delay=delay) as proxy:
        print(proxy.host, proxy.port, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or goes away)


if __name__ == "__main__":
    main()
