"""A small TCP proxy in front of the real node, for fault tests: it delays, answers
429 or cuts connections after a number of HTTP requests. The client and the node
are the real ones; only the wire between them misbehaves."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ")


@dataclass
class Faults:
    """What the proxy does to request number n (1-based, counted over all connections)."""

    delay_s: float = 0.0          # wait this long before forwarding a request ...
    delay_after: int = 0          # ... once more than this many requests went through,
    delay_count: int | None = None  # ... for this many requests (None: all of them)
    reject_first: int = 0         # answer the first N requests with ``reject_status``
    reject_status: int = 429
    cut_after: int | None = None  # after this many requests, drop every connection


class FaultProxy:
    """``with FaultProxy(upstream_port, Faults(...)) as proxy: proxy.url``"""

    def __init__(self, upstream_port: int, faults: Faults):
        self.upstream_port, self.faults = upstream_port, faults
        self.requests = 0
        self.rejected = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self.loop).result(5)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def stop() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _delayed(self) -> bool:
        faults = self.faults
        if not faults.delay_s or self.requests <= faults.delay_after:
            return False
        return faults.delay_count is None or self.requests <= faults.delay_after + faults.delay_count

    def _cut(self) -> bool:
        return self.faults.cut_after is not None and self.requests >= self.faults.cut_after

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._cut():
            client_w.close()
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        back = asyncio.ensure_future(self._pipe(up_r, client_w))
        try:
            await self._forward(client_r, client_w, up_w)
        finally:
            back.cancel()
            for writer in (client_w, up_w):
                writer.close()

    async def _forward(self, client_r, client_w, up_w) -> None:
        swallowing = False
        while True:
            chunk = await client_r.read(65536)
            if not chunk:
                return
            if chunk.startswith(METHODS):
                if self._cut():
                    return
                self.requests += 1
                swallowing = self.requests <= self.faults.reject_first
                if swallowing:
                    self.rejected += 1
                    client_w.write(_rejection(self.faults.reject_status))
                    await client_w.drain()
                    continue
                if self._delayed():
                    await asyncio.sleep(self.faults.delay_s)
            if swallowing:
                continue
            up_w.write(chunk)
            await up_w.drain()

    async def _pipe(self, reader, writer) -> None:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                writer.close()
                return
            writer.write(chunk)
            await writer.drain()


def _rejection(status: int) -> bytes:
    body = (b'{"error":{"root_cause":[{"type":"es_rejected_execution_exception","reason":'
            b'"rejected by the test proxy"}],"type":"es_rejected_execution_exception",'
            b'"reason":"rejected by the test proxy"},"status":%d}' % status)
    head = (b"HTTP/1.1 %d Too Many Requests\r\ncontent-type: application/json\r\n"
            b"x-elastic-product: Elasticsearch\r\ncontent-length: %d\r\n\r\n" % (status, len(body)))
    return head + body
