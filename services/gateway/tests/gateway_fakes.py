"""Stand-ins for the services behind the gateway: tiny litestar apps served by uvicorn on free
ports, recording what they receive and answering as a test tells them."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from litestar import Litestar, MediaType, Request, Response, get, route
from litestar.datastructures import UploadFile


@dataclass
class ReceivedRequest:
    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


@dataclass
class FakeService:
    name: str
    ready: bool = True
    #: Seconds ``/slow`` paths wait before answering.
    slow_s: float = 3.0
    received: list[ReceivedRequest] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def last(self) -> ReceivedRequest:
        assert self.received, f"the {self.name} service received nothing"
        return self.received[-1]

    def app(self) -> Litestar:
        @get("/health/ready", sync_to_thread=False)
        def ready() -> Response[dict[str, str]]:
            return Response({"status": "ready" if self.ready else "not_ready"}, status_code=200 if self.ready else 503)

        @route("/api/{rest:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], status_code=200)
        async def api(request: Request[Any, Any, Any]) -> Response[Any]:
            body = await request.body()
            raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
            received = ReceivedRequest(
                method=request.method,
                raw_path=raw_path.decode("latin-1").split("?", 1)[0],
                query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
                body=body,
            )
            self.received.append(received)
            path = request.scope["path"]
            if path.endswith("/slow"):
                await asyncio.sleep(self.slow_s)
            if "/status/" in path:
                status = int(path.rsplit("/", 1)[1])
                if status in (204, 304):
                    return Response(None, status_code=status, headers={"X-Fake-Service": self.name})
                return Response(
                    {"code": "FakeError", "message": f"answered {status}"},
                    status_code=status,
                    media_type="application/problem+json",
                    headers={"X-Fake-Service": self.name},
                )
            if path.endswith("/upload"):
                form = await request.form()
                upload = form.get("file")
                assert isinstance(upload, UploadFile)
                content = await upload.read()
                return Response(
                    {
                        "fileName": upload.filename,
                        "contentType": upload.content_type,
                        "size": len(content),
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "title": form.get("title"),
                    },
                    status_code=201,
                    headers={"X-Fake-Service": self.name},
                )
            return Response(
                {
                    "service": self.name,
                    "method": request.method,
                    "path": received.raw_path,
                    "query": received.query,
                    "bodySize": len(body),
                    "bodySha256": hashlib.sha256(body).hexdigest(),
                },
                status_code=200,
                media_type=MediaType.JSON,
                headers={"X-Fake-Service": self.name},
            )

        return Litestar([ready, api], request_max_body_size=None)

    def start(self) -> None:
        """Serve on a free port from a thread of its own.

        Not the tests' event loop: litestar's test client runs the gateway in another thread and
        blocks the calling loop while a request is in flight, so a fake served there would never
        answer the gateway.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), lifespan="off", log_level="warning", access_log=False)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"fake-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the fake {self.name} service did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
