"""Times what a CPython receiver does to check a PromptLayer signature, on the payloads of
the Rust benchmark `benches/canonical.rs`: `json.loads` + `json.dumps(sort_keys=True)` +
HMAC-SHA256 with a prepared key. Prints microseconds per operation.

The Rust benchmark writes the payloads, the secret and the expected signatures to
`target/canonical-payloads/`; run it first, then this script:

    cargo bench -p hookverify --bench canonical -- --warm-up-time 1 --measurement-time 3
    python3 crates/hookverify/benches/canonical_cpython.py [target/canonical-payloads]

Each signature CPython computes is checked against the one the Rust side wrote, so the
two are timed producing the same bytes.
"""

import hashlib
import hmac
import json
import pathlib
import sys
import timeit


def main() -> None:
    default = pathlib.Path(__file__).resolve().parents[3] / "target" / "canonical-payloads"
    directory = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    secret = (directory / "secret").read_bytes()
    prepared = hmac.new(secret, digestmod=hashlib.sha256)

    def verify(body: bytes) -> str:
        canonical = json.dumps(json.loads(body), sort_keys=True).encode("utf-8")
        mac = prepared.copy()
        mac.update(canonical)
        return mac.hexdigest()

    print(f"CPython {sys.version.split()[0]}")
    for payload in sorted(directory.glob("*.json")):
        body = payload.read_bytes()
        expected = payload.with_suffix(".sig").read_text().strip()
        actual = verify(body)
        if actual != expected:
            sys.exit(f"{payload.name}: CPython signs {actual}, the Rust side expected {expected}")
        timer = timeit.Timer(lambda: verify(body))
        number, _ = timer.autorange()
        best = min(timer.repeat(repeat=5, number=number)) / number
        print(f"{payload.stem}: {len(body)} bytes, {best * 1e6:.2f} us per loads + dumps(sort_keys) + hmac")


if __name__ == "__main__":
    main()
