"""A Modbus TCP proxy in front of one simulated bus that can make one unit answer garbage.

While ``garble`` is set, every response from ``unit`` has its PDU (function code, byte count,
registers) replaced by random bytes of the same length: what a meter with a failing
transceiver or firmware puts on the line. The MBAP header is kept, so the frame still
arrives whole and the client must cope with its content. Requests pass through unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading

__all__ = ["GarbageProxy"]


class GarbageProxy:
    """``127.0.0.1:port`` → ``127.0.0.1:upstream``, in a thread with its own event loop."""

    def __init__(self, upstream: int, unit: int) -> None:
        self.upstream = upstream
        self.unit = unit
        self.garble = False
        self.garbled = 0  # responses replaced
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._main, name="chaos-proxy")

    def start(self) -> GarbageProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._server.wait_closed(), 2)
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(serve())
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        pumps = [
            asyncio.ensure_future(self._pipe(reader, up_writer, garble=False)),
            asyncio.ensure_future(self._pipe(up_reader, writer, garble=True)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for w in (writer, up_writer):
                w.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, garble: bool
    ) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                header = await reader.readexactly(7)  # transaction, protocol, length, unit
                length = int.from_bytes(header[4:6], "big")
                pdu = await reader.readexactly(max(length - 1, 0))
                if garble and self.garble and header[6] == self.unit:
                    pdu = os.urandom(len(pdu))
                    self.garbled += 1
                writer.write(header + pdu)
                await writer.drain()
