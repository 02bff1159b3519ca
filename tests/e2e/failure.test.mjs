// Fail closed: a broken config, a module that does not load or an internal error in it leaves
// the page "necessary only" and says why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { axeViolations, corruptWasm, demoSuite, errorText, errors, jar, newPage, ready } from "./harness.mjs";

const suite = demoSuite();

test("(f) a broken config: a console error naming the dotted path, nothing non-necessary runs", async () => {
  const { context, page } = await suite.visit("/broken.html");
  await page.waitForTimeout(300);
  const logged = errorText(page);
  assert.match(logged, /keksdose: invalid config:\ncategories\.analytics\.servces: unknown field `servces`/);
  assert.match(logged, /Only technically necessary cookies and scripts run/);
  assert.equal(errors(page).length, 1, "one message, not a cascade");
  assert.equal(await page.evaluate(() => window.kdDemo.analyticsRuns), undefined);
  assert.deepEqual(await jar(context), {});
  // The visitor sees why; the API exists and refuses everything.
  assert.ok(await page.isVisible(".kd-notice"));
  assert.match(await page.textContent(".kd-notice"), /nur technisch notwendige Cookies/);
  assert.deepEqual(await axeViolations(page, ".kd-notice"), [], "R14: the notice is accessible");
  assert.deepEqual(
    await page.evaluate(() => [
      window.keksdose.acceptedCategory("analytics"),
      window.keksdose.acceptedCategory("necessary"),
      window.keksdose.validConsent(),
    ]),
    [false, false, false],
  );
  const thrown = await page.evaluate(() => {
    try {
      window.keksdose.acceptCategory("all");
      return null;
    } catch (error) {
      return error.name;
    }
  });
  assert.equal(thrown, "ConsentError", "nothing can be unblocked through a failed instance");
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.kdDemo.analyticsRuns), undefined);
  await page.click('.kd-notice [data-keksdose-action="close"]');
  assert.equal(await page.locator(".kd-notice").count(), 0);
  await context.close();
});

test("a config file that cannot be loaded fails closed too", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  await page.route("**/keksdose.json", (route) => route.fulfill({ status: 404, body: "not found" }));
  await page.goto(`${suite.server.url}/`);
  await ready(page);
  await page.waitForTimeout(300);
  const logged = errorText(page);
  assert.match(logged, /could not load the config from \/keksdose\.json: HTTP status 404/);
  assert.equal(await page.evaluate(() => window.kdDemo.analyticsRuns), undefined);
  assert.deepEqual(await jar(context), {});
  await context.close();
});

test("a wasm module that does not load: console error, nothing runs", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  await corruptWasm(page);
  await page.goto(`${suite.server.url}/`);
  await page.waitForLoadState("load");
  await page.waitForTimeout(300);
  const logged = errorText(page);
  assert.match(logged, /keksdose: could not start; only technically necessary cookies and scripts run/);
  assert.equal(await page.evaluate(() => window.kdDemo.analyticsRuns), undefined);
  assert.equal(await page.evaluate(() => "keksdose" in window), false);
  assert.deepEqual(await jar(context), {});
  await context.close();
});

test("a wasm module that does not load, and a storage the browser denies: the other storage stays guarded", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  // As where the visitor blocks site data: reading localStorage throws.
  await page.addInitScript(() =>
    Object.defineProperty(window, "localStorage", {
      get() {
        throw new DOMException("The user denied access", "SecurityError");
      },
      configurable: true,
    }),
  );
  await corruptWasm(page);
  await page.goto(`${suite.server.url}/`);
  await page.waitForLoadState("load");
  assert.match(errorText(page), /keksdose: could not start/);
  const stored = await page.evaluate(() => {
    sessionStorage._pk_ses = "1";
    sessionStorage.setItem("_pk_id", "1");
    return Object.keys(sessionStorage);
  });
  assert.deepEqual(stored, []);
  await context.close();
});

test("an internal error in the module (a panic): the console says so, nothing non-necessary is written or runs", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  // Without MutationObserver the module cannot watch the page: it stops with a panic as it starts.
  await page.addInitScript(() => delete window.MutationObserver);
  await page.goto(`${suite.server.url}/`);
  await page.waitForLoadState("load");
  await page.waitForTimeout(300);
  const logged = errorText(page);
  assert.match(logged, /keksdose: internal error, stopped; only technically necessary cookies and scripts run/);
  assert.match(logged, /keksdose: could not start; only technically necessary cookies and scripts run/);
  // The module's guards were in place when it stopped: they now refuse what needs a decision.
  await page.evaluate(() => {
    document.cookie = "_ga=GA1.1.1; path=/";
    localStorage.setItem("_pk_id", "1");
    const image = document.createElement("img");
    image.src = "http://stats.localhost:9/matomo.php";
    document.body.append(image);
  });
  assert.deepEqual(await jar(context), {});
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.equal(await page.evaluate(() => document.querySelector('img[src^="http://stats"]')), null);
  assert.equal(await page.evaluate(() => window.kdDemo.analyticsRuns), undefined);
  assert.equal(await page.evaluate(() => "keksdose" in window), false);
  await context.close();
});

test("an internal error after consent (a panic): no decision counts any more, the consent's cookies are refused", async () => {
  const { context, page } = await suite.visit();
  await page.click('.kd-banner [data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => window.kdDemo.analyticsRuns === 1);
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), true);
  // A decision needs random bytes for its record: without them the module stops with a panic.
  const thrown = await page.evaluate(() => {
    crypto.getRandomValues = () => {
      throw new Error("no randomness");
    };
    try {
      window.keksdose.acceptCategory([]);
      return null;
    } catch (error) {
      return error.name;
    }
  });
  assert.equal(thrown, "RuntimeError");
  assert.match(errorText(page), /keksdose: internal error, stopped; only technically necessary cookies and scripts run/);
  const after = await page.evaluate(() => {
    document.cookie = "_pk_id.1=after; path=/";
    document.cookie = "_pk_ses.1=after; path=/";
    return window.keksdose.acceptedCategory("analytics");
  });
  assert.equal(after, false, "the instance answers as a stopped one");
  const cookies = await jar(context);
  assert.notEqual(cookies["_pk_id.1"], "after", "the consented service's cookie is refused now");
  assert.equal(cookies["_pk_ses.1"], undefined);
  await context.close();
});
