// Proof of consent and Google Consent Mode end to end: records arriving at a real endpoint for
// every kind of decision, the unsent queue, the visitor's download and erase, re-asking, the
// dataLayer a gtag snippet and Google Tag Manager read, and a decision shared across subdomains.
// Pages and config live in a scratch directory served by `keksdose serve` under its strict CSP;
// records go to a Node HTTP server on another loopback origin, as to a real collector.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Ajv2020 from "ajv/dist/2020.js";
import { DEMO_ARGS, cli, errors, jar, launch, newPage, ready, startServer } from "./harness.mjs";


/** The published schema; every record received is checked against it. */
const schema = JSON.parse(readFileSync(new URL("../../docs/consent-record.schema.json", import.meta.url), "utf8"));
const validRecord = new Ajv2020({ allErrors: true, validateFormats: false }).compile(schema);
/** The fields of a record, in the documented order. */
const FIELDS = Object.keys(schema.properties);

const root = mkdtempSync(join(tmpdir(), "keksdose-proof-"));
const received = [];
let receiver;
let server;
let browser;
let endpoint;

/** The scenario of the seed: necessary (language, login) and analytics, with Consent Mode. */
const config = (changes = {}) => ({
  tenant: "musterstadt",
  policy: { privacyUrl: "/datenschutz.html", imprintUrl: "/impressum.html" },
  consent: { logEndpoint: endpoint, ...changes.consent },
  categories: {
    necessary: {
      readOnly: true,
      services: {
        language: { provider: "Stadt Musterstadt", purpose: "Merkt sich die Sprache.", cookies: ["lang"], retention: "1 Jahr" },
        login: { provider: "Stadt Musterstadt", purpose: "Hält die Anmeldung.", cookies: ["PHPSESSID"], retention: "Sitzung" },
      },
    },
    analytics: {
      services: {
        ga4: {
          name: "Google Analytics",
          provider: "Google Ireland Limited",
          purpose: changes.purpose ?? "Besucherstatistik",
          cookies: ["_ga", "_ga_*"],
          retention: "14 Monate",
        },
        ...changes.services,
      },
    },
    ...changes.categories,
  },
  googleConsentMode: {
    analytics_storage: ["analytics"],
    functionality_storage: ["necessary"],
    region: ["DE", "AT"],
    ads_data_redaction: true,
    url_passthrough: false,
  },
});

/** Writes the config the pages load; returns its text. */
function serveConfig(value) {
  const text = JSON.stringify(value, null, 2);
  writeFileSync(join(root, "config.json"), text);
  return text;
}

const PAGE = `<!doctype html>
<html lang="de">
<head>
  <meta charset="utf-8">
  <title>Proof</title>
  <script src="/keksdose/keksdose.js" data-config="/config.json"></script>
  <script>window.atFirstScript = Array.from(window.dataLayer || [], (entry) => [Object.prototype.toString.call(entry), ...Array.from(entry)]);</script>
  <script>
    window.dataLayer = window.dataLayer || [];
    function gtag() { dataLayer.push(arguments); }
    gtag("js", new Date(0));
    gtag("config", "G-TEST");
  </script>
</head>
<body><main><h1>Proof</h1><a href="#" data-keksdose="preferences">Cookie-Einstellungen</a></main></body>
</html>
`;

before(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ method: request.method, path: request.url, type: request.headers["content-type"], body });
      response.writeHead(204).end();
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  endpoint = `http://records.localhost:${receiver.address().port}/keksdose/receipts`;
  writeFileSync(join(root, "index.html"), PAGE);
  writeFileSync(join(root, "favicon.ico"), "");
  // The tenant `keksdose serve` logs consent records for.
  writeFileSync(join(root, "keksdose.json"), JSON.stringify(config()));
  server = await startServer({ root, args: DEMO_ARGS });
  browser = await launch(["--host-resolver-rules=MAP *.musterstadt.test 127.0.0.1"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Waits until `count` records have arrived; returns them parsed, each checked against the schema. */
async function records(count) {
  for (let i = 0; i < 100 && received.length < count; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(received.length, count, "records received");
  return received.map((r) => {
    const record = JSON.parse(r.body);
    assert.ok(validRecord(record), JSON.stringify(validRecord.errors));
    return record;
  });
}

/** A fresh context and page on the scratch site; `gpc` makes the browser send the GPC signal. */
async function visit({ gpc = false, origin = server.url } = {}) {
  const context = await browser.newContext();
  if (gpc) {
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }),
    );
  }
  const page = await newPage(context);
  await page.goto(`${origin}/`);
  await ready(page);
  return { context, page };
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

test("R11: a record arrives for every decision, with exactly the documented fields", async () => {
  received.length = 0;
  const text = serveConfig(config());
  const { context, page } = await visit();
  const revision = await page.evaluate(() => window.keksdose.revision);

  await page.click('[data-keksdose-action="accept-all"]');
  let [accepted] = await records(1);
  assert.deepEqual(Object.keys(accepted), FIELDS, "these fields and nothing else");
  assert.match(accepted.recordId, /^[\w-]{22}$/);
  assert.match(accepted.consentId, /^[\w-]{22}$/);
  assert.notEqual(accepted.recordId, accepted.consentId);
  assert.equal(accepted.tenant, "musterstadt");
  assert.match(accepted.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Math.abs(Date.parse(accepted.timestamp) - Date.now()) < 60_000, "now, in UTC");
  assert.equal(accepted.revision, revision);
  assert.equal(accepted.configHash, sha256(text), "SHA-256 of the config file as served");
  assert.equal(accepted.language, "de");
  assert.equal(accepted.method, "accept-all");
  assert.equal(accepted.withdrawal, false);
  assert.deepEqual(accepted.categories, { analytics: "given" }, "necessary is not decided on");
  assert.deepEqual(accepted.services, { ga4: "given" });
  const days = (Date.parse(accepted.expiresAt) - Date.parse(accepted.timestamp)) / 86_400_000;
  assert.equal(days, 180);
  assert.equal(received[0].type, "text/plain;charset=UTF-8", "no CORS preflight needed");
  assert.equal(received[0].method, "POST");

  // A change in the preferences that refuses what was given: a withdrawal.
  await page.evaluate(() => window.keksdose.showPreferences());
  await page.uncheck("#kd-c-analytics");
  await page.click('.kd-dialog [data-keksdose-action="save"]');
  const withdrawn = (await records(2))[1];
  assert.deepEqual([withdrawn.method, withdrawn.withdrawal], ["custom", true]);
  assert.deepEqual(withdrawn.services, { ga4: "refused" });
  assert.equal(withdrawn.consentId, accepted.consentId, "one consent id per browser");

  // Reject all in the preferences, then accept through the API.
  await page.evaluate(() => window.keksdose.showPreferences());
  await page.click('.kd-dialog [data-keksdose-action="reject-all"]');
  await page.evaluate(() => window.keksdose.acceptCategory("analytics"));
  const [, , rejected, viaApi] = await records(4);
  assert.deepEqual([rejected.method, rejected.withdrawal], ["reject-all", false]);
  assert.deepEqual([viaApi.method, viaApi.categories], ["custom", { analytics: "given" }]);
  const refusedDays = (Date.parse(rejected.expiresAt) - Date.parse(rejected.timestamp)) / 86_400_000;
  assert.equal(refusedDays, 180, "a refusal lasts as long as a consent");

  // Erasing ends the decision in force with a record of its own.
  await page.evaluate(() => window.keksdose.showPreferences());
  await page.click('[data-keksdose-action="erase"]');
  const erased = (await records(5))[4];
  assert.deepEqual([erased.method, erased.withdrawal], ["reset", true]);
  assert.equal(erased.expiresAt, erased.timestamp);
  for (const record of await records(5)) {
    assert.deepEqual(Object.keys(record), FIELDS);
    assert.doesNotMatch(JSON.stringify(record), /127\.0\.0\.1|Mozilla|Chrome/, "no IP, no user agent");
  }
  assert.deepEqual(errors(page), []);
  await context.close();

  // GPC: the documented policy decides without a banner, and says so in the record.
  received.length = 0;
  const gpc = await visit({ gpc: true });
  const [byGpc] = await records(1);
  assert.deepEqual([byGpc.method, byGpc.withdrawal, byGpc.categories], ["gpc", false, { analytics: "refused" }]);
  assert.equal(await gpc.page.locator(".kd-banner:visible").count(), 0);
  assert.deepEqual(errors(gpc.page), []);
  await gpc.context.close();
});

test("a record the browser refuses to queue is sent on the next page view", async () => {
  received.length = 0;
  serveConfig(config());
  const context = await browser.newContext();
  const page = await newPage(context);
  // What sendBeacon answers when the browser will not queue (its 64 KB in-flight quota is used up).
  await page.addInitScript(() => {
    if (location.search === "?refuse") Navigator.prototype.sendBeacon = () => false;
  });
  await page.goto(`${server.url}/?refuse`);
  await ready(page);
  await page.click('[data-keksdose-action="accept-all"]');
  await page.waitForTimeout(300);
  assert.equal(received.length, 0, "not sent");
  const unsent = await page.evaluate(() => localStorage.getItem("kd_consent.unsent"));
  assert.equal(JSON.parse(unsent).method, "accept-all");

  await page.goto(`${server.url}/`);
  await ready(page);
  const [late] = await records(1);
  assert.equal(late.method, "accept-all");
  assert.equal(late.recordId, JSON.parse(unsent).recordId, "the same record, not a new one");
  assert.equal(await page.evaluate(() => localStorage.getItem("kd_consent.unsent")), null);
  await page.reload();
  await ready(page);
  await page.waitForTimeout(200);
  assert.equal(received.length, 1, "sent once");
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("the preferences show the consent id, download the visitor's records and erase everything", async () => {
  received.length = 0;
  serveConfig(config());
  const { context, page } = await visit();
  await page.click('[data-keksdose-action="accept-all"]');
  await page.evaluate(() => window.keksdose.acceptCategory([]));
  const sent = await records(2);
  await page.evaluate(() => {
    localStorage.setItem("_ga_ls", "x");
    document.cookie = "PHPSESSID=session";
  });

  await page.click('[data-keksdose="preferences"]');
  const shown = await page.textContent(".kd-consent-id");
  assert.equal(shown, sent[0].consentId);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-keksdose-action="download"]')]);
  assert.equal(download.suggestedFilename(), "consent-records.json");
  const own = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.deepEqual(own, sent, "the same records the endpoint received");

  await page.click('[data-keksdose-action="erase"]');
  assert.ok(await page.isVisible(".kd-banner"), "asked again");
  assert.deepEqual(await jar(context), { PHPSESSID: "session" }, "only the necessary cookie is left");
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith("kd_consent")));
  assert.deepEqual(stored, [], "the device's records are gone");
  assert.equal((await records(3))[2].method, "reset");
  // A new decision starts a new consent id.
  await page.click('[data-keksdose-action="reject-all"]');
  const [, , , fresh] = await records(4);
  assert.notEqual(fresh.consentId, sent[0].consentId);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("R12: re-ask: a refusal stands when only wording changes, not when a service is added", async () => {
  serveConfig(config());
  const { context, page } = await visit();
  await page.click('[data-keksdose-action="reject-all"]');
  const before = await page.evaluate(() => window.keksdose.revision);

  serveConfig(config({ purpose: "Statistik über die Nutzung der Website" }));
  await page.reload();
  await ready(page);
  assert.notEqual(await page.evaluate(() => window.keksdose.revision), before, "the wording changed");
  await page.waitForTimeout(200);
  assert.equal(await page.locator(".kd-banner:visible").count(), 0, "not asked again");
  assert.equal(await page.evaluate(() => window.keksdose.validConsent()), true);

  serveConfig(config({ services: { matomo: { provider: "Stadt", purpose: "Statistik" } } }));
  await page.reload();
  await ready(page);
  await page.waitForSelector(".kd-banner", { state: "visible" });
  assert.equal(await page.evaluate(() => window.keksdose.validConsent()), false);

  // A consent is asked for again after a change of wording.
  serveConfig(config());
  await page.click('[data-keksdose-action="accept-all"]');
  serveConfig(config({ purpose: "Reichweitenmessung" }));
  await page.reload();
  await ready(page);
  await page.waitForSelector(".kd-banner", { state: "visible" });
  assert.deepEqual(errors(page), []);
  await context.close();
});

/** `dataLayer` as `[kind, ...arguments]` entries. */
const dataLayer = (page) =>
  page.evaluate(() => window.dataLayer.map((entry) => [Object.prototype.toString.call(entry), ...Array.from(entry)]));

const DENIED = {
  ad_storage: "denied",
  ad_user_data: "denied",
  ad_personalization: "denied",
  analytics_storage: "denied",
  functionality_storage: "granted",
  personalization_storage: "denied",
  security_storage: "granted",
};

test("Consent Mode: default before the next script, a returning visit's update right after, an update per decision", async () => {
  serveConfig(config());
  const { context, page } = await visit();
  const defaults = [
    ["[object Arguments]", "consent", "default", { ...DENIED, region: ["DE", "AT"] }],
    ["[object Arguments]", "set", "ads_data_redaction", true],
    ["[object Arguments]", "set", "url_passthrough", false],
  ];
  assert.deepEqual(await page.evaluate(() => window.atFirstScript), defaults, "there before the next script");
  const first = await dataLayer(page);
  assert.deepEqual(first.slice(0, 3), defaults);
  assert.deepEqual(first.slice(3).map((entry) => entry[1]), ["js", "config"], "then the page's own tags");

  await page.click('[data-keksdose-action="accept-all"]');
  const granted = { ...DENIED, analytics_storage: "granted" };
  assert.deepEqual((await dataLayer(page)).at(-1), ["[object Arguments]", "consent", "update", granted]);

  await page.reload();
  await ready(page);
  const returning = await page.evaluate(() => window.atFirstScript);
  assert.deepEqual(returning, [...defaults, ["[object Arguments]", "consent", "update", granted]], "before any tag");

  await page.evaluate(() => window.keksdose.acceptCategory([]));
  assert.deepEqual((await dataLayer(page)).at(-1), ["[object Arguments]", "consent", "update", DENIED]);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("consent.domain shares the decision between www and service subdomains", async () => {
  serveConfig(config({ consent: { domain: "musterstadt.test" } }));
  const port = new URL(server.url).port;
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`http://www.musterstadt.test:${port}/`);
  await ready(page);
  await page.click('[data-keksdose-action="accept-all"]');
  const id = await page.evaluate(() => window.keksdose.getConsent().consentId);
  const cookies = (await context.cookies()).filter((c) => c.name === "kd_consent");
  assert.deepEqual(
    cookies.map((c) => c.domain),
    [".musterstadt.test"],
    "one cookie, for every subdomain",
  );

  await page.goto(`http://service.musterstadt.test:${port}/`);
  await ready(page);
  await page.waitForTimeout(200);
  assert.equal(await page.locator(".kd-banner:visible").count(), 0, "no banner on the other subdomain");
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), true);
  assert.equal(await page.evaluate(() => window.keksdose.getConsent().consentId), id);

  // A withdrawal on one subdomain holds on the other.
  await page.evaluate(() => window.keksdose.acceptCategory([]));
  await page.goto(`http://www.musterstadt.test:${port}/`);
  await ready(page);
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), false);
  assert.equal((await context.cookies()).filter((c) => c.name === "kd_consent").length, 1);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("keksdose serve keeps the records in its consent log, a verifiable chain per tenant", async () => {
  serveConfig(config({ consent: { logEndpoint: "/keksdose/receipts" } }));
  const { context, page } = await visit();
  await page.click('[data-keksdose-action="accept-all"]');
  await page.evaluate(() => window.keksdose.acceptCategory([]));
  const consentId = await page.evaluate(() => window.keksdose.getConsent().consentId);
  const receipts = (...args) => cli(["receipts", "--db", server.inbox, "--tenant", "musterstadt", ...args]);
  let verified;
  for (let i = 0; i < 50; i++) {
    verified = await receipts("--verify");
    if (/chain intact, 2 records/.test(verified.stdout)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(verified.stdout, /^musterstadt: chain intact, 2 records, head #2 [0-9a-f]{64}\n$/);
  const mine = JSON.parse((await receipts("--consent-id", consentId)).stdout);
  assert.deepEqual(
    mine.map((entry) => [entry.seq, entry.record.method, entry.record.withdrawal]),
    [
      [1, "accept-all", false],
      [2, "custom", true],
    ],
  );
  const sent = JSON.parse(await page.evaluate(() => `[${localStorage.getItem("kd_consent.records").split("\n").join(",")}]`));
  assert.deepEqual(
    mine.map((entry) => entry.record),
    sent,
    "the log holds what the browser sent",
  );
  assert.deepEqual(errors(page), []);
  await context.close();
});
