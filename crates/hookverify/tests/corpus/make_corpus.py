"""Writes the fuzzing seeds: one delivery per sender, signed as the sender's docs say.

Run from this directory: python3 make_corpus.py
"""
import base64
import hashlib
import hmac
import json

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEY = SECRET.encode()
# Standard Webhooks: the key is the base64 after `whsec_`.
KEY_SW = base64.b64decode(SECRET[6:] + "==")
TS = "1614265330"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"


def hexsig(key, message):
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def b64sig(key, message):
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


bodies = {
    "promptlayer": json.dumps({"event_type": "report_finished", "details": {"report_id": 1, "report_name": "r"}, "user_id": 1}),
    "prism": json.dumps({"request_id": "r1", "event": "request.completed", "cost": 0.00126}),
    "promptreports": '{"id":"evt_1","type":"prompt.created","timestamp":"2025-01-01T00:00:00Z","data":{}}',
    "generic": '{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}',
    "github": '{"zen":"Design for failure.","hook_id":1}',
    "standard-webhooks": '{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"u1"}}',
    "svix": '{"type":"email.sent","data":{"id":"m1"}}',
    "stripe": '{\n  "id": "evt_1",\n  "object": "event",\n  "type": "customer.created",\n  "created": 1614265330,\n  "data": {\n    "object": {}\n  }\n}',
}

canonical = json.dumps(json.loads(bodies["promptlayer"]), sort_keys=True)
headers = {
    "promptlayer": ["x-promptlayer-signature: " + hexsig(KEY, canonical.encode())],
    "prism": ["x-agentcc-signature: sha256=" + hexsig(KEY, bodies["prism"].encode())],
    "promptreports": ["x-promptreports-signature: " + hexsig(KEY, bodies["promptreports"].encode())],
    "generic": ["x-signature-256: sha256=" + hexsig(KEY, bodies["generic"].encode())],
    "github": [
        "x-hub-signature-256: sha256=" + hexsig(KEY, bodies["github"].encode()),
        "x-github-delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-github-event: ping",
    ],
    "standard-webhooks": [
        f"webhook-id: {MSG_ID}",
        f"webhook-timestamp: {TS}",
        "webhook-signature: v1,"
        + "A" * 43
        + "= v2,abc v1,"
        + b64sig(KEY_SW, f"{MSG_ID}.{TS}.{bodies['standard-webhooks']}".encode()),
    ],
    "svix": [
        f"svix-id: {MSG_ID}",
        f"svix-timestamp: {TS}",
        "svix-signature: v1," + b64sig(KEY_SW, f"{MSG_ID}.{TS}.{bodies['svix']}".encode()),
    ],
    "stripe": [
        f"stripe-signature: t={TS},v1={'0' * 64},v1="
        + hexsig(KEY, f"{TS}.{bodies['stripe']}".encode())
        + f",v0={'1' * 64}"
    ],
}

for name, lines in headers.items():
    with open(f"{name}.http", "w") as out:
        out.write("\n".join(lines) + "\n\n" + bodies[name])
