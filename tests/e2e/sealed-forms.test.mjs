// Sealed forms end to end: the demo contact form in Chromium, the collector's SQLite inbox, and
// `keksdose open`; interoperability with an independent implementation of the published format
// (tests/e2e/interop/hpke-core.mjs, written from docs/envelope-v1.md with @hpke/core); and every
// way the form must fail closed.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEMO_KEY_FILE, ROOT, TYPED, axeViolations, cli, corruptWasm, demoSuite, newPage, ready } from "./harness.mjs";
import { openEnvelope, sealEnvelope } from "./interop/hpke-core.mjs";

const SECRET_KEY = readFileSync(DEMO_KEY_FILE, "utf8")
  .split("\n")
  .find((line) => line.startsWith("kdsk1"));
const PUBLIC_KEY = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8")).seal.keys[0].publicKey;

const suite = demoSuite();
const schema = JSON.parse(readFileSync(join(ROOT, "docs", "consent-record.schema.json"), "utf8"));
let scratch;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "keksdose-sealed-"));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Opens the contact form, with every request's method, URL and body recorded. */
async function contactForm(context, { route } = {}) {
  const page = await newPage(context);
  page.sent = [];
  await page.route("**/*", async (request) => {
    const r = request.request();
    page.sent.push({ method: r.method(), url: r.url(), body: r.postDataBuffer() ?? Buffer.alloc(0) });
    if (route && (await route(request))) return;
    await request.continue();
  });
  await page.goto(`${suite.server.url}/kontakt.html`);
  await ready(page);
  await page.click('[data-keksdose-action="reject-all"]');
  return page;
}

async function fill(page, typed = TYPED) {
  await page.selectOption("#anrede", typed.anrede);
  for (const [name, value] of Object.entries(typed)) {
    if (name !== "anrede") await page.fill(`#${name}`, value);
  }
}

/** What the page posted, but the consent record of the visitor's "reject all" (the demo logs it). */
const posts = (page) =>
  page.sent.filter((r) => r.method === "POST" && new URL(r.url).pathname !== "/keksdose/receipts");
const statusText = (page) => page.textContent("[data-keksdose-status]");

/** Every encoding in which a typed value could travel in clear. */
function leaks(body, values) {
  const text = body.toString("latin1");
  return values.filter((value) =>
    [value, encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, "+"), JSON.stringify(value).slice(1, -1)]
      .map((form) => Buffer.from(form, "utf8").toString("latin1"))
      .some((form) => text.includes(form)),
  );
}

async function openInbox() {
  const result = await cli(["open", "--key", DEMO_KEY_FILE, "--attachments", join(scratch, "anhaenge"), suite.server.inbox]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test("the contact form: no typed value in any request, and `keksdose open` recovers exactly what was typed", async () => {
  const context = await suite.browser.newContext();
  const page = await contactForm(context);
  assert.equal(await page.getAttribute("fieldset", "disabled"), null, "enabled once keksdose can seal");
  await fill(page);
  const attachment = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(300 * 1024)]);
  await page.setInputFiles("#anhang", { name: "Lageplan Stand.pdf", mimeType: "application/pdf", buffer: attachment });
  // Other code listening for the submit event never sees it.
  await page.evaluate(() =>
    document.querySelector("form").addEventListener("submit", () => (window.leaked = true)),
  );
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /verschlüsselt übermittelt/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  assert.deepEqual(await axeViolations(page, "form"), [], "R14: the form and its confirmation are accessible");
  assert.equal(await page.evaluate(() => window.leaked), undefined);
  assert.equal(await page.inputValue("#name"), "", "the form is reset after sending");

  const sealed = posts(page);
  assert.equal(sealed.length, 1);
  assert.match(sealed[0].url, /\/inbox\/musterstadt$/);
  assert.ok(sealed[0].body.length > attachment.length, "the attachment went along, sealed");
  for (const request of page.sent) {
    if (new URL(request.url).pathname === "/keksdose/receipts") {
      // The consent record of "reject all": random ids, hashes and times, which a short typed
      // value ("17a") may match by chance; what it can hold is fixed by its schema.
      const record = JSON.parse(request.body.toString("utf8"));
      assert.deepEqual(Object.keys(record).sort(), Object.keys(schema.properties).sort());
      continue;
    }
    // Ciphertext is random: a value of a few bytes ("17a") turns up in 300 KB of it by chance
    // (about 2 % of runs); longer ones do not.
    const values = request.url.includes("/inbox/")
      ? Object.values(TYPED).filter((value) => Buffer.byteLength(value) >= 6)
      : Object.values(TYPED);
    assert.deepEqual(leaks(request.body, values), [], `${request.method} ${request.url}`);
    assert.equal(request.body.includes(attachment.subarray(0, 64)), false, "no attachment bytes in clear");
  }

  const [record] = await openInbox();
  assert.deepEqual(record.fields, Object.entries(TYPED).map(([name, value]) => [name, value]));
  assert.equal(record.tenant, "musterstadt");
  assert.equal(record.formId, "contact");
  assert.equal(record.origin, suite.server.url);
  const [file] = record.files;
  assert.equal(file.name, "Lageplan Stand.pdf");
  assert.equal(file.size, attachment.length);
  assert.equal(file.sha256, createHash("sha256").update(attachment).digest("hex"));
  assert.deepEqual(readFileSync(file.savedAs), attachment);
  await context.close();
});

test("interop: an envelope sealed in Chromium opens with @hpke/core from the published spec", async () => {
  const context = await suite.browser.newContext();
  const page = await contactForm(context);
  const short = { ...TYPED, nachricht: "Kurz." };
  await fill(page, short);
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /übermittelt/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  const envelope = new Uint8Array(posts(page)[0].body);
  const opened = await openEnvelope(envelope, SECRET_KEY);
  assert.deepEqual(opened.fields, Object.entries(short));
  assert.equal(opened.header.tenant, "musterstadt");
  assert.equal(opened.files.length, 0);
  await context.close();
});

test("interop: keksdose opens an envelope sealed by @hpke/core, from a file and through the collector", async () => {
  const fields = [["name", "Schmidt"], ["nachricht", "Über @hpke/core versiegelt"]];
  const bytes = new TextEncoder().encode("Anlage ✓");
  const envelope = await sealEnvelope({
    publicKey: PUBLIC_KEY,
    tenant: "musterstadt",
    formId: "contact",
    origin: "https://www.musterstadt.example",
    fields,
    files: [{ field: "anhang", name: "anlage.txt", type: "text/plain", bytes }],
  });
  const file = join(scratch, "from-hpke-core.kdseal");
  writeFileSync(file, envelope);
  const result = await cli(["open", "--key", DEMO_KEY_FILE, file]);
  assert.equal(result.code, 0, result.stderr);
  const [record] = JSON.parse(result.stdout);
  assert.deepEqual(record.fields, fields);
  assert.equal(record.files[0].sha256, createHash("sha256").update(bytes).digest("hex"));

  const response = await fetch(`${suite.server.url}/inbox/musterstadt`, {
    method: "POST",
    headers: { "Content-Type": "application/vnd.keksdose.sealed" },
    body: envelope,
  });
  assert.equal(response.status, 201, await response.text());
  const stored = await openInbox();
  assert.ok(stored.some((r) => JSON.stringify(r.fields) === JSON.stringify(fields)));
});

test("fail closed: without the wasm module the form stays disabled and nothing is posted", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  const sent = [];
  page.on("request", (r) => sent.push(r.method()));
  await corruptWasm(page);
  await page.goto(`${suite.server.url}/kontakt.html`);
  await page.waitForLoadState("load");
  assert.notEqual(await page.getAttribute("fieldset", "disabled"), null, "still disabled");
  // Even page code that enables the form and submits it posts nothing.
  await page.evaluate(() => {
    document.querySelector("fieldset").disabled = false;
    document.querySelector("#name").value = "Geheim";
    document.querySelector("form").requestSubmit();
    document.querySelector("form").submit();
  });
  await page.waitForTimeout(500);
  assert.deepEqual(sent.filter((m) => m === "POST"), []);
  assert.match(page.url(), /kontakt\.html$/);
  await context.close();
});

test("fail closed: without JavaScript the form cannot be filled or posted", async () => {
  const context = await suite.browser.newContext({ javaScriptEnabled: false });
  const page = await newPage(context);
  const sent = [];
  page.on("request", (r) => sent.push(r.method()));
  await page.goto(`${suite.server.url}/kontakt.html`);
  assert.ok(await page.isDisabled("#name"));
  assert.ok(await page.isDisabled("button[type=submit]"));
  await page.click("button[type=submit]", { force: true });
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
  assert.deepEqual(sent.filter((m) => m === "POST"), []);
  assert.match(await page.textContent("noscript"), /braucht JavaScript/);
  await context.close();
});

test("fail closed: a seal module that does not load means a clear message and no request", async () => {
  const context = await suite.browser.newContext();
  const page = await contactForm(context, {
    route: async (route) => {
      if (route.request().url().endsWith("keksdose_seal_bg.wasm")) {
        await route.fulfill({ status: 404, body: "gone" });
        return true;
      }
      return false;
    },
  });
  await fill(page);
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /nicht verfügbar/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  assert.equal(await page.getAttribute("[data-keksdose-status]", "role"), "alert");
  assert.deepEqual(posts(page), []);
  assert.equal(await page.inputValue("#name"), TYPED.name, "nothing lost: the input stays");
  await context.close();
});

test("attachments over the configured limit are refused before anything is sent", async () => {
  const context = await suite.browser.newContext();
  const config = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));
  config.seal.maxAttachmentBytes = 1024;
  const page = await contactForm(context, {
    route: async (route) => {
      if (route.request().url().endsWith("/keksdose.json")) {
        await route.fulfill({ json: config });
        return true;
      }
      return false;
    },
  });
  await fill(page);
  await page.setInputFiles("#anhang", { name: "gross.pdf", mimeType: "application/pdf", buffer: randomBytes(4096) });
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /größer als 1 MB/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  assert.deepEqual(posts(page), []);
  await context.close();
});

test("a file changed on disk after it was chosen: nothing is sent, the visitor is asked to choose it again", async () => {
  const context = await suite.browser.newContext();
  const page = await contactForm(context);
  await fill(page);
  const path = join(scratch, "Lageplan.pdf");
  writeFileSync(path, randomBytes(4096));
  await page.setInputFiles("#anhang", path);
  // Chromium records a chosen file's size and modification time when the page first reads
  // them, some time after the choice; read them now, so the rewrite below is a change it sees.
  await page.evaluate(() => document.querySelector("#anhang").files[0].size);
  writeFileSync(path, randomBytes(4096));
  const later = new Date(Date.now() + 60_000);
  utimesSync(path, later, later);
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /erneut aus/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  assert.equal(await page.getAttribute("[data-keksdose-status]", "role"), "alert");
  assert.deepEqual(posts(page), []);
  assert.equal(await page.inputValue("#nachricht"), TYPED.nachricht, "nothing lost: the input stays");
  await context.close();
});

test("a refusing server: the visitor is told, only ciphertext was sent, the input stays", async () => {
  const context = await suite.browser.newContext();
  const page = await contactForm(context, {
    route: async (route) => {
      if (route.request().url().includes("/inbox/")) {
        await route.fulfill({ status: 503, body: "busy" });
        return true;
      }
      return false;
    },
  });
  await fill(page);
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /Status 503/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  assert.deepEqual(await axeViolations(page, "form"), [], "R14: the form and its problem status are accessible");
  const [post] = posts(page);
  assert.deepEqual(leaks(post.body, Object.values(TYPED)), []);
  assert.equal(await page.inputValue("#betreff"), TYPED.betreff);
  await context.close();
});

test("the seal module is only fetched when a sealed form is submitted", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  const fetched = [];
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(`${suite.server.url}/`);
  await ready(page);
  await page.goto(`${suite.server.url}/kontakt.html`);
  await ready(page);
  assert.deepEqual(fetched.filter((p) => p.includes("keksdose_seal")), []);
  await context.close();
});
