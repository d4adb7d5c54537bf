"""Stand-ins for the real services: tiny stdlib HTTP servers honouring the process contract.

``write_fake_services(directory)`` writes packages ``callcast_<name>`` into ``directory``; put it
first on PYTHONPATH and ``python -m callcast_<name>`` runs the fake instead of the real service.
The fake gateway also answers ``create-org NAME`` like the real one (the key on the last line), and
the fake flow ``install-system-dictionaries`` (installing nothing).

Behaviour is steered by environment variables, per service (``FAKE_<NAME>_…``) or for all
(``FAKE_…``): ``READY_AFTER_S`` (answer 503 on /health/ready until then), ``EXIT_CODE`` (exit
at once with it), ``IGNORE_SIGTERM`` (only SIGKILL stops it). The fake gateway also plays the
few API calls of ``just demo`` from memory (the call's outcome from ``FAKE_OUTCOME``).
"""

from __future__ import annotations

from pathlib import Path

FAKE_MAIN = r"""
import http.server
import json
import os
import signal
import sys
import time

NAME = __package__.removeprefix("callcast_")


def setting(key, default=None):
    return os.environ.get(f"FAKE_{NAME.upper()}_{key}", os.environ.get(f"FAKE_{key}", default))


if NAME == "gateway" and sys.argv[1:2] == ["create-org"]:
    print(f"created organization {sys.argv[2]!r} in {os.environ['DATABASE_URL']}")
    print(f"cc_fake_key_for_{sys.argv[2].replace(' ', '_')}")
    sys.exit(0)

if NAME == "flow" and sys.argv[1:2] == ["install-system-dictionaries"]:
    print("fr: system dictionary (fake): 0 installed, 0 already there, 0 failed")
    sys.exit(0)

if setting("EXIT_CODE"):
    print("failing on purpose", file=sys.stderr, flush=True)
    sys.exit(int(setting("EXIT_CODE")))

started = time.monotonic()
ready_after = float(setting("READY_AFTER_S", "0"))
port = int(os.environ["CALLCAST_HTTP_PORT"])


KEY = "cc_fake_key_for_"
STATE = {"ids": 0, "polls": 0}


def new_id():
    STATE["ids"] += 1
    return f"00000000-0000-4000-8000-{STATE['ids']:012d}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if not self.path.startswith("/api/"):
            return self.answer(404, {"code": "NOT_FOUND"})
        if not (self.headers.get("x-api-key") or "").startswith(KEY):
            return self.answer(401, {"code": "UNAUTHORIZED"})
        if self.path.endswith("/launch"):
            return self.answer(201, {"executionId": new_id()})
        if self.path.endswith("/add-contacts"):
            return self.answer(200, {"added": 1})
        if self.path == "/api/contact":
            return self.answer(201, {"contact": {"id": new_id()}, "attributeErrors": []})
        return self.answer(201, {"id": new_id()})

    def do_GET(self):
        if self.path.startswith("/api/program-executions/"):
            STATE["polls"] += 1
            done = STATE["polls"] >= 2
            return self.answer(200, {
                "status": "completed" if done else "running", "totalContacts": 1,
                "contactsPending": 0, "contactsInProgress": 0 if done else 1,
                "contactsCompleted": 1 if done else 0, "contactsFailed": 0,
            })
        if self.path.startswith("/api/calls?"):
            return self.answer(200, {"data": [{"jobId": "job-1"}], "meta": {"total": 1}})
        if self.path.startswith("/api/call-report/"):
            return self.answer(200, {
                "jobId": "job-1", "status": "completed", "outcome": setting("OUTCOME", "completed"),
                "answeredBy": "human", "call": {"durationMs": 3100, "terminatedAt": "2026-01-01T00:00:04Z"},
                "flowExecution": {"executionPath": [
                    {"nodeId": "dial-1", "outputPath": "onAnswer"},
                    {"nodeId": "play-1", "outputPath": "onComplete"}, {"nodeId": "hangup-1"},
                ]},
            })
        if self.path == "/health/live":
            self.answer(200, {"status": "live"})
        elif self.path == "/health/ready":
            ready = time.monotonic() - started >= ready_after
            self.answer(200 if ready else 503, {"status": "ready" if ready else "starting"})
        elif self.path == "/env":
            keep = ("NATS_URL", "DATABASE_URL", "CALLCAST_", "OTEL_")
            self.answer(200, {k: v for k, v in os.environ.items() if k.startswith(keep)})
        else:
            self.answer(404, {"code": "NOT_FOUND"})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def stop(signum, frame):
    print("stopping on SIGTERM", flush=True)
    raise SystemExit(0)


if setting("IGNORE_SIGTERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, stop)

server = http.server.ThreadingHTTPServer((os.environ.get("CALLCAST_HTTP_HOST", "127.0.0.1"), port), Handler)
print(f"listening on 127.0.0.1:{port}", flush=True)
print("a line on stderr", file=sys.stderr, flush=True)
server.serve_forever(poll_interval=0.05)
"""

NAMES = ("gateway", "contact", "flow", "scheduler", "dialer", "reporting")


def write_fake_services(directory: Path, names: tuple[str, ...] = NAMES) -> Path:
    for name in names:
        package = directory / f"callcast_{name}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "__main__.py").write_text(FAKE_MAIN)
    return directory
