// The consent engine end to end: demo pages served by `keksdose serve` under the strict CSP, in
// real Chromium, checked through the browser's cookie jar.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bannerFocused, cli, demoSuite, errors, jar, newPage, ready } from "./harness.mjs";

const suite = demoSuite();

const demo = (page, path = "/") => page.goto(`${suite.server.url}${path}`);
const demoState = (page) => page.evaluate(() => ({ ...window.kdDemo, events: undefined }));
const eventTypes = (page) => page.evaluate(() => window.kdDemo.events.map((e) => e.type));

test("R1 (a) before any choice: banner shown, no analytics cookie, analytics script has not run", async () => {
  const { context, page } = await suite.visit();
  assert.ok(await page.isVisible(".kd-banner"), "banner visible");
  // Settle: give any wrongly unblocked script time to run.
  await page.waitForTimeout(300);
  const state = await demoState(page);
  assert.equal(state.analyticsRuns, undefined);
  assert.equal(state.optOutRuns, undefined, "!analytics waits for a decision");
  assert.deepEqual(await jar(context), {}, "no cookie at all before a choice");
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("the API answers synchronously to the next script in the document", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  for (const path of ["/", "/inline-config.html"]) {
    await demo(page, path);
    const probe = await page.evaluate(() => window.kdDemo.probe);
    assert.deepEqual(probe, { apiPresent: true, validConsent: false, analytics: false, necessary: true }, path);
  }
  // After a decision, the probe (which runs before the document is parsed) already sees it.
  await page.click('[data-keksdose-action="accept-all"]');
  await demo(page, "/inline-config.html");
  const probe = await page.evaluate(() => window.kdDemo.probe);
  assert.equal(probe.validConsent, true);
  assert.equal(probe.analytics, true);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R3, R12 (b) reject all: no analytics cookie, consent cookie set; after reload no banner and still none", async () => {
  const { context, page } = await suite.visit();
  await page.click('[data-keksdose-action="reject-all"]');
  assert.ok(await page.isHidden(".kd-banner"), "banner gone");
  let cookies = await jar(context);
  assert.deepEqual(Object.keys(cookies), ["kd_consent"]);
  assert.match(cookies.kd_consent, /^1\.[\w-]{12}\.[\w-]{22}\.\d+\.\d+\.\.\.[0-9a-f]{8}$/, "refusal: empty lists");
  await page.waitForFunction(() => window.kdDemo.optOutRuns === 1);
  assert.equal((await demoState(page)).analyticsRuns, undefined);

  await page.reload();
  await ready(page);
  await page.waitForTimeout(300);
  assert.ok(await page.isHidden(".kd-banner"), "the refusal is remembered");
  assert.equal(await page.locator(".kd-banner").count(), 0, "not even rendered");
  const state = await demoState(page);
  assert.equal(state.analyticsRuns, undefined);
  assert.equal(state.optOutRuns, 1, "!analytics ran once on this page load");
  cookies = await jar(context);
  assert.deepEqual(Object.keys(cookies), ["kd_consent"]);
  assert.deepEqual(await eventTypes(page), ["keksdose:consent"], "a stored decision is announced once");
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("(c) accept all: the analytics script runs exactly once and its cookie exists", async () => {
  const { context, page } = await suite.visit();
  await page.click('[data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => window.kdDemo.analyticsRuns === 1);
  // A second decision must not run it again.
  await page.evaluate(() => window.keksdose.acceptCategory("all"));
  await page.waitForTimeout(300);
  const state = await demoState(page);
  assert.equal(state.analyticsRuns, 1);
  assert.equal(state.optOutRuns, undefined);
  const cookies = await jar(context);
  assert.ok(Object.keys(cookies).some((name) => name.startsWith("_pk_id")), JSON.stringify(cookies));
  assert.match(cookies.kd_consent, /\.analytics:marketing:media\.matomo:tracker:video\.[0-9a-f]{8}$/);
  assert.deepEqual(await eventTypes(page), ["keksdose:show", "keksdose:hide", "keksdose:consent", "keksdose:change"]);

  await page.reload();
  await page.waitForFunction(() => window.kdDemo.analyticsRuns === 1);
  assert.equal(await page.locator(".kd-banner").count(), 0);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R10 (d) re-open preferences and withdraw analytics: state, cookie and event follow", async () => {
  const { context, page } = await suite.visit();
  await page.click('[data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => window.kdDemo.analyticsRuns === 1);
  const before = (await jar(context)).kd_consent;

  await page.click('footer [data-keksdose="preferences"]');
  assert.ok(await page.isVisible(".kd-dialog"));
  assert.ok(await page.isChecked("#kd-c-analytics"), "switches show the current decision");
  await page.uncheck("#kd-c-analytics");
  assert.equal(await page.isChecked("#kd-s-matomo"), false, "the category switch takes its services along");
  await page.click('.kd-dialog [data-keksdose-action="save"]');
  assert.ok(await page.isHidden(".kd-dialog"));

  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), false);
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("media")), true);
  const after = (await jar(context)).kd_consent;
  assert.notEqual(after, before);
  assert.match(after, /\.marketing:media\.tracker:video\.[0-9a-f]{8}$/);
  assert.equal(after.split(".")[2], before.split(".")[2], "the consent id stays");

  const change = await page.evaluate(() => window.kdDemo.events.find((e) => e.type === "keksdose:change"));
  assert.ok(change, "keksdose:change fired");
  assert.equal(change.detail.method, "custom");
  assert.equal(change.detail.withdrawal, true);
  assert.deepEqual(change.detail.changedCategories, ["analytics"]);
  assert.deepEqual(change.detail.changedServices, ["matomo"]);
  assert.deepEqual(change.detail.categories, ["marketing", "media"]);
  await page.waitForFunction(() => window.kdDemo.optOutRuns === 1);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R4, R14: nothing pre-ticked; waiting, scrolling and closing are not consent; Escape closes and focus returns", async () => {
  const { context, page } = await suite.visit();
  await bannerFocused(page);
  // Waiting and scrolling grant nothing.
  await page.mouse.wheel(0, 2000);
  await page.waitForTimeout(1500);
  assert.deepEqual(await jar(context), {}, "nothing stored after scrolling and waiting");
  assert.ok(await page.isVisible(".kd-banner"));
  await page.click('.kd-banner [data-keksdose-action="settings"]');
  assert.equal(await page.evaluate(() => document.activeElement.className), "kd-dialog");
  assert.deepEqual(
    await page.$$eval(".kd-dialog input:not([disabled])", (inputs) => inputs.filter((input) => input.checked).map((input) => input.id)),
    [],
    "no switch pre-ticked",
  );
  // A click on the backdrop keeps focus in the modal dialog, so Escape still works.
  await page.mouse.click(5, 5);
  assert.ok(await page.evaluate(() => document.activeElement.closest(".kd-dialog") !== null), "focus stays in");
  await page.check("#kd-c-analytics");
  await page.keyboard.press("Escape");
  assert.ok(await page.isHidden(".kd-dialog"));
  assert.ok(await page.isVisible(".kd-banner"), "back to the first layer");
  assert.equal(
    await page.evaluate(() => document.activeElement.dataset.keksdoseAction),
    "settings",
    "focus back on the settings button",
  );
  assert.deepEqual(await jar(context), {}, "nothing stored");
  assert.equal(await page.evaluate(() => window.keksdose.validConsent()), false);
  // Re-opened, the abandoned draft is gone: nothing pre-selected.
  await page.click('.kd-banner [data-keksdose-action="settings"]');
  assert.equal(await page.isChecked("#kd-c-analytics"), false);
  await page.click('.kd-dialog [data-keksdose-action="close"]');
  assert.ok(await page.isVisible(".kd-banner"));
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R14: the preferences trap Tab and restore focus to the link that opened them", async () => {
  const { context, page } = await suite.visit();
  await page.click('[data-keksdose-action="reject-all"]');
  await page.focus('main [data-keksdose="preferences"]');
  await page.keyboard.press("Enter");
  assert.ok(await page.isVisible(".kd-dialog"));
  const inDialog = () => page.evaluate(() => document.querySelector(".kd-dialog").contains(document.activeElement));
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    assert.ok(await inDialog(), `Tab ${i + 1} stays inside`);
  }
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Shift+Tab");
    assert.ok(await inDialog(), `Shift+Tab ${i + 1} stays inside`);
  }
  await page.keyboard.press("Escape");
  assert.ok(await page.isHidden(".kd-dialog"), "a decision exists: Escape hides");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cookie-Einstellungen");
  await context.close();
});

test("R7: privacy policy and imprint links work while the banner is open", async () => {
  const { context, page } = await suite.visit();
  await page.click('.kd-banner a:has-text("Impressum")');
  await page.waitForURL(/impressum\.html$/);
  await ready(page);
  assert.ok(await page.isVisible(".kd-banner"), "still undecided: banner again");
  await page.click('.kd-banner a:has-text("Datenschutzerklärung")');
  await page.waitForURL(/datenschutz\.html$/);
  assert.deepEqual(await jar(context), {});
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R7, R8: the preferences inform per service and decide per category and per service", async () => {
  const { context, page } = await suite.visit();
  await page.click('.kd-banner [data-keksdose-action="settings"]');
  // Every configured service: provider, purpose, retention where declared, recipients where declared.
  const config = await (await fetch(`${suite.server.url}/keksdose.json`)).json();
  const details = await page.$$eval(".kd-service", (services) =>
    services.map((service) => ({ id: service.querySelector("input").id, text: service.querySelector(".kd-details").textContent })),
  );
  for (const category of Object.values(config.categories)) {
    for (const [key, service] of Object.entries(category.services)) {
      const shown = details.find((d) => d.id === `kd-s-${key}`);
      assert.ok(shown, key);
      const german = (text) => text?.de ?? text;
      for (const value of [service.provider, service.purpose, service.retention, service.recipients].map(german).concat(service.cookies ?? [])) {
        if (value) assert.ok(shown.text.includes(value), `${key}: ${value}`);
      }
    }
  }
  // One service: its category shows mixed only if others differ; no other category moves.
  await page.click(".kd-category:nth-of-type(3) .kd-more > summary");
  await page.check("#kd-s-tracker");
  await page.click('.kd-dialog [data-keksdose-action="save"]');
  const allowed = await page.evaluate(() =>
    ["analytics", "marketing", "media"].map((c) => [c, window.keksdose.acceptedCategory(c)]),
  );
  assert.deepEqual(allowed, [
    ["analytics", false],
    ["marketing", true],
    ["media", false],
  ]);
  assert.equal(await page.evaluate(() => window.keksdose.acceptedService("matomo")), false);
  await context.close();
});

test("R15: German by default; the English page: the same config speaks English", async () => {
  const { context, page } = await suite.visit("/en/");
  const labels = await page.$$eval(".kd-banner button", (buttons) => buttons.map((b) => b.textContent));
  assert.deepEqual(labels, ["Accept all", "Reject all", "Settings"]);
  assert.equal(await page.getAttribute(".kd-root", "lang"), "en");
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("(e) zero console errors on every demo page under the strict CSP", async () => {
  const context = await suite.browser.newContext();
  for (const path of ["/", "/en/", "/datenschutz.html", "/impressum.html", "/inline-config.html", "/blocking.html"]) {
    const page = await newPage(context);
    const response = await demo(page, path);
    const csp = response.headers()["content-security-policy"];
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'[^;]*; style-src 'self'$/);
    assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
    await ready(page);
    await page.click('.kd-banner [data-keksdose-action="settings"]');
    await page.click('.kd-dialog [data-keksdose-action="close"]');
    await page.waitForTimeout(200);
    assert.deepEqual(errors(page), [], path);
    await page.close();
  }
  await context.close();
});

test("R16: Global Privacy Control is honoured as 'reject all' without a banner", async () => {
  const context = await suite.browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  const page = await newPage(context);
  await demo(page);
  await ready(page);
  await page.waitForTimeout(300);
  assert.equal(await page.locator(".kd-banner").count(), 0, "no banner");
  assert.match((await jar(context)).kd_consent, /\.\.\.[0-9a-f]{8}$/, "refusal stored");
  assert.equal((await demoState(page)).analyticsRuns, undefined);
  // The visitor can still opt in from the preferences.
  await page.click('footer [data-keksdose="preferences"]');
  await page.click('.kd-dialog [data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => window.kdDemo.analyticsRuns === 1);
  await context.close();
});

test("the Consent Mode demo page: the seed scenario's dataLayer before and after a decision", async () => {
  const { context, page } = await suite.visit("/consent-mode.html");
  const commands = () => page.evaluate(() => window.dataLayer.map((entry) => Array.from(entry)));
  const [first, ...rest] = await commands();
  assert.deepEqual(first, [
    "consent",
    "default",
    {
      ad_storage: "denied",
      ad_user_data: "denied",
      ad_personalization: "denied",
      analytics_storage: "denied",
      functionality_storage: "granted",
      personalization_storage: "denied",
      security_storage: "granted",
    },
  ]);
  assert.deepEqual(
    rest.map((command) => command[0]),
    ["set", "set", "js", "config"],
    "Google's options, then the page's own snippet",
  );
  await page.click('[data-keksdose-action="accept-all"]');
  const update = (await commands()).at(-1);
  assert.deepEqual(update.slice(0, 2), ["consent", "update"]);
  assert.equal(update[2].analytics_storage, "granted");
  assert.match(await page.textContent("#data-layer"), /"update"/, "the page shows it");
  assert.deepEqual(Object.keys(await jar(context)), ["kd_gcm"]);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("the consent-log demo page: a decision is found by its consent ID in a chain that verifies", async () => {
  const { context, page } = await suite.visit("/nachweise.html");
  assert.equal(await page.textContent("#consent-id"), "noch keine Entscheidung");
  await page.click('[data-keksdose-action="reject-all"]');
  const consentId = await page.evaluate(() => window.keksdose.getConsent().consentId);
  assert.equal(await page.textContent("#consent-id"), consentId);
  const shown = (await page.textContent("#commands")).split("\n")[0];
  assert.equal(
    shown,
    `keksdose receipts --db target/demo-inbox.sqlite --tenant musterstadt --consent-id ${consentId}`,
  );
  // The operator's command, as the page shows it, on the demo server's store.
  const args = shown.split(" ").slice(1);
  args[args.indexOf("--db") + 1] = suite.server.inbox;
  let found = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    found = JSON.parse((await cli(args)).stdout || "[]");
    if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(
    found.map((entry) => [entry.record.consentId, entry.record.method, entry.record.categories]),
    [[consentId, "reject-all", { analytics: "refused", marketing: "refused", media: "refused" }]],
  );
  const verified = await cli(["receipts", "--db", suite.server.inbox, "--tenant", "musterstadt", "--verify"]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^musterstadt: chain intact, \d+ records, head #\d+ [0-9a-f]{64}\n$/);
  assert.deepEqual(errors(page), []);
  await context.close();
});
