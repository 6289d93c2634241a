"""A stand-in S3 for the s3:// landing archive's tests: objects in memory, on loopback, answering
the requests s3fs and dlt's filesystem destination make (ListObjectsV2, HEAD, GET with ranges,
PUT, DELETE, DeleteObjects). Signatures are recorded, not checked: `authorizations` holds each
request's Authorization header, so a test can tell which access key the client used. Point
botocore at it with AWS_ENDPOINT_URL=`url`."""

from __future__ import annotations

import email.utils
import hashlib
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape


class FakeS3:
    """One server for the life of the object (`with FakeS3() as s3:`)."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, bytes]] = {}
        self.authorizations: list[str] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # no line per request on stderr
                pass

            def _target(self):
                parts = urlsplit(self.path)
                path = unquote(parts.path).lstrip("/")
                bucket, _, key = path.partition("/")
                return bucket, key, parse_qs(parts.query, keep_blank_values=True)

            def _send(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            break
                        data += self.rfile.read(size)
                        self.rfile.readline()
                    return data
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _record(self):
                stub.authorizations.append(self.headers.get("Authorization", ""))

            def do_HEAD(self):
                self._record()
                bucket, key, _ = self._target()
                objects = stub.objects.setdefault(bucket, {})
                if not key:
                    return self._send(200)
                if key not in objects:
                    return self._send(404)
                data = objects[key]
                self.send_response(200)
                for k, v in {**self._meta(data), "Content-Length": str(len(data))}.items():
                    self.send_header(k, v)
                self.end_headers()

            def _meta(self, data):
                return {
                    "ETag": '"' + hashlib.md5(data).hexdigest() + '"',
                    "Last-Modified": email.utils.formatdate(time.time(), usegmt=True),
                    "Content-Type": "application/octet-stream",
                }

            def do_GET(self):
                self._record()
                bucket, key, query = self._target()
                objects = stub.objects.setdefault(bucket, {})
                if not key:
                    return self._list(objects, query)
                if key not in objects:
                    return self._send(404, b"<Error><Code>NoSuchKey</Code></Error>")
                data = objects[key]
                rng = self.headers.get("Range")
                if rng:
                    start, _, end = rng.removeprefix("bytes=").partition("-")
                    start = int(start)
                    end = min(int(end) if end else len(data) - 1, len(data) - 1)
                    part = data[start : end + 1]
                    headers = {**self._meta(data), "Content-Range": f"bytes {start}-{end}/{len(data)}"}
                    return self._send(206, part, headers)
                self._send(200, data, self._meta(data))

            def _list(self, objects, query):
                prefix = query.get("prefix", [""])[0]
                delimiter = query.get("delimiter", [""])[0]
                contents, prefixes = [], set()
                for key in sorted(objects):
                    if not key.startswith(prefix):
                        continue
                    rest = key[len(prefix) :]
                    if delimiter and delimiter in rest:
                        prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
                    else:
                        contents.append(key)
                xml = ['<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>']
                xml.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><IsTruncated>false</IsTruncated>")
                for key in contents:
                    xml.append(
                        f"<Contents><Key>{escape(key)}</Key><Size>{len(objects[key])}</Size>"
                        "<LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                        f'<ETag>"{hashlib.md5(objects[key]).hexdigest()}"</ETag><StorageClass>STANDARD</StorageClass></Contents>'
                    )
                for p in sorted(prefixes):
                    xml.append(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>")
                xml.append("</ListBucketResult>")
                self._send(200, "".join(xml).encode(), {"Content-Type": "application/xml"})

            def do_PUT(self):
                self._record()
                bucket, key, _ = self._target()
                data = self._body()
                with stub.lock:
                    stub.objects.setdefault(bucket, {})[key] = data
                self._send(200, b"", {"ETag": '"' + hashlib.md5(data).hexdigest() + '"'})

            def do_DELETE(self):
                self._record()
                bucket, key, _ = self._target()
                with stub.lock:
                    stub.objects.setdefault(bucket, {}).pop(key, None)
                self._send(204)

            def do_POST(self):  # DeleteObjects
                self._record()
                bucket, _, _ = self._target()
                body = self._body().decode()
                with stub.lock:
                    for key in re.findall(r"<Key>(.*?)</Key>", body):
                        stub.objects.setdefault(bucket, {}).pop(key, None)
                self._send(200, b'<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeS3:
        self.thread.start()
        return self

    def objects_of(self, bucket: str) -> dict[str, bytes]:
        """The bucket's objects: key -> bytes."""
        with self.lock:
            return dict(self.objects.get(bucket, {}))

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
