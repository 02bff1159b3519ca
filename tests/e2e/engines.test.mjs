// The engines besides Chromium: Firefox ESR (geckodriver) and WebKitGTK (WebKitWebDriver), driven
// over W3C WebDriver (./webdriver.mjs), against the demo served by `keksdose serve`. A smoke of
// what the Chromium suites check in depth: the banner, reject / accept / withdraw in the cookie
// jar, unmarked code on /blocking.html, every guard route (./guard-probes.mjs), and a sealed
// submission that `keksdose open` recovers.
// Each test runs in a fresh browser session (its own profile and cookie jar).
//
// One difference between the engines is WebKit's own, not keksdose's: WebKitGTK's
// `cookieStore.set` resolves but stores nothing on a page served over http, with or without
// keksdose (checked below), so on /blocking.html the two cookies the demo writes through the
// Cookie Store API never exist in WebKit, consent or not.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REAL_ROUTES, routesThatGotThrough, startRouteSite, storageKeys } from "./guard-probes.mjs";
import { DEMO_KEY_FILE, TYPED, cli, startServer } from "./harness.mjs";
import { ENGINES, ENTER, installed, sleep, startDriver } from "./webdriver.mjs";

const NON_NECESSARY_COOKIES = ["_ga", "_gid", "_ga_DEMO", "_pk_ref.1", "_pk_id.9", "mystery"];
const NON_NECESSARY_KEYS = ["_ga_client", "matomo_visitor", "matomo_session", "matomo_thirdparty"];
/** The cookies /blocking.html writes through the Cookie Store API (www/js/unmarked.js). */
const COOKIE_STORE_COOKIES = ["_ga_DEMO", "_pk_ref.1"];

// In-page probes (run by WebDriver in the page).
const started = () => document.readyState === "complete" && "keksdose" in window;
const shown = (selector) => {
  const element = document.querySelector(selector);
  return element !== null && element.closest("[hidden]") === null && element.getClientRects().length > 0;
};
/** What the demo's scripts counted (www/js/analytics.js, no-analytics.js, third-party/analytics.js). */
const demoState = () =>
  Object.fromEntries(
    ["analyticsRuns", "optOutRuns", "thirdPartyRuns"].filter((k) => k in window.kdDemo).map((k) => [k, window.kdDemo[k]]),
  );
const storage = () => ({
  local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
  session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
});
/** Hosts the page fetched anything from (resource timing also lists requests that failed). */
const requestedHosts = () => [...new Set(performance.getEntriesByType("resource").map((e) => new URL(e.name).hostname))];

let server;
let routeSite;
let scratch;
before(async () => {
  server = await startServer();
  routeSite = await startRouteSite();
  scratch = mkdtempSync(join(tmpdir(), "keksdose-engines-"));
});
after(async () => {
  await server?.stop();
  await routeSite?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const engine of Object.keys(ENGINES)) {
  // `.ci/test` installs every engine and requires them; a bare `node --test` skips a missing one.
  const skip =
    installed(engine) || process.env.KEKSDOSE_ENGINES_REQUIRED
      ? false
      : `${ENGINES[engine].name} or its WebDriver server is not installed (.ci/setup --tests installs them)`;
  describe(ENGINES[engine].name, { skip }, () => {
    let driver;
    before(async () => {
      driver = await startDriver(engine);
    });
    after(async () => {
      await driver?.stop();
    });

    /** A fresh session that has loaded `path` and keksdose. */
    async function visit(path) {
      const browser = await driver.newSession();
      await open(browser, path);
      return browser;
    }
    async function open(browser, path) {
      await browser.goto(`${server.url}${path}`);
      await browser.waitFor(started, { what: `keksdose on ${path}` });
    }
    /** Waits for a settled page: any wrongly unblocked script gets time to run. */
    const settle = () => sleep(300);

    test("the banner before any choice; reject all stores the refusal only, also after reload", async () => {
      const browser = await visit("/");
      try {
        assert.ok(await browser.waitFor(shown, { args: [".kd-banner"] }), "banner visible");
        const labels = await browser.evaluate(() =>
          [...document.querySelectorAll(".kd-banner .kd-actions button")].map((b) => b.textContent),
        );
        assert.deepEqual(labels, ["Alle akzeptieren", "Alle ablehnen", "Einstellungen"]);
        assert.deepEqual(
          await browser.evaluate(() => window.kdDemo.probe),
          { apiPresent: true, validConsent: false, analytics: false, necessary: true },
          "the API answers synchronously to the next script",
        );
        await settle();
        assert.deepEqual(await browser.evaluate(demoState), {}, "neither the analytics nor the opt-out script ran");
        assert.deepEqual(await browser.jar(), {}, "no cookie at all before a choice");

        await browser.click('.kd-banner [data-keksdose-action="reject-all"]');
        assert.equal(await browser.evaluate(shown, ".kd-banner"), false, "banner gone");
        let cookies = await browser.jar();
        assert.deepEqual(Object.keys(cookies), ["kd_consent"]);
        assert.match(cookies.kd_consent, /^1\.[\w-]{12}\.[\w-]{22}\.\d+\.\d+\.\.\.[0-9a-f]{8}$/, "refusal: empty lists");
        await browser.waitFor(() => window.kdDemo.optOutRuns === 1, { what: "the !analytics script" });

        await open(browser, "/");
        await settle();
        assert.equal(await browser.evaluate(() => document.querySelector(".kd-banner")), null, "not even rendered");
        assert.deepEqual(await browser.evaluate(demoState), { optOutRuns: 1 });
        cookies = await browser.jar();
        assert.deepEqual(Object.keys(cookies), ["kd_consent"]);
        assert.deepEqual(
          await browser.evaluate(() => window.kdDemo.events.map((e) => e.type)),
          ["keksdose:consent"],
          "a stored decision is announced once",
        );
      } finally {
        await browser.end();
      }
    });

    test("accept all runs the marked analytics script once; withdrawing analytics deletes its cookie", async () => {
      const browser = await visit("/");
      try {
        await browser.click('.kd-banner [data-keksdose-action="accept-all"]');
        await browser.waitFor(() => window.kdDemo.analyticsRuns === 1, { what: "the analytics script" });
        await browser.evaluate(() => window.keksdose.acceptCategory("all"));
        await settle();
        assert.deepEqual(await browser.evaluate(demoState), { analyticsRuns: 1 }, "ran exactly once");
        let cookies = await browser.jar();
        assert.ok(cookies["_pk_id.1"], JSON.stringify(cookies));
        assert.match(cookies.kd_consent, /\.analytics:marketing:media\.matomo:tracker:video\.[0-9a-f]{8}$/);
        const before = cookies.kd_consent;

        await browser.click('footer [data-keksdose="preferences"]');
        assert.ok(await browser.waitFor(shown, { args: [".kd-dialog"] }), "preferences open");
        assert.equal(await browser.evaluate(() => document.querySelector("#kd-c-analytics").checked), true);
        await browser.click("#kd-c-analytics");
        assert.equal(
          await browser.evaluate(() => document.querySelector("#kd-s-matomo").checked),
          false,
          "the category switch takes its services along",
        );
        await browser.click('.kd-dialog [data-keksdose-action="save"]');
        assert.equal(await browser.evaluate(shown, ".kd-dialog"), false, "preferences closed");
        assert.equal(await browser.evaluate(() => window.keksdose.acceptedCategory("analytics")), false);
        assert.equal(await browser.evaluate(() => window.keksdose.acceptedCategory("media")), true);
        await browser.waitFor(() => window.kdDemo.optOutRuns === 1, { what: "the !analytics script" });
        cookies = await browser.jar();
        assert.deepEqual(Object.keys(cookies), ["kd_consent"], "the analytics cookie is deleted");
        assert.match(cookies.kd_consent, /\.marketing:media\.tracker:video\.[0-9a-f]{8}$/);
        assert.equal(cookies.kd_consent.split(".")[2], before.split(".")[2], "the consent id stays");
        const change = await browser.evaluate(
          () => window.kdDemo.events.filter((e) => e.type === "keksdose:change").at(-1)?.detail,
        );
        assert.equal(change?.withdrawal, true);
        assert.deepEqual(change?.changedCategories, ["analytics"]);
      } finally {
        await browser.end();
      }
    });

    test("unmarked code on /blocking.html: blocked before consent and after reject, through after accept, cleared on withdrawal", async () => {
      const browser = await driver.newSession();
      const blocking = async () => {
        await open(browser, "/blocking.html");
        // The tag manager acts on "load"; give whatever it starts time to arrive.
        await sleep(500);
      };
      const nothingNonNecessary = async (label, { requests = true } = {}) => {
        const cookies = await browser.jar();
        for (const name of NON_NECESSARY_COOKIES) assert.equal(cookies[name], undefined, `${label}: cookie ${name}`);
        assert.equal(cookies.PHPSESSID, "demo-session", `${label}: the necessary cookie is kept`);
        const { local, session } = await browser.evaluate(storage);
        for (const key of NON_NECESSARY_KEYS) {
          assert.equal(local[key], undefined, `${label}: localStorage ${key}`);
          assert.equal(session[key], undefined, `${label}: sessionStorage ${key}`);
        }
        assert.equal(local.cart, "[]", `${label}: the necessary key is kept`);
        if (requests) {
          const hosts = await browser.evaluate(requestedHosts);
          assert.ok(!hosts.includes("stats.localhost") && !hosts.includes("video.localhost"), `${label}: requests to ${hosts}`);
          assert.equal("thirdPartyRuns" in (await browser.evaluate(demoState)), false, `${label}: third-party script ran`);
        }
        assert.equal(
          await browser.evaluate(() => document.querySelector("iframe[data-service=video]").getAttribute("src")),
          null,
          `${label}: embed without URL`,
        );
      };
      try {
        await blocking();
        const demo = await browser.evaluate(() => window.kdDemo);
        assert.equal(demo.unmarkedRan, true, "the unmarked code ran: blocking is keksdose's, not the CSP's");
        assert.equal(demo.tagManagerRan, true);
        await nothingNonNecessary("before consent");
        const parked = await browser.evaluate(() => {
          const script = document.querySelector('script[data-src*="stats.localhost"]');
          return script && { type: script.type, src: script.getAttribute("src"), service: script.dataset.service };
        });
        assert.deepEqual(parked, { type: "text/plain", src: null, service: "matomo" }, "the tag manager's script is parked");
        assert.match(await browser.evaluate(() => document.querySelector(".kd-embed").textContent), /Videoportal GmbH/);

        await browser.click('.kd-banner [data-keksdose-action="reject-all"]');
        await settle();
        await nothingNonNecessary("after reject");
        await blocking();
        await nothingNonNecessary("after reject and reload");

        await browser.click('[data-keksdose="preferences"]');
        await browser.click('.kd-dialog [data-keksdose-action="accept-all"]');
        await browser.waitFor(() => window.kdDemo.thirdPartyRuns === 1, { what: "the parked script, activated" });
        await blocking();
        await browser.waitFor(() => window.kdDemo.thirdPartyRuns === 1, { what: "the tag manager's script" });
        const cookies = await browser.jar();
        // WebKit's cookieStore.set keeps nothing over http (the test below shows it without keksdose).
        const cookieStoreWrites = engine === "webkit" ? [] : COOKIE_STORE_COOKIES;
        for (const name of ["_ga", "_gid", "_pk_id.9", ...cookieStoreWrites]) assert.ok(cookies[name], `cookie ${name}`);
        if (engine === "webkit") {
          for (const name of COOKIE_STORE_COOKIES) assert.equal(cookies[name], undefined, `WebKit kept ${name}: drop the exception`);
        }
        assert.equal(cookies.mystery, undefined, "undeclared names stay blocked after consent");
        const { local, session } = await browser.evaluate(storage);
        for (const key of ["_ga_client", "matomo_visitor", "matomo_thirdparty"]) assert.ok(local[key], key);
        assert.ok(session.matomo_session);
        await browser.waitFor(
          () => document.querySelector("iframe[data-service=video]")?.getAttribute("src")?.includes("video.localhost"),
          { what: "the embed loaded" },
        );
        const hosts = await browser.evaluate(requestedHosts);
        assert.ok(hosts.includes("stats.localhost") && hosts.includes("video.localhost"), String(hosts));

        await browser.click('[data-keksdose="preferences"]');
        await browser.click('.kd-dialog [data-keksdose-action="reject-all"]');
        await settle();
        // (This page made its requests and ran the third-party script while consent was given.)
        await nothingNonNecessary("after withdrawal", { requests: false });
        assert.equal(await browser.evaluate(() => document.querySelectorAll(".kd-embed").length), 1, "placeholder back");
        await browser.evaluate(() => {
          document.cookie = "_ga=again; path=/";
        });
        assert.equal((await browser.jar())._ga, undefined, "blocked again at once");
      } finally {
        await browser.end();
      }
    });

    test("every guard route that works in this engine gets through neither the guards, nor the fallback, nor the inline start", async (t) => {
      /** The routes that got through on a page of `mode` (./guard-probes.mjs). */
      const through = async (mode) => {
        const browser = await driver.newSession();
        try {
          const { visit, path } = routeSite.page(mode);
          await browser.goto(`${routeSite.url}${path}`);
          await browser.waitFor(() => window.probed, { what: "the probes" });
          if (mode !== "plain" && mode !== "fallback") await browser.waitFor(() => "keksdose" in window, { what: "keksdose" });
          // What the probes started (media loads, held writes being decided) has time to arrive.
          await sleep(1500);
          return routesThatGotThrough(routeSite, visit, await browser.jar(), await browser.evaluate(storageKeys));
        } finally {
          await browser.end();
        }
      };
      // Without keksdose every route loads or writes (the probes are real); in WebKitGTK all
      // but two: its cookieStore.set stores nothing over http (see below), and it requests no
      // text track for a video without media.
      const real = await through("plain");
      const dead = engine === "webkit" ? ["video <track> setAttribute src", "cookieStore.set(name, value) with a name object"] : [];
      assert.deepEqual(
        REAL_ROUTES.filter((route) => !real.includes(route)),
        dead,
      );
      for (const mode of ["guards", "fallback", "inline start"]) {
        const got = await through(mode);
        await t.test(mode, () => assert.deepEqual(got, [], `got through under ${mode}`));
      }
    });

    if (engine === "webkit") {
      test("WebKit's own cookieStore.set stores nothing over http, with or without keksdose", async () => {
        // A page of the demo server without keksdose: the stand-in third party's page.
        const browser = await driver.newSession();
        try {
          await browser.goto(`${server.url}/third-party/privacy.html`);
          const outcome = await browser.evaluate(async () => {
            if (!window.cookieStore) return "no cookieStore";
            await window.cookieStore.set("probe", "1");
            document.cookie = "classic=1; path=/";
            return (await window.cookieStore.getAll()).map((c) => c.name).sort();
          });
          assert.deepEqual(outcome, ["classic"], "cookieStore sees document.cookie's cookie but keeps none of its own");
          assert.deepEqual(Object.keys(await browser.jar()), ["classic"]);
        } finally {
          await browser.end();
        }
      });
    }

    test("a sealed submission from /kontakt.html reaches the collector and `keksdose open` recovers what was typed", async () => {
      const browser = await visit("/kontakt.html");
      try {
        await browser.click('.kd-banner [data-keksdose-action="reject-all"]');
        await browser.waitFor(() => document.querySelector("fieldset").disabled === false, { what: "the form enabled" });
        // A <select> is chosen from a native pop-up that WebDriver cannot reach in every engine.
        await browser.evaluate((value) => {
          const select = document.querySelector("#anrede");
          select.value = value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }, TYPED.anrede);
        assert.equal(await browser.evaluate(() => document.querySelector("#anrede").value), TYPED.anrede);
        for (const [name, value] of Object.entries(TYPED)) {
          if (name !== "anrede") await browser.type(`#${name}`, value.replaceAll("\n", ENTER));
        }
        const attachment = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(64 * 1024)]);
        const path = join(scratch, `Lageplan-${engine}.pdf`);
        writeFileSync(path, attachment);
        await browser.type("#anhang", path);
        await browser.click("button[type=submit]");
        await browser.waitFor(
          () => /verschlüsselt übermittelt/.test(document.querySelector("[data-keksdose-status]")?.textContent),
          { what: "the confirmation" },
        );
        assert.equal(await browser.evaluate(() => document.querySelector("#name").value), "", "the form is reset");

        const opened = await cli(["open", "--key", DEMO_KEY_FILE, "--attachments", join(scratch, engine), server.inbox]);
        assert.equal(opened.code, 0, opened.stderr);
        const record = JSON.parse(opened.stdout).find((r) => r.files?.[0]?.name === `Lageplan-${engine}.pdf`);
        assert.ok(record, opened.stdout);
        assert.deepEqual(record.fields, Object.entries(TYPED));
        assert.equal(record.tenant, "musterstadt");
        assert.equal(record.formId, "contact");
        assert.equal(record.origin, server.url);
        assert.deepEqual(readFileSync(record.files[0].savedAs), attachment);
      } finally {
        await browser.end();
      }
    });
  });
}
