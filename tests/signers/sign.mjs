#!/usr/bin/env node
// Sign one webhook delivery with the sender's own Node library.
//
// Usage:
//   node sign.mjs --sender github|stripe --secret SECRET [--timestamp UNIX_SECONDS] --body-file PATH
//
// Prints one line of JSON mapping lowercase header names to values:
//   github: {"x-hub-signature-256": "sha256=<hex>"}      (@octokit/webhooks-methods sign())
//   stripe: {"stripe-signature": "t=<ts>,v1=<hex>"}       (stripe.webhooks.generateTestHeaderString())
//
// --timestamp is ignored for github (its signature has no timestamp); for
// stripe it defaults to the current time when omitted.
//
// Exit codes: 0 ok, 2 bad usage (unknown/missing option, unreadable or
// non-UTF-8 body file, bad timestamp), 1 the signing library refused.
// Nothing here touches the network.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const SENDERS = ["github", "stripe"];
const USAGE =
  "usage: node sign.mjs --sender github|stripe --secret SECRET [--timestamp UNIX_SECONDS] --body-file PATH";

function usageError(msg) {
  process.stderr.write(`${USAGE}\nsign.mjs: error: ${msg}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      sender: { type: "string" },
      secret: { type: "string" },
      timestamp: { type: "string" },
      "body-file": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usageError(e.message);
}

const { sender, secret, timestamp: tsArg } = values;
const bodyFile = values["body-file"];
if (!sender) usageError("--sender is required");
if (!SENDERS.includes(sender)) usageError(`--sender must be one of ${SENDERS.join(", ")}, got '${sender}'`);
if (secret === undefined || secret === "") usageError("--secret is required and must not be empty");
if (!bodyFile) usageError("--body-file is required");

let timestamp;
if (tsArg !== undefined) {
  if (!/^[0-9]+$/.test(tsArg)) usageError(`--timestamp must be a non-negative integer, got '${tsArg}'`);
  timestamp = Number(tsArg);
  // stripe-node treats a falsy timestamp (0) as "use now", silently.
  if (sender === "stripe" && !(timestamp > 0 && Number.isSafeInteger(timestamp))) {
    usageError(`--timestamp must be a positive integer for stripe, got '${tsArg}'`);
  }
}

let raw;
try {
  raw = readFileSync(bodyFile);
} catch (e) {
  usageError(`cannot read --body-file: ${e.message}`);
}
let body;
try {
  // Both libraries take a string and HMAC it as UTF-8: decode strictly (no
  // U+FFFD substitution) and keep a leading BOM, so the signed bytes are the
  // file's bytes.
  body = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
} catch (e) {
  usageError(`--body-file is not valid UTF-8 (the libraries sign strings): ${e.message}`);
}

let headers;
try {
  if (sender === "github") {
    const { sign } = await import("@octokit/webhooks-methods");
    // Returns "sha256=<lowercase hex>"; throws on an empty payload.
    headers = { "x-hub-signature-256": await sign(secret, body) };
  } else {
    // Stripe.webhooks is static: no API key, no client, no network.
    const { default: Stripe } = await import("stripe");
    const opts = { payload: body, secret };
    if (timestamp !== undefined) opts.timestamp = timestamp;
    headers = { "stripe-signature": Stripe.webhooks.generateTestHeaderString(opts) };
  }
} catch (e) {
  process.stderr.write(`sign.mjs: ${sender} library failed: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}

process.stdout.write(JSON.stringify(headers) + "\n");
