"""A real HTTP server on 127.0.0.1 serving fixture feeds, with the faults sources have."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from masthead.ingest.models import Source

FIXTURES = Path(__file__).parent / "fixtures"


class Routes:
    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.hits: dict[str, int] = {}
        self.headers: dict[str, dict] = {}

    def add(
        self,
        path,
        body=b"",
        *,
        status=200,
        content_type="application/xml",
        etag="",
        delay=0.0,
        chunks=None,
        headers=None,
    ):
        self.routes[path] = (body, status, content_type, etag, delay, chunks, headers or {})


@pytest.fixture
def server():
    routes = Routes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            routes.hits[path] = routes.hits.get(path, 0) + 1
            routes.headers[path] = dict(self.headers)
            if path not in routes.routes:
                self.send_response(404)
                self.end_headers()
                return
            body, status, content_type, etag, delay, chunks, extra = routes.routes[path]
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if etag:
                self.send_header("ETag", etag)
            for k, v in extra.items():
                self.send_header(k, v)
            if chunks is None:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.end_headers()  # no length: stream until the client hangs up
            try:
                for chunk in chunks():
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    routes.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield routes
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def source_for(db, home, server):
    def make(path, fmt="rss", **fields) -> Source:
        fields.setdefault("policy", Source.PUBLISH)
        fields.setdefault("full_text", False)
        return Source.objects.create(
            name=fields.pop("name", path.strip("/")), url=server.url + path, format=fmt, **fields
        )

    return make


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
