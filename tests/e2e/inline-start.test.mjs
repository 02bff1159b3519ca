// The inline start (pkg/keksdose-start.js): inline in <head> under the strict CSP with its
// published hash, it holds what page code writes until keksdose has loaded without blocking, and
// then every held write is decided like a new one — checked in the browser's cookie jar,
// storage and request log. If keksdose cannot load, nothing held is ever written.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, demoSuite, errorText, jar, newPage, recordRequests, requestsTo, servePage } from "./harness.mjs";

const suite = demoSuite();

const START = readFileSync(join(ROOT, "pkg", "keksdose-start.js"), "utf8");
const HASH = readFileSync(join(ROOT, "pkg", "keksdose-start.csp"), "utf8").trim();
const CSP = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' ${HASH}; style-src 'self'; img-src 'self' data: http://*.localhost:*`;

/**
 * A page whose head has the inline start, then page code (an external script, as the strict CSP
 * allows) that writes before keksdose can have decided.
 */
const PAGE = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Inline start</title><link rel="icon" href="data:,">
<script data-config="/keksdose.json">${START}</script>
<script src="/test/early-writes.js"></script>
</head><body><main><h1>Inline-Start</h1><p>Text.</p>
<img id="marked" data-src="http://stats.localhost:PORT/pixel.gif" data-category="analytics" alt="">
</main></body></html>`;

/** Runs at once after the inline start, long before the module can have loaded. */
const EARLY_WRITES = `
window.early = { keksdose: "keksdose" in window };
document.cookie = "PHPSESSID=held-then-written; path=/";
document.cookie = "_ga=never; path=/";
localStorage.setItem("cart", "necessary");
localStorage.matomo_visitor = "never";
const pixel = new Image();
pixel.src = "http://stats.localhost:PORT/third-party/pixel.gif?early";
document.body ? document.body.append(pixel) : addEventListener("DOMContentLoaded", () => document.body.append(pixel));
window.early.cookieSeen = document.cookie.includes("PHPSESSID");
`;

async function open(context, { failModule = false, brokenConfig = false } = {}) {
  const page = recordRequests(await newPage(context));
  const port = new URL(suite.server.url).port;
  await servePage(page, "**/inline-start.html", PAGE.replaceAll("PORT", port), CSP);
  await page.route("**/test/early-writes.js", (route) =>
    route.fulfill({ contentType: "text/javascript", body: EARLY_WRITES.replaceAll("PORT", port) }),
  );
  if (failModule) await page.route("**/keksdose/keksdose_web.js", (route) => route.abort());
  if (brokenConfig) {
    const broken = readFileSync(join(ROOT, "www", "broken-config.json"), "utf8");
    await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: broken }));
  }
  await page.goto(`${suite.server.url}/inline-start.html`);
  return page;
}

const local = (page) => page.evaluate(() => ({ ...localStorage }));

test("inline start: page code runs before keksdose, held writes are decided when it starts", async () => {
  const context = await suite.browser.newContext();
  const page = await open(context);
  await page.waitForFunction(() => window.keksdose && document.querySelector(".kd-banner"));
  const early = await page.evaluate(() => window.early);
  assert.equal(early.keksdose, false, "the page went on before keksdose had loaded: nothing blocked it");
  assert.equal(early.cookieSeen, false, "while keksdose loads, writes are held, not written");
  const cookies = await jar(context);
  assert.equal(cookies.PHPSESSID, "held-then-written", "a necessary cookie is written once decided");
  assert.equal(cookies._ga, undefined, "a refused cookie never reaches the jar");
  const storage = await local(page);
  assert.equal(storage.cart, "necessary");
  assert.equal(storage.matomo_visitor, undefined);
  assert.deepEqual(requestsTo(page, "stats.localhost"), [], "no request to a refused host");
  assert.equal(
    await page.evaluate(() => document.querySelector("img[data-category='analytics'][data-src*='early']") !== null),
    true,
    "the held image URL is parked for activation",
  );
  assert.equal(errorText(page), "", "no console errors under the strict CSP with the published hash");

  // Consent activates what was parked, as with the script tag.
  await page.click('.kd-banner [data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => document.querySelectorAll("img[data-keksdose-state='loaded']").length === 2);
  assert.ok(requestsTo(page, "stats.localhost").length >= 2, "both images load after consent");
  await context.close();
});

test("inline start: if keksdose cannot load, nothing held is written and the console says so", async () => {
  const context = await suite.browser.newContext();
  const page = await open(context, { failModule: true });
  await page.waitForFunction(() => window.early);
  await page.waitForTimeout(500);
  const cookies = await jar(context);
  assert.equal(cookies.PHPSESSID, undefined);
  assert.equal(cookies._ga, undefined);
  assert.deepEqual(await local(page), {});
  assert.deepEqual(requestsTo(page, "stats.localhost"), []);
  assert.match(errorText(page), /keksdose: could not start/);
  // Writes after the failure are refused too.
  await page.evaluate(() => (document.cookie = "_gid=later; path=/"));
  assert.equal((await jar(context))._gid, undefined);
  await context.close();
});

test("inline start: a broken config writes nothing held, names the path and tells the visitor", async () => {
  const context = await suite.browser.newContext();
  const page = await open(context, { brokenConfig: true });
  await page.waitForSelector(".kd-notice");
  const cookies = await jar(context);
  assert.equal(cookies.PHPSESSID, undefined, "held writes are never written without a valid config");
  assert.equal(cookies._ga, undefined);
  assert.deepEqual(await local(page), {});
  assert.match(errorText(page), /categories\.analytics\.servces/);
  // keksdose's own guards run: later writes are refused too.
  await page.evaluate(() => (document.cookie = "_gid=later; path=/"));
  assert.equal((await jar(context))._gid, undefined);
  await context.close();
});
