// Nothing on the page moves because of keksdose: an embed's placeholder has the frame's size, so
// the frame takes its place without shifting what follows (desktop and phone, where the demo's
// frame is wider than the column, as it would be without keksdose); the banner, fixed
// at the bottom, is not the page's largest contentful paint and shifts nothing (Chromium's
// Layout Instability and Largest Contentful Paint APIs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { demoSuite, newPage, ready } from "./harness.mjs";

const suite = demoSuite();

/** The box of `selector` and the top of what follows it, in page coordinates. */
const boxes = (page, selector) =>
  page.evaluate((selector) => {
    const element = document.querySelector(selector);
    const { left, top, width, height } = element.getBoundingClientRect();
    let next = element.nextElementSibling;
    while (next && (next.hidden || next.tagName === "IFRAME")) next = next.nextElementSibling;
    return { left, top: top + scrollY, width, height, next: next.getBoundingClientRect().top + scrollY };
  }, selector);

for (const [device, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 375, height: 740 }],
]) {
  test(`${device}: the embed placeholder has the frame's size; loading the frame moves nothing`, async () => {
    const context = await suite.browser.newContext({ viewport });
    const page = await newPage(context);
    await page.goto(`${suite.server.url}/blocking.html`);
    await ready(page);
    await page.waitForSelector(".kd-embed");
    const placeholder = await boxes(page, ".kd-embed");
    // The frame's own box: 560 × 315 by its attributes, and the browser's 2 px border.
    assert.deepEqual([placeholder.width, placeholder.height], [564, 319]);
    await page.focus('.kd-embed [data-keksdose-action="load-once"]');
    await page.keyboard.press("Enter");
    await page.waitForSelector('iframe[data-keksdose-state="once"]');
    const frame = await boxes(page, 'iframe[data-keksdose-state="once"]');
    for (const key of ["left", "top", "width", "height", "next"]) {
      assert.ok(Math.abs(frame[key] - placeholder[key]) <= 1, `${key}: frame ${frame[key]}, placeholder ${placeholder[key]}`);
    }
    await context.close();
  });
}

/** A page whose own content never moves: text, an embed marked in its markup, more text. */
const STILL = `<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Ruhig</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css">
<script src="/keksdose/keksdose.js" data-config="/keksdose.json"></script></head>
<body><main><h1>Stadtfilm</h1><p>${"Ein Absatz Text über die Stadt. ".repeat(12)}</p>
<iframe data-src="http://video.localhost:PORT/third-party/video.html" data-category="media" data-service="video"
  title="Stadtfilm Musterstadt" width="320" height="180"></iframe>
<p>${"Noch ein Absatz unter dem Video. ".repeat(12)}</p></main></body></html>`;

for (const path of ["/", "/en/", "/blocking.html", "/still.html"]) {
  test(`${path} on a phone: the banner is not the largest contentful paint and moves nothing`, async () => {
    const context = await suite.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await newPage(context);
    const port = new URL(suite.server.url).port;
    await page.route("**/still.html", (route) =>
      route.fulfill({ contentType: "text/html; charset=utf-8", body: STILL.replace("PORT", port) }),
    );
    await page.addInitScript(() => {
      window.layoutShifts = [];
      window.largest = [];
      new PerformanceObserver((list) => window.layoutShifts.push(...list.getEntries())).observe({ type: "layout-shift", buffered: true });
      new PerformanceObserver((list) => window.largest.push(...list.getEntries())).observe({ type: "largest-contentful-paint", buffered: true });
    });
    await page.goto(`${suite.server.url}${path}`);
    await ready(page);
    await page.waitForSelector(".kd-banner");
    await page.waitForTimeout(1000);
    const seen = await page.evaluate(() => ({
      banner: window.layoutShifts.filter((shift) => shift.sources.some((s) => s.node?.closest?.(".kd-root"))).length,
      total: window.layoutShifts.reduce((sum, shift) => sum + shift.value, 0),
      largest: window.largest.map((entry) => (entry.element?.closest(".kd-root") ? "banner" : entry.element?.nodeName)),
    }));
    assert.equal(seen.banner, 0, "layout shifts of the banner");
    // The demo pages fill in their status panel (and blocking.html its embed) from their own
    // scripts after the first paint; the still page has nothing of its own that moves.
    if (path === "/still.html") assert.equal(seen.total, 0, "cumulative layout shift");
    assert.ok(seen.largest.length > 0, "a largest contentful paint was reported");
    assert.notEqual(seen.largest.at(-1), "banner", `the largest contentful paint is the page's: ${seen.largest}`);
    await context.close();
  });
}
