"""A thin client for the gateway's public API (``http://HOST:PORT/api``), used by ``just demo`` and
the end-to-end tests.

It knows the paths and bodies of the calls a campaign needs and nothing else: responses come
back as plain JSON (dicts), errors as :class:`ApiError` carrying the problem document.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

JSON = dict[str, Any]


class ApiError(RuntimeError):
    """A 4xx/5xx answer; ``problem`` is the RFC 9457 body (``code``, ``message``, ``fieldErrors``…)."""

    def __init__(self, method: str, path: str, status: int, problem: Any) -> None:
        self.method, self.path, self.status, self.problem = method, path, status, problem
        code = problem.get("code") if isinstance(problem, dict) else None
        message = problem.get("message") if isinstance(problem, dict) else problem
        details = ""
        if isinstance(problem, dict) and problem.get("fieldErrors"):
            details = f" {problem['fieldErrors']}"
        super().__init__(f"{method} {path} → {status} {code or ''}: {message}{details}")

    @property
    def code(self) -> str | None:
        return self.problem.get("code") if isinstance(self.problem, dict) else None


def resource_id(body: Any) -> str:
    """The id in a create response, whether bare (``{"id"}``) or wrapped (``{"contact": {"id"}}``,
    ``{"data": {"id"}}``) — the API digest documents the contact create answer as wrapped."""
    if isinstance(body, dict):
        if isinstance(body.get("id"), str):
            return str(body["id"])
        for value in body.values():
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                return str(value["id"])
    raise ValueError(f"no id in response body: {body!r}")


class CallcastClient:
    def __init__(
        self,
        api_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self.timeout = timeout
        self.http = httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CallcastClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def with_key(self, api_key: str) -> CallcastClient:
        """Another client on the same API, authenticated with ``api_key``."""
        return CallcastClient(str(self.http.base_url), api_key, timeout=self.timeout)

    # --- raw ------------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw response, whatever its status (for tests that check error answers)."""
        return self.http.request(method, path, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer (None when empty); :class:`ApiError` otherwise."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                problem: Any = response.json()
            except ValueError:
                problem = response.text
            raise ApiError(method, path, response.status_code, problem)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, json=body)

    # --- resources a campaign needs -------------------------------------------------------------

    def create_contact(self, primary_phone: str, **fields: Any) -> JSON:
        body: JSON = self.post("/contact", {"primaryPhone": primary_phone, **fields})
        return body

    def create_audience(self, name: str, **fields: Any) -> JSON:
        body: JSON = self.post("/audience", {"name": name, **fields})
        return body

    def add_contacts(self, audience_id: str, contact_ids: Sequence[str]) -> Any:
        return self.post(f"/audience/{audience_id}/add-contacts", {"contacts": list(contact_ids)})

    def upload_audio(self, path: Path, title: str, **fields: str) -> JSON:
        with path.open("rb") as handle:
            body: JSON = self.call(
                "POST",
                "/audio-management/upload",
                files={"file": (path.name, handle, _content_type(path))},
                data={"title": title, **fields},
            )
        return body

    def create_flow(self, name: str, graph: Mapping[str, Any], **fields: Any) -> JSON:
        body: JSON = self.post("/flows", {"name": name, "graph": dict(graph), **fields})
        return body

    def create_did(self, number: str, country: str, **fields: Any) -> JSON:
        body: JSON = self.post("/dids", {"number": number, "country": country, **fields})
        return body

    def create_program(
        self,
        name: str,
        *,
        flow_id: str,
        audience_id: str,
        did_pool: Sequence[str],
        retry_strategy: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> JSON:
        body: JSON = {
            "name": name,
            "flowId": flow_id,
            "audienceId": audience_id,
            "didPool": list(did_pool),
            "retryStrategy": dict(retry_strategy or {"type": "none"}),
            **fields,
        }
        created: JSON = self.post("/programs", body)
        return created

    def launch_program(self, program_id: str) -> str:
        """Launch; the new execution's id."""
        return str(self.post(f"/programs/{program_id}/launch")["executionId"])

    def get_execution(self, execution_id: str) -> JSON:
        body: JSON = self.get(f"/program-executions/{execution_id}")
        return body

    def list_calls(self, **params: Any) -> JSON:
        body: JSON = self.get("/calls", **params)
        return body

    def get_call_report(self, job_id: str) -> JSON:
        body: JSON = self.get(f"/call-report/{job_id}")
        return body

    def wait_for_call_report(self, job_id: str, *, timeout_s: float = 30.0, interval_s: float = 0.25) -> JSON:
        """Poll the call report until it is final (see :func:`call_report_settled`); the last one
        read when ``timeout_s`` runs out (callers check what they need)."""
        deadline = time.monotonic() + timeout_s
        while True:
            report = self.get_call_report(job_id)
            if call_report_settled(report) or time.monotonic() >= deadline:
                return report
            time.sleep(interval_s)

    def wait_for_execution(
        self,
        execution_id: str,
        *,
        timeout_s: float = 120.0,
        interval_s: float = 0.5,
        on_progress: Callable[[JSON], None] | None = None,
    ) -> JSON:
        """Poll until no contact is pending or in progress; the final execution."""
        deadline = time.monotonic() + timeout_s
        while True:
            execution = self.get_execution(execution_id)
            if on_progress is not None:
                on_progress(execution)
            if execution_settled(execution):
                return execution
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"execution {execution_id} still has contacts pending or in progress after "
                    f"{timeout_s:.0f} s: {execution}"
                )
            time.sleep(interval_s)


def call_report_settled(report: Mapping[str, Any]) -> bool:
    """The job is final (``completed``/``failed``: the scheduler decided no retry follows) and its
    latest call has ended. The report is a read model built from events: it can lag behind the
    execution's counters."""
    call = report.get("call") or {}
    final = report.get("status") in ("completed", "failed")
    return final and report.get("outcome") is not None and (not call or call.get("terminatedAt") is not None)


def execution_settled(execution: Mapping[str, Any]) -> bool:
    pending = int(execution.get("contactsPending") or 0)
    in_progress = int(execution.get("contactsInProgress") or 0)
    # A freshly launched execution may not have counted its audience yet.
    counted = int(execution.get("totalContacts") or 0) > 0 or execution.get("status") in {
        "completed", "stopped", "cancelled",
    }  # fmt: skip
    return counted and pending + in_progress == 0


def _content_type(path: Path) -> str:
    return {
        ".wav": "audio/wav",
        ".mp3": "audio/mpeg",
        ".ogg": "audio/ogg",
    }.get(path.suffix.lower(), "application/octet-stream")
