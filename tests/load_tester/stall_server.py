"""A tiny HTTP/1.1 server that stalls on purpose, to check what a load tester sees.

Every ``stall_every``-th ``GET /ping`` blocks the whole event loop for
``stall_s`` seconds, as a garbage-collection pause or a blocking call would: no
request is answered during the stall. ``/openapi.json`` describes the one
operation, so the load tester builds its scenario from it as from a real service.

Run on its own: ``python stall_server.py PORT STALL_EVERY STALL_S``.
"""

import asyncio
import json
import sys
import time

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Stall server", "version": "1"},
    "paths": {
        "/ping": {
            "get": {
                "summary": "Ping",
                "responses": {"200": {"description": "pong"}},
            }
        }
    },
}


class StallServer:
    def __init__(self, stall_every: int, stall_s: float) -> None:
        self.stall_every = stall_every
        self.stall_s = stall_s
        self.pings = 0

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in header_lines:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                status, body = self.answer(request_line.split(" ")[1])
                writer.write(
                    f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def answer(self, target: str) -> tuple[str, bytes]:
        path = target.split("?", 1)[0]
        if path == "/openapi.json":
            return "200 OK", json.dumps(OPENAPI).encode()
        if path == "/ping":
            self.pings += 1
            if self.stall_every and self.pings % self.stall_every == 0:
                # Blocks the loop on purpose: the whole server freezes.
                time.sleep(self.stall_s)
            return "200 OK", b'{"pong": true}'
        return "404 Not Found", b'{"detail": "not found"}'


async def serve(port: int, stall_every: int, stall_s: float) -> None:
    server = StallServer(stall_every, stall_s)
    listener = await asyncio.start_server(
        server.handle, "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
