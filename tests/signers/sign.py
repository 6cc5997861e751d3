#!/usr/bin/env python3
"""Sign one webhook delivery with the sender's own Python library.

Usage:
  python3 sign.py --sender standard-webhooks|svix --secret SECRET \
      --id MSG_ID --timestamp UNIX_SECONDS --body-file PATH

Prints one line of JSON mapping lowercase header names to values:
  standard-webhooks: {"webhook-id", "webhook-timestamp", "webhook-signature"}
  svix:              {"svix-id", "svix-timestamp", "svix-signature"}

Exit codes: 0 ok, 2 bad usage (argparse errors, unreadable or non-UTF-8
body file, bad timestamp), 1 the signing library refused (e.g. a secret
that is not valid base64).
"""

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from typing import NoReturn

SENDERS = ("standard-webhooks", "svix")


def usage_error(parser: argparse.ArgumentParser, msg: str) -> NoReturn:
    parser.print_usage(sys.stderr)
    print(f"sign.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="sign.py",
        description="Sign a webhook body with standardwebhooks or svix (Python).",
    )
    parser.add_argument("--sender", required=True, choices=SENDERS)
    parser.add_argument("--secret", required=True, help="e.g. whsec_<base64>")
    parser.add_argument("--id", required=True, dest="msg_id", help="message id")
    parser.add_argument("--timestamp", required=True, help="integer unix seconds")
    parser.add_argument("--body-file", required=True, help="file holding the exact body bytes")
    args = parser.parse_args(argv)  # exits 2 on bad usage

    if not re.fullmatch(r"[0-9]+", args.timestamp):
        usage_error(parser, f"--timestamp must be a non-negative integer (unix seconds), got {args.timestamp!r}")
    ts = int(args.timestamp)
    if not args.msg_id:
        usage_error(parser, "--id must not be empty")

    try:
        with open(args.body_file, "rb") as f:
            raw = f.read()
    except OSError as e:
        usage_error(parser, f"cannot read --body-file: {e}")
    try:
        # Both libraries take the body as str and re-encode it as UTF-8, so a
        # strict decode keeps the signed bytes identical to the file's bytes.
        body = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        usage_error(parser, f"--body-file is not valid UTF-8 (the libraries sign str): {e}")

    # The libraries do `timestamp.replace(tzinfo=timezone.utc).timestamp()`,
    # which silently mis-reads a naive *local* datetime as UTC: always pass an
    # aware UTC datetime.
    try:
        when = datetime.fromtimestamp(ts, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as e:
        usage_error(parser, f"--timestamp out of range: {e}")

    try:
        if args.sender == "standard-webhooks":
            from standardwebhooks.webhooks import Webhook

            sig = Webhook(args.secret).sign(args.msg_id, when, body)
            headers = {
                "webhook-id": args.msg_id,
                "webhook-timestamp": str(ts),
                "webhook-signature": sig,
            }
        else:
            from svix.webhooks import Webhook

            sig = Webhook(args.secret).sign(args.msg_id, when, body)
            headers = {
                "svix-id": args.msg_id,
                "svix-timestamp": str(ts),
                "svix-signature": sig,
            }
    except Exception as e:  # the library refused the input (e.g. bad base64 secret)
        print(f"sign.py: {args.sender} library failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1

    sys.stdout.write(json.dumps(headers) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
