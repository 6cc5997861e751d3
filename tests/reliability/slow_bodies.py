"""Slow bodies against a running example receiver: N connections that each announce and
send 1 MiB to /webhooks/generic (with a forged signature header), then trickle one byte every
200 ms. Prints the receiver's idle and peak RSS and how every connection ended.

    cargo build --release -p axum-receiver
    HOOKVERIFY_ADDR=127.0.0.1:3901 target/release/axum-receiver & \
        python3 tests/reliability/slow_bodies.py 3901 $! 1000

Arguments: port, receiver pid, connections (default 1000).
"""
import asyncio, sys, time, os, subprocess

ADDR = ("127.0.0.1", int(sys.argv[1]))
PID = int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
MB = 1024 * 1024

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

peak = 0.0
async def watch(stop):
    global peak
    while not stop.is_set():
        peak = max(peak, rss_mib(PID))
        await asyncio.sleep(0.05)

closed_at = []
async def slow(i, start):
    try:
        r, w = await asyncio.open_connection(*ADDR)
        head = (f"POST /webhooks/generic HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                f"x-signature-256: sha256={'0'*64}\r\ncontent-length: {MB}\r\n\r\n").encode()
        w.write(head + b" " * (MB - 1024))
        await w.drain()
        async def trickle():
            while True:
                await asyncio.sleep(0.2)
                w.write(b" ")
                await w.drain()
        t = asyncio.ensure_future(trickle())
        data = await asyncio.wait_for(r.read(4096), 60)
        t.cancel()
        closed_at.append((time.time() - start, data.split(b"\r\n")[0].decode(errors="replace")))
        w.close()
    except Exception as e:
        closed_at.append((time.time() - start, f"error {type(e).__name__}"))

async def main():
    idle = rss_mib(PID)
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(watch(stop))
    start = time.time()
    await asyncio.gather(*(slow(i, start) for i in range(N)))
    stop.set(); await watcher
    statuses = {}
    for _, s in closed_at:
        statuses[s] = statuses.get(s, 0) + 1
    print(f"idle RSS {idle:.1f} MiB, peak {peak:.1f} MiB (+{peak-idle:.1f}); all {len(closed_at)} answered/closed within {max(t for t,_ in closed_at):.1f} s; {statuses}")

asyncio.run(main())
