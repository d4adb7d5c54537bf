"""An ASGI app served in the caller's own event loop, for tests that also call the app's
components directly.

litestar's ``AsyncTestClient`` runs the app's lifespan on a blocking portal, i.e. another thread
with its own event loop. A test that then awaits the app's NATS client or database pool from its
own loop resolves futures across threads: the test loop is not woken when they complete, only by
its next timer (seen as every JetStream request taking its whole 5 s timeout). Here the lifespan
runs in the test's loop, as uvicorn runs it in production, and requests go through httpx's ASGI
transport in the same loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar


@asynccontextmanager
async def serve_in_loop(app: Litestar, *, timeout: float = 30.0) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` (its lifespan hooks and managers), yield a client bound to it, stop it.

    The lifespan runs in a task of its own: the app's task groups must be left by the task that
    entered them, and a session fixture's teardown runs in another task than its setup.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan(), name="asgi-lifespan")
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        waiting.cancel()
        await task  # the startup failed: raise its error
        raise RuntimeError("the app's lifespan ended before it started")
    try:
        asgi: Any = app  # litestar's precise ASGI types vs httpx's generic ones
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=timeout) as client:
            yield client
    finally:
        stop.set()
        await task
