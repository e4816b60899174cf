"""The floor for the signalling benchmark: a minimal WebSocket room relay.

    .venv/bin/python bench/calls/floor_relay.py --port 8765

Written with the ``websockets`` library on uvloop (as ``hearth serve`` runs uvicorn),
in one process. A connection to ``/room/<name>`` joins that room; every text frame it
sends goes unchanged to the other connections of the room. No authentication, no
parsing, no schema check, no database: what any relay must pay at least to carry the
same frames between the same clients. Prints ``ready`` once it listens; stops on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import uvloop
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

ROOMS: dict[str, set[ServerConnection]] = {}


async def relay(connection: ServerConnection) -> None:
    name = connection.request.path if connection.request else "/"
    room = ROOMS.setdefault(name, set())
    room.add(connection)
    try:
        async for frame in connection:
            for other in list(room):
                if other is not connection:
                    with contextlib.suppress(ConnectionClosed):
                        await other.send(frame)
    except ConnectionClosed:
        pass
    finally:
        room.discard(connection)
        if not room:
            ROOMS.pop(name, None)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # Same limits as uvicorn's defaults for the Hearth server: 16 MiB frames, deflate.
    async with serve(relay, "127.0.0.1", port, max_size=16 * 1024 * 1024, backlog=2048):
        print("ready", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(main(parser.parse_args().port))
