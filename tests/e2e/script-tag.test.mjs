// When the script tag starts keksdose: from the tag on, every write that needs a decision waits for
// keksdose; keksdose starts once the page has painted, or synchronously as soon as a page script
// needs it (asks `window.keksdose`, makes such a write, uses `dataLayer`). Checked in the
// browser's cookie jar, storage and resource timing, under the strict CSP.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, demoSuite, errors, jar, newPage, servePage } from "./harness.mjs";

const suite = demoSuite();
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: http://*.localhost:*";

/** A page with the script tag first in its head, then the page's own script `/test/page.js`. */
const PAGE = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Script tag</title><link rel="icon" href="data:,">
<script src="/keksdose/keksdose.js" data-config="/keksdose.json"></script>
<script src="/test/page.js"></script>
</head><body><main><h1>Script-Tag</h1><p>Text.</p>
<img id="unmarked" src="http://stats.localhost:PORT/third-party/pixel.gif?parsed" alt="">
</main></body></html>`;

/**
 * Console errors, but for the parsed image's load, which the browser may refuse on its own (a
 * loopback host from another origin).
 */
const pageErrors = (page) => errors(page).filter((entry) => !/pixel\.gif\?parsed|^Failed to load resource/.test(entry.text));

/**
 * Opens the page with `script` as the page's own script; the config (`/keksdose.json`, the demo's)
 * is answered after `configDelay` ms.
 */
async function open(context, script, { configDelay = 0 } = {}) {
  const page = await newPage(context);
  const port = new URL(suite.server.url).port;
  await servePage(page, "**/script-tag.html", PAGE.replaceAll("PORT", port), CSP);
  await page.route("**/test/page.js", (route) => route.fulfill({ contentType: "text/javascript", body: script }));
  await page.route("**/keksdose.json", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, configDelay));
    route.fulfill({ contentType: "application/json", body: readFileSync(join(ROOT, "www", "keksdose.json"), "utf8") });
  });
  await page.goto(`${suite.server.url}/script-tag.html`);
  await page.waitForSelector(".kd-banner", { state: "visible" });
  return page;
}

test("no page script needs keksdose: it starts after the first paint, the config URL does not block, what was parsed before is screened", async () => {
  const context = await suite.browser.newContext();
  // The page's first frame comes before keksdose started: its writes were still held then.
  const page = await open(context, `requestAnimationFrame(() => (window.firstFrame = { held: "__keksdoseStart" in window }));`, {
    configDelay: 400,
  });
  assert.deepEqual(await page.evaluate(() => window.firstFrame), { held: true });
  // The config by URL arrived after the page was parsed: it did not block the parser.
  const timing = await page.evaluate(() => ({
    parsed: performance.getEntriesByType("navigation")[0].domContentLoadedEventStart,
    config: performance.getEntriesByType("resource").find((entry) => entry.name.endsWith("/keksdose.json")).responseEnd,
  }));
  assert.ok(timing.parsed < timing.config, JSON.stringify(timing));
  // An unmarked image of a refused service, parsed before keksdose started, loses its URL.
  const image = await page.evaluate(() => {
    const img = document.getElementById("unmarked");
    return { src: img.getAttribute("src"), kept: img.getAttribute("data-src"), category: img.dataset.category };
  });
  assert.equal(image.src, null);
  assert.match(image.kept, /pixel\.gif\?parsed$/);
  assert.equal(image.category, "analytics");
  assert.equal(await page.evaluate(() => typeof window.keksdose.acceptedCategory), "function");
  assert.deepEqual(await jar(context), {});
  assert.deepEqual(pageErrors(page), []);
  await context.close();
});

test("a page script's writes before the first paint start keksdose at once: each is decided before it returns", async () => {
  const context = await suite.browser.newContext();
  const page = await open(
    context,
    `document.cookie = "PHPSESSID=at-once; path=/";
document.cookie = "_ga=never; path=/";
localStorage.setItem("cart", "necessary");
localStorage.setItem("matomo_visitor", "never");
window.early = {
  session: document.cookie.includes("PHPSESSID=at-once"),
  ga: document.cookie.includes("_ga"),
  cart: localStorage.getItem("cart"),
  matomo: localStorage.getItem("matomo_visitor"),
};`,
    // The config by URL is still on its way: keksdose reads it at once, synchronously.
    { configDelay: 300 },
  );
  assert.deepEqual(await page.evaluate(() => window.early), { session: true, ga: false, cart: "necessary", matomo: null });
  assert.deepEqual(await jar(context), { PHPSESSID: "at-once" });
  assert.deepEqual(pageErrors(page), []);
  await context.close();
});

test("a page script that asks window.keksdose before the first paint gets the running instance", async () => {
  const context = await suite.browser.newContext();
  const page = await open(
    context,
    `window.early = { analytics: window.keksdose.acceptedCategory("analytics"), necessary: window.keksdose.acceptedCategory("necessary"), same: window.keksdose === window.keksdose };`,
    { configDelay: 300 },
  );
  assert.deepEqual(await page.evaluate(() => window.early), { analytics: false, necessary: true, same: true });
  await page.click('[data-keksdose-action="accept-all"]');
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), true);
  assert.deepEqual(pageErrors(page), []);
  await context.close();
});
