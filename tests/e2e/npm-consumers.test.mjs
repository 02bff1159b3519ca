// The packed npm package (`npm pack` of pkg/) as front-end projects use it: a TypeScript
// consumer type-checked by `tsc --strict` with default settings, bundled by Vite and by webpack 5
// and run in Chromium; the API's answer to names the config does not have; and the script tag
// and `init()` on one page, which must fail with an error that names the conflict.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, demoSuite, errorText, errors, jar, newPage, recordRequests, requestsTo } from "./harness.mjs";

const TOOLS = join(ROOT, "tests", "e2e", "node_modules");
const suite = demoSuite({ packed: ["keksdose-consumers-", "consumers"] });

/** Runs tsc from the test tools in the consumer project; returns its exit status and output. */
function tsc(args) {
  const run = spawnSync(join(TOOLS, ".bin", "tsc"), args, { cwd: suite.site, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Loads `path` of the consumer site and waits until its consumer started (or failed). */
async function visit(path) {
  const context = await suite.browser.newContext();
  const page = recordRequests(await newPage(context));
  await page.goto(`${suite.server.url}${path}`);
  await page.waitForFunction(() => window.consumer !== undefined || window.consumerFailed !== undefined);
  assert.equal(await page.evaluate(() => window.consumerFailed), undefined);
  return { context, page };
}

/** The bundled consumer starts, rejects the broken config with a ConfigError, shows the banner,
 * and after "accept all" answers, fires its events and writes the consent cookie. */
async function consumerWorks(path) {
  const { context, page } = await visit(path);
  await page.waitForSelector(".kd-banner");
  const before = await page.evaluate(() => {
    const { configError, consentBefore, language, revision } = window.consumer;
    return { configError, consentBefore, language, revision };
  });
  assert.match(before.configError, /missing field `policy`/);
  assert.equal(before.consentBefore, null);
  assert.equal(before.language, "de");
  assert.match(before.revision, /^[A-Za-z0-9_-]{12}$/);
  // The stylesheet the consumer imported is in the bundle: the banner is laid out by it.
  assert.equal(await page.$eval(".kd-banner", (banner) => getComputedStyle(banner).position), "fixed");
  await page.click('[data-keksdose-action="accept-all"]');
  const after = await page.evaluate(() => {
    const { kd, events } = window.consumer;
    return {
      analytics: kd.acceptedCategory("analytics"),
      matomo: kd.acceptedService("matomo"),
      consent: kd.getConsent(),
      events,
    };
  });
  assert.equal(after.analytics, true);
  assert.equal(after.matomo, true);
  assert.deepEqual(after.consent.categories, ["analytics"]);
  assert.deepEqual(after.events, ["show banner", "hide banner", "consent analytics matomo"]);
  assert.match((await jar(context)).kd_consent, /^1\./);
  assert.deepEqual(errors(page), []);
  await context.close();
}

test("tsc --strict with default settings compiles a consumer of the package, its stylesheet, the API and the events", () => {
  // No tsconfig.json: the compiler's defaults, plus --strict. type-errors.ts holds mistakes the
  // declarations must reject; an unused @ts-expect-error there fails the run.
  const run = tsc(["--strict", "--noEmit", "main.ts", "type-errors.ts"]);
  assert.equal(run.status, 0, run.output);
});

test("Vite bundles the consumer, and the bundle runs keksdose", async () => {
  const { build } = await import("vite");
  await build({
    root: suite.site,
    base: "./",
    configFile: false,
    logLevel: "warn",
    build: { outDir: join(suite.site, "dist-vite"), emptyOutDir: true },
  });
  const assets = readdirSync(join(suite.site, "dist-vite", "assets"));
  assert.ok(assets.some((file) => file.endsWith(".wasm")), `the wasm module is an asset: ${assets}`);
  assert.ok(assets.some((file) => file.endsWith(".css")), `the stylesheet is an asset: ${assets}`);
  await consumerWorks("/dist-vite/index.html");
});

test("webpack 5 bundles the consumer (compiled by tsc), and the bundle runs keksdose", async () => {
  const emitted = tsc(["--strict", "--outDir", "build", "main.ts"]);
  assert.equal(emitted.status, 0, emitted.output);
  const { default: webpack } = await import("webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack(
      {
        mode: "production",
        context: suite.site,
        entry: "./build/main.js",
        output: { path: join(suite.site, "dist-webpack"), filename: "main.js", clean: true },
        experiments: { css: true },
        performance: { hints: false },
      },
      (error, stats) => (error ? reject(error) : resolve(stats)),
    ),
  );
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  copyFileSync(join(suite.site, "webpack.html"), join(suite.site, "dist-webpack", "webpack.html"));
  const files = readdirSync(join(suite.site, "dist-webpack"));
  assert.ok(files.some((file) => file.endsWith(".wasm")), `the wasm module is emitted: ${files}`);
  assert.ok(files.includes("main.css"), `the stylesheet is emitted: ${files}`);
  await consumerWorks("/dist-webpack/webpack.html");
});

test("a name the config does not have throws the same ConsentError in every method that takes names", async () => {
  const { context, page } = await visit("/dist-vite/index.html");
  const outcomes = await page.evaluate(() => {
    const { kd } = window.consumer;
    const calls = [
      ["acceptedCategory", () => kd.acceptedCategory("analytcs")],
      ["acceptedService", () => kd.acceptedService("matmo")],
      ["acceptCategory", () => kd.acceptCategory("analytcs")],
      ["acceptCategory([…])", () => kd.acceptCategory(["analytics", "analytcs"])],
      ["acceptService", () => kd.acceptService("matmo", "analytics")],
      ["acceptService(…, category)", () => kd.acceptService("matomo", "analytcs")],
    ];
    return calls.map(([method, call]) => {
      try {
        return [method, `returned ${call()}`];
      } catch (error) {
        return [method, `${error.name}: ${error.message}`];
      }
    });
  });
  assert.deepEqual(outcomes, [
    ["acceptedCategory", "ConsentError: unknown category `analytcs`"],
    ["acceptedService", "ConsentError: unknown service `matmo`"],
    ["acceptCategory", "ConsentError: unknown category `analytcs`"],
    ["acceptCategory([…])", "ConsentError: unknown category `analytcs`"],
    ["acceptService", "ConsentError: no service `matmo` in category `analytics`"],
    ["acceptService(…, category)", "ConsentError: unknown category `analytcs`"],
  ]);
  // Known names still answer, and nothing was decided by the failed calls.
  assert.deepEqual(
    await page.evaluate(() => [window.consumer.kd.acceptedCategory("necessary"), window.consumer.kd.validConsent()]),
    [true, false],
  );
  assert.deepEqual(await jar(context), {});
  await context.close();
});

/** What a page with two keksdose modules must show: the conflict named on the console, the
 * first module's banner, and nothing non-necessary written, loaded or run. */
async function failsClosed(context, page) {
  await page.waitForSelector(".kd-banner");
  assert.equal(await page.locator(".kd-banner").count(), 1, "one banner: the first module's");
  assert.match(errorText(page), /keksdose: could not start; only technically necessary cookies and scripts run/);
  assert.match(errorText(page), /keksdose already runs on this page: use the script tag or init\(\), not both/);
  assert.doesNotMatch(errorText(page), /Cannot redefine property/);
  assert.deepEqual(await jar(context), {}, "no cookie reached the jar");
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.equal(await page.evaluate(() => window.analyticsRan), undefined);
  assert.deepEqual(requestsTo(page, "stats.localhost"), []);
}

test("the script tag and init() on one page: init() rejects with an Error naming the conflict, and the page stays necessary-only", async () => {
  const context = await suite.browser.newContext();
  const page = recordRequests(await newPage(context));
  await page.goto(`${suite.server.url}/conflict.html`);
  await page.waitForFunction(() => window.conflict !== undefined && document.readyState === "complete");
  const conflict = await page.evaluate(() => window.conflict);
  assert.deepEqual(conflict, {
    name: "Error",
    message: "keksdose already runs on this page: use the script tag or init(), not both",
  });
  await failsClosed(context, page);
  await context.close();
});

test("init() and then the script tag on one page: the script tag names the conflict, and the page stays necessary-only", async () => {
  const context = await suite.browser.newContext();
  const page = recordRequests(await newPage(context));
  await page.goto(`${suite.server.url}/npm-first.html`);
  await page.waitForFunction(() => window.conflict !== undefined);
  await failsClosed(context, page);
  await context.close();
});
