"""Forged signatures on large bodies against a running example receiver: rounds of N
concurrent 1 MiB bodies of `[1e-7,1e-7,...]` (the dearest JSON to canonicalise) with a forged
`X-PromptLayer-Signature` to /webhooks/promptlayer, then the same bodies with a forged
`X-Signature-256` to /webhooks/generic. Prints, per sender, the receiver's peak RSS above
idle, its CPU time per forged MiB (user + system, from /proc), the answers, and the
PromptLayer / generic ratios.

    cargo build --release -p axum-receiver
    HOOKVERIFY_ADDR=127.0.0.1:3902 target/release/axum-receiver & \
        python3 tests/reliability/forged_bodies.py 3902 $! 64 5

Arguments: port, receiver pid, concurrent bodies (default 64), rounds (default 5).
Environment: FORGED_KIB, the body size (default 1024; PromptLayer's default limit is 256
KiB, so 1 MiB PromptLayer bodies are refused 413 by their Content-Length, and 255 measures
the dearest bodies canonicalised); FORGED_SHAPE, what the JSON array holds: `floats` (`1e-7`,
the default), `long` (17-digit floats, none printed as written), `nonascii` (strings of
`é`, each escaped to six bytes).
"""
import asyncio, os, sys, time

ADDR = ("127.0.0.1", int(sys.argv[1]))
PID = int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 64
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
KIB = int(os.environ.get("FORGED_KIB", "1024"))
SHAPE = os.environ.get("FORGED_SHAPE", "floats")
ITEM = {"floats": "1e-7", "long": "1.0000001234567891e-150",
        "nonascii": '"' + "é" * 10 + '"'}[SHAPE]
BODY = ("[" + ",".join([ITEM] * ((KIB * 1024 - 2) // (len(ITEM.encode()) + 1))) + "]").encode()
TICK = os.sysconf("SC_CLK_TCK")

SENDERS = [
    ("promptlayer", "/webhooks/promptlayer", "x-promptlayer-signature", "0" * 64),
    ("generic", "/webhooks/generic", "x-signature-256", "sha256=" + "0" * 64),
]


def rss_mib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def cpu_seconds():
    with open(f"/proc/{PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def one(path, header, value):
    reader, writer = await asyncio.open_connection(*ADDR)
    head = (f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            f"{header}: {value}\r\ncontent-length: {len(BODY)}\r\nconnection: close\r\n\r\n")
    writer.write(head.encode() + BODY)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 60)
    writer.close()
    return answer.split(b"\r\n")[0].decode(errors="replace")


async def measure(path, header, value):
    peak = rss_mib()
    stop = asyncio.Event()

    async def watch():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mib())
            await asyncio.sleep(0.01)

    watcher = asyncio.ensure_future(watch())
    statuses = {}
    cpu_before, wall_before = cpu_seconds(), time.time()
    for _ in range(ROUNDS):
        for status in await asyncio.gather(*(one(path, header, value) for _ in range(N))):
            statuses[status] = statuses.get(status, 0) + 1
    cpu = cpu_seconds() - cpu_before
    wall = time.time() - wall_before
    stop.set()
    await watcher
    return peak, cpu, wall, statuses


async def main():
    await asyncio.sleep(0.5)
    idle = rss_mib()
    mib = ROUNDS * N * len(BODY) / 2**20
    results = {}
    for name, path, header, value in SENDERS:
        peak, cpu, wall, statuses = await measure(path, header, value)
        results[name] = (peak - idle, cpu * 1000 / mib)
        print(f"{name:>12}: peak RSS +{peak - idle:.1f} MiB over idle {idle:.1f} MiB; "
              f"CPU {cpu * 1000 / mib:.2f} ms per forged MiB ({mib:.0f} MiB in {wall:.1f} s); "
              f"{statuses}")
    (pl_rss, pl_cpu), (g_rss, g_cpu) = results["promptlayer"], results["generic"]
    print(f"{len(BODY)}-byte bodies of {SHAPE}")
    print(f"promptlayer / generic: peak RSS above idle {pl_rss / max(g_rss, 0.1):.2f}x, "
          f"CPU per forged byte {pl_cpu / max(g_cpu, 1e-9):.1f}x")


asyncio.run(main())
