"""A local Discord webhook on loopback that records what it is sent, checks Discord's embed limits
like Discord does (400 when broken), and answers as told: 429 with retry_after, 5xx, slowly."""

from __future__ import annotations

import io
import json
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from sync import logs
from sync.report import MAX_DESCRIPTION, MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_FIELDS, MAX_TITLE, MAX_TOTAL, embed_size
from tests.helpers import kept_logging

TOKEN = "tEsTwEbHoOkToKeN-0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJ"


def limit_problems(payload: dict) -> list[str]:
    """What Discord would refuse in `payload` (its documented embed limits)."""
    problems = []
    for embed in payload.get("embeds", []):
        if len(embed.get("title", "")) > MAX_TITLE:
            problems.append("title")
        if len(embed.get("description", "")) > MAX_DESCRIPTION:
            problems.append("description")
        fields = embed.get("fields", [])
        if len(fields) > MAX_FIELDS:
            problems.append("fields")
        for f in fields:
            if not f["name"] or not f["value"]:
                problems.append("empty field")
            if len(f["name"]) > MAX_FIELD_NAME or len(f["value"]) > MAX_FIELD_VALUE:
                problems.append(f"field {f['name'][:20]}")
        if embed_size(embed) > MAX_TOTAL:
            problems.append("total")
    return problems


class Webhook:
    """The receiver: `answers` is a queue of (status, body, delay) used one per request, then 200."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answers: deque[tuple[int, dict | None, float]] = deque()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                payload = json.loads(body or b"{}")
                with receiver._lock:
                    receiver.received.append({"path": parts.path, "query": parse_qs(parts.query), "payload": payload})
                    status, answer, delay = receiver.answers.popleft() if receiver.answers else (200, None, 0.0)
                if delay:
                    receiver._stop.wait(delay)
                problems = limit_problems(payload)
                if status == 200 and problems:
                    status, answer = 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}
                data = json.dumps(answer if answer is not None else {"id": "1", "type": 0}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False  # server_close() joins handlers: no socket left open
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/webhooks/1234567890/{TOKEN}"

    def answer(self, status: int, body: dict | None = None, delay: float = 0.0) -> None:
        self.answers.append((status, body, delay))

    @property
    def payloads(self) -> list[dict]:
        return [r["payload"] for r in self.received]

    def start(self) -> Webhook:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook().start()
    yield hook
    hook.stop()


class LogCapture:
    """The `jssync` logger's lines as the service writes them (JSON or text)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def json(self) -> list[dict]:
        return [json.loads(line) for line in self.lines if line.startswith("{")]


@pytest.fixture
def capture_logs() -> Iterator[callable]:
    """`capture_logs(debug=..., json_lines=..., secrets=...)` sets up logging into a buffer;
    the logger is put back as it was afterwards."""

    def start(*, debug: bool = False, json_lines: bool = True, secrets: list[str] | tuple = ()) -> LogCapture:
        capture = LogCapture()
        logs.setup(debug=debug, secrets=secrets, stream=capture.stream, json_lines=json_lines)
        return capture

    with kept_logging():
        yield start
