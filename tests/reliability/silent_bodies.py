"""Silent bodies against a running example receiver: N connections that each announce a
100,000-byte body to /webhooks/generic without a signature header, send 10 bytes of it, and
then send nothing and keep reading. The receiver answers 401 with `Connection: close` at
once; this prints how many connections the receiver has closed after WAIT seconds (a
server that waits for the client to close first holds them, with their buffers and file
descriptors, for as long as the clients like).

    cargo build --release -p actix-receiver
    HOOKVERIFY_ADDR=127.0.0.1:3903 target/release/actix-receiver & \
        python3 tests/reliability/silent_bodies.py 3903 100 3

Arguments: port, connections (default 100), seconds to wait (default 3).
"""
import asyncio, sys, time

ADDR = ("127.0.0.1", int(sys.argv[1]))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 100
WAIT = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
HEAD = (b"POST /webhooks/generic HTTP/1.1\r\nHost: receiver\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")


async def one(deadline):
    reader, writer = await asyncio.open_connection(*ADDR)
    writer.write(HEAD + b"{" * 10)
    await writer.drain()
    status, closed = "no answer", None
    try:
        status = (await asyncio.wait_for(reader.readline(), deadline - time.monotonic()))
        status = status.decode().strip() or "closed without an answer"
        # The server closing its side ends the read; a held connection times out.
        while await asyncio.wait_for(reader.read(65536), deadline - time.monotonic()):
            pass
        closed = time.monotonic()
    except (ConnectionResetError, BrokenPipeError):
        # A reset is a close too: the server is done with the connection.
        closed = time.monotonic()
    except (asyncio.TimeoutError, ValueError):
        pass
    writer.close()
    return status, closed


async def main():
    start = time.monotonic()
    results = await asyncio.gather(*(one(start + WAIT) for _ in range(N)))
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    closed = [at - start for _, at in results if at is not None]
    latest = f", the last at {max(closed):.2f} s" if closed else ""
    print(f"{len(closed)} of {N} closed by the receiver within {WAIT} s{latest}; {statuses}")


asyncio.run(main())
