#!/usr/bin/env bash
# Check sign.py and sign.mjs against published vectors (and an independent
# HMAC for Stripe and for exact-byte bodies). Exits non-zero on any mismatch.
# Run ./install.sh first. Uses $PYTHON (default python3), like install.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON="${PYTHON:-python3}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0

# check NAME EXPECTED_JSON -- COMMAND...: the command's stdout must be exactly
# one line of JSON equal (as an object) to EXPECTED_JSON.
check() {
  local name="$1" expected="$2"
  shift 3
  local out
  if ! out="$("$@")"; then
    echo "FAIL $name: command exited non-zero: $*" >&2
    fail=$((fail + 1))
    return
  fi
  if "$PYTHON" - "$out" "$expected" <<'EOF'
import json, sys
out, expected = sys.argv[1], sys.argv[2]
if out.count("\n") != 0:
    sys.exit(f"expected one line, got {out!r}")
got = json.loads(out)
want = json.loads(expected)
if got != want:
    sys.exit(f"got  {json.dumps(got)}\nwant {json.dumps(want)}")
EOF
  then
    echo "ok   $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name" >&2
    fail=$((fail + 1))
  fi
}

# expect_exit NAME CODE -- COMMAND...: the command must exit with CODE.
expect_exit() {
  local name="$1" code="$2"
  shift 3
  local rc=0
  "$@" >/dev/null 2>&1 || rc=$?
  if [ "$rc" -eq "$code" ]; then
    echo "ok   $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name: exit $rc, want $code" >&2
    fail=$((fail + 1))
  fi
}

# --- GitHub docs vector -----------------------------------------------------
printf '%s' 'Hello, World!' >"$tmp/github.body"
check "github docs vector" \
  '{"x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}' -- \
  node sign.mjs --sender github --secret "It's a Secret to Everybody" --body-file "$tmp/github.body"

# --- Standard Webhooks spec vector --------------------------------------------
printf '%s' '{"test": 2432232314}' >"$tmp/sw.body"
check "standard-webhooks spec vector" \
  '{"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}' -- \
  "$PYTHON" sign.py --sender standard-webhooks --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 --body-file "$tmp/sw.body"

# --- Svix docs vector ----------------------------------------------------------
printf '%s' '{"email":"test@example.com","username":"test_user"}' >"$tmp/svix.body"
check "svix docs vector" \
  '{"svix-id": "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "svix-timestamp": "1649367553", "svix-signature": "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="}' -- \
  "$PYTHON" sign.py --sender svix --secret whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD \
  --id msg_27UH4WbU6Z5A5EzD8u03UvzRbpk --timestamp 1649367553 --body-file "$tmp/svix.body"

# --- Stripe vs an independent HMAC ------------------------------------------
printf '%s' '{"id":"evt_1"}' >"$tmp/stripe.body"
stripe_hex="$("$PYTHON" -c '
import hmac, hashlib
print(hmac.new(b"whsec_test", b"1700000000." + b"{\"id\":\"evt_1\"}", hashlib.sha256).hexdigest())')"
check "stripe vs python hmac" \
  "{\"stripe-signature\": \"t=1700000000,v1=${stripe_hex}\"}" -- \
  node sign.mjs --sender stripe --secret whsec_test --timestamp 1700000000 --body-file "$tmp/stripe.body"

# --- Exact body bytes: BOM, non-ASCII, CRLF, trailing newline ----------------
# Every signer must sign the file's bytes unchanged; compare with python hmac.
printf '\xef\xbb\xbf{"name":"Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80",\r\n"n":1}\n' >"$tmp/bytes.body"
read -r gh_exp st_exp sw_exp <<<"$("$PYTHON" - "$tmp/bytes.body" <<'EOF'
import base64, hashlib, hmac, sys
body = open(sys.argv[1], "rb").read()
h = lambda k, m: hmac.new(k, m, hashlib.sha256)
gh = "sha256=" + h(b"gh-secret", body).hexdigest()
st = "t=1700000001,v1=" + h(b"whsec_bytes", b"1700000001." + body).hexdigest()
key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
sw = "v1," + base64.b64encode(h(key, b"msg_bytes.1700000002." + body).digest()).decode()
print(gh, st, sw)
EOF
)"
check "github exact bytes" "{\"x-hub-signature-256\": \"$gh_exp\"}" -- \
  node sign.mjs --sender github --secret gh-secret --body-file "$tmp/bytes.body"
check "stripe exact bytes" "{\"stripe-signature\": \"$st_exp\"}" -- \
  node sign.mjs --sender stripe --secret whsec_bytes --timestamp 1700000001 --body-file "$tmp/bytes.body"
check "standard-webhooks exact bytes" \
  "{\"webhook-id\": \"msg_bytes\", \"webhook-timestamp\": \"1700000002\", \"webhook-signature\": \"$sw_exp\"}" -- \
  "$PYTHON" sign.py --sender standard-webhooks --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  --id msg_bytes --timestamp 1700000002 --body-file "$tmp/bytes.body"
check "svix exact bytes" \
  "{\"svix-id\": \"msg_bytes\", \"svix-timestamp\": \"1700000002\", \"svix-signature\": \"$sw_exp\"}" -- \
  "$PYTHON" sign.py --sender svix --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  --id msg_bytes --timestamp 1700000002 --body-file "$tmp/bytes.body"

# --- Bad usage exits 2 ----------------------------------------------------------
expect_exit "sign.py unknown sender exits 2" 2 -- \
  "$PYTHON" sign.py --sender github --secret s --id i --timestamp 1 --body-file "$tmp/sw.body"
expect_exit "sign.py missing --id exits 2" 2 -- \
  "$PYTHON" sign.py --sender svix --secret s --timestamp 1 --body-file "$tmp/sw.body"
expect_exit "sign.mjs unknown sender exits 2" 2 -- \
  node sign.mjs --sender svix --secret s --body-file "$tmp/sw.body"
expect_exit "sign.mjs unknown option exits 2" 2 -- \
  node sign.mjs --sender github --secret s --id i --body-file "$tmp/sw.body"

echo "selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
