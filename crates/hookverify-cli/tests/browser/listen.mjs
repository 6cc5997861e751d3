// Drives `hookverify listen`'s page in headless Chromium, for tests/listen_browser.rs.
//
//   node listen.mjs URL SCREENSHOT.png CHROMIUM
//
// The listener at URL has already received two deliveries: one signed with its secret and
// one signed with another. The script opens the page, checks both are shown with their
// verdicts and the refused one's explanation, clicks the valid one's Replay button and
// waits for the replay to be shown, then sends a hostile (unsigned, HTML-laden) delivery and
// checks it is shown as text only. Then it plays two attacks from other sites and checks
// both are refused: another name rebound to the listener's address (DNS rebinding, with
// Chromium's host resolver rules) is not served the page, and a form on another site cannot
// make the listener replay a delivery. It writes a screenshot and prints one JSON line:
// {"ok":true,...} or {"ok":false,"error":"..."} (exit code 1).

import puppeteer from "puppeteer-core";

const [url, screenshot, executablePath] = process.argv.slice(2);
const STEP = 15000;
// Names of other sites: the first resolves to the listener's address, as a rebinding
// attacker's would; the second is answered by this script itself.
const REBOUND = "rebound.test";
const ATTACKER = "http://attacker.test/";
const HOSTILE =
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>' +
  '"}]</pre><b id="injected">bold?</b>';

function fail(message) {
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

/** Every delivery shown, as the page shows it (newest first). */
function shown(page) {
  return page.$$eval("[data-delivery-id]", (cards) =>
    cards.map((card) => ({
      id: Number(card.getAttribute("data-delivery-id")),
      verdict: card.getAttribute("data-verdict"),
      sender: card.querySelector(".sender")?.textContent ?? null,
      eventType: card.querySelector(".event-type")?.textContent ?? null,
      explanation: card.querySelector(".explanation")?.textContent ?? null,
      payload: card.querySelector(".payload")?.textContent ?? null,
      replayOf: card.querySelector(".replay-of")?.textContent ?? null,
      hasReplayButton: card.querySelector("button.replay") !== null,
      elements: card.querySelectorAll("img, script, b, iframe").length,
    })),
  );
}

function waitForCount(page, count) {
  return page.waitForFunction(
    (count) => document.querySelectorAll("[data-delivery-id]").length >= count,
    { timeout: STEP },
    count,
  );
}

async function main() {
  check(url && screenshot && executablePath, "usage: node listen.mjs URL SCREENSHOT CHROMIUM");
  const started = Date.now();
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      `--host-resolver-rules=MAP ${REBOUND} ${new URL(url).hostname}`,
    ],
    timeout: 30000,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const problems = [];
    const external = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(url)) external.push(request.url());
    });

    await page.goto(url, { waitUntil: "load", timeout: STEP });
    await waitForCount(page, 2);
    const first = await shown(page);
    check(first.length === 2, `expected 2 deliveries, saw ${first.length}`);
    const valid = first.find((d) => d.verdict === "valid");
    const invalid = first.find((d) => d.verdict === "invalid");
    check(valid, `no delivery with data-verdict="valid": ${JSON.stringify(first)}`);
    check(invalid, `no delivery with data-verdict="invalid": ${JSON.stringify(first)}`);
    check(/generic/.test(valid.sender), `valid .sender is ${JSON.stringify(valid.sender)}`);
    check(valid.eventType === "user.created", `valid .event-type is ${JSON.stringify(valid.eventType)}`);
    check(
      /"type": "user.created"/.test(valid.payload) && valid.payload.includes("\n  "),
      `valid .payload is not pretty JSON: ${JSON.stringify(valid.payload)}`,
    );
    check(/secret/.test(invalid.explanation), `refused .explanation: ${JSON.stringify(invalid.explanation)}`);
    check(valid.hasReplayButton && invalid.hasReplayButton, "a delivery has no button.replay");

    // Replay the valid one: a third delivery, valid, marked as its replay.
    await page.click(`[data-delivery-id="${valid.id}"] button.replay`);
    await waitForCount(page, 3);
    const afterReplay = await shown(page);
    const replayed = afterReplay.find((d) => d.id !== valid.id && d.id !== invalid.id);
    check(replayed, "the replay is not shown");
    check(replayed.verdict === "valid", `the replay's verdict is ${replayed.verdict}`);
    check(
      replayed.replayOf === `replay of #${valid.id}`,
      `the replay is marked ${JSON.stringify(replayed.replayOf)}`,
    );
    await page.waitForFunction(
      (id) =>
        /answered 200/.test(
          document.querySelector(`[data-delivery-id="${id}"] .replay-result`)?.textContent ?? "",
        ),
      { timeout: STEP },
      valid.id,
    );
    const replayResult = await page.$eval(
      `[data-delivery-id="${valid.id}"] .replay-result`,
      (element) => element.textContent,
    );
    check(
      replayResult.includes(`replayed as #${replayed.id}`),
      `the replay result does not name the new delivery: ${JSON.stringify(replayResult)}`,
    );

    // A hostile payload is shown as text: no element made from it, no script run.
    const answer = await fetch(new URL("/hostile", url), {
      method: "POST",
      headers: { "content-type": "text/html", "x-evil": "<b>header</b>" },
      body: HOSTILE,
    });
    check(answer.status === 401, `the unsigned delivery was answered ${answer.status}`);
    await waitForCount(page, 4);
    const hostile = (await shown(page)).find((d) => d.payload === HOSTILE);
    check(hostile, "the hostile payload is not shown verbatim");
    check(hostile.verdict === "invalid", `the unsigned delivery's verdict is ${hostile.verdict}`);
    check(hostile.elements === 0, `the hostile payload made ${hostile.elements} elements`);
    check(
      /no signature header/.test(hostile.explanation),
      `the unsigned delivery's explanation: ${JSON.stringify(hostile.explanation)}`,
    );
    const pwned = await page.evaluate(
      () => window.__pwned ?? document.getElementById("injected")?.outerHTML ?? null,
    );
    check(pwned === null, `the hostile payload ran: ${pwned}`);

    // DNS rebinding: another site's name resolving to the listener. Its page would be of
    // that site's origin, and could read the deliveries; the listener does not serve it.
    const rebound = new URL(url);
    rebound.hostname = REBOUND;
    const other = await browser.newPage();
    const reboundAnswer = await other.goto(rebound.href, { waitUntil: "load", timeout: STEP });
    check(
      reboundAnswer.status() === 403,
      `the page was served at ${rebound.href}: ${reboundAnswer.status()}`,
    );
    check(
      /forbidden_host/.test(await reboundAnswer.text()),
      `the refusal at ${rebound.href} does not say why`,
    );

    // Cross-site request forgery: a form on another site posting to the replay API.
    await other.setRequestInterception(true);
    other.on("request", (request) => {
      if (request.url() === ATTACKER) {
        request.respond({
          status: 200,
          contentType: "text/html",
          body:
            `<form method="post" action="${new URL(`/api/replay/${valid.id}`, url).href}">` +
            '<input name="x-hookverify-page" value="1"></form>',
        });
      } else {
        request.continue();
      }
    });
    await other.goto(ATTACKER, { waitUntil: "load", timeout: STEP });
    const [forged] = await Promise.all([
      other.waitForNavigation({ timeout: STEP }),
      other.evaluate(() => document.forms[0].submit()),
    ]);
    check(forged.status() === 403, `another site's form was answered ${forged.status()}`);
    await other.close();
    // Nothing was replayed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const afterAttacks = await shown(page);
    check(afterAttacks.length === 4, `the attacks added deliveries: ${afterAttacks.length}`);

    check(external.length === 0, `the page loaded other addresses: ${external.join(", ")}`);
    check(problems.length === 0, problems.join("; "));

    // From the top, so that the sticky header is where a person sees it.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshot, fullPage: true });
    const deliveries = await shown(page);
    console.log(
      JSON.stringify({
        ok: true,
        deliveries: deliveries.map(({ id, verdict }) => ({ id, verdict })),
        replayed: replayed.id,
        screenshot,
        browser: await browser.version(),
        ms: Date.now() - started,
      }),
    );
  } finally {
    await browser.close();
  }
}

const guard = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: "timed out after 90 s" }));
  process.exit(1);
}, 90000);

main()
  .then(() => {
    clearTimeout(guard);
  })
  .catch((error) => {
    clearTimeout(guard);
    console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error) }));
    process.exit(1);
  });
