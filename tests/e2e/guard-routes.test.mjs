// Every route by which page code can write a cookie or a storage key, or make the browser load
// from another host (./guard-probes.mjs), tried in Chromium: without keksdose each one loads or
// writes; under keksdose's guards, under the JavaScript fallback that runs when the wasm module
// cannot start, and under the inline start (which holds what page code does until keksdose
// decides) none does. The same probes for all of them: the Rust guard (src/web/guard.rs) and the
// fallback (pkg-config/fail-closed.js) must stop the same list. Checked where it counts: what
// reached the other host, the browser's cookie jar and its storage. engines.test.mjs runs the
// same probes in Firefox ESR and WebKitGTK.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { LOADS, MODES, REAL_ROUTES, WRITES, routesThatGotThrough, startRouteSite, storageKeys } from "./guard-probes.mjs";
import { errorText, jar, launch, newPage } from "./harness.mjs";

let site;
let browser;
before(async () => {
  site = await startRouteSite();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

/** Visits a page of `mode` in a fresh context; resolves when its probes ran and had time to land. */
async function probe(mode) {
  const context = await browser.newContext();
  const page = await newPage(context);
  const { visit, path } = site.page(mode);
  await page.goto(`${site.url}${path}`);
  await page.waitForFunction(() => window.probed);
  if (mode === "guards" || mode === "inline start") await page.waitForFunction(() => "keksdose" in window);
  // What the probes started (media loads, held writes being decided) has time to arrive.
  await page.waitForTimeout(1500);
  const through = async () => routesThatGotThrough(site, visit, await jar(context), await page.evaluate(storageKeys));
  return { context, page, visit, through };
}

test("without keksdose every route loads from the other host or writes (the probes are real)", async (t) => {
  const { context, page, through } = await probe("plain");
  const got = await through();
  const errors = await page.evaluate(() => window.routeErrors);
  for (const route of REAL_ROUTES) {
    await t.test(route, () => assert.ok(got.includes(route), `${route}: neither loaded nor wrote (${errors[route] ?? "no error"})`));
  }
  await context.close();
});

for (const mode of Object.keys(MODES).filter((mode) => mode !== "plain")) {
  test(`${mode}: no route loads from a refused host or writes a refused name`, async (t) => {
    const { context, page, through } = await probe(mode);
    const got = await through();
    for (const route of [...Object.keys(LOADS), ...Object.keys(WRITES)]) {
      await t.test(route, () => assert.ok(!got.includes(route), `${route} got through`));
    }
    if (mode === "fallback") assert.match(errorText(page), /keksdose: could not start/);
    else assert.equal(errorText(page), "", "no console errors");
    await context.close();
  });
}

test("guards: consent loads what they parked", async (t) => {
  const { context, page, visit } = await probe("guards");
  await page.evaluate(() => window.keksdose.acceptCategory("analytics"));
  await page.waitForTimeout(1500);
  for (const [route, { parks }] of Object.entries(LOADS)) {
    if (parks) await t.test(route, () => assert.ok(site.loaded(visit, route), `${route}: not loaded after consent`));
  }
  await context.close();
});
