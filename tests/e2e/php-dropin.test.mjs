// The PHP drop-in for rented webspace (php/keksdose.php) under Debian's `php -S`: a sealed form
// in Chromium stored as a file that `keksdose open` opens; every refusal answered as `keksdose
// serve`'s collector answers it (the same requests go to both), with nothing stored; consent
// records stored once; nothing stored ever served; a wrong setting fails closed.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { DEMO_KEY_FILE, ROOT, cli, launch, newPage, ready, startServer } from "./harness.mjs";
import { generateKeyPair, sealEnvelope } from "./interop/hpke-core.mjs";

const SCRIPT = join(ROOT, "php", "keksdose.php");
const SHIPPED_SETTINGS = join(ROOT, "php", "keksdose-config.php");
const FIXTURE = join(ROOT, "tests", "e2e", "fixtures", "php-site");
const CONFIG = JSON.parse(readFileSync(join(FIXTURE, "keksdose.json"), "utf8"));
const PUBLIC_KEY = CONFIG.seal.keys[0].publicKey;
const KID = CONFIG.seal.keys[0].kid;
const SEALED = "application/vnd.keksdose.sealed";
const schema = JSON.parse(readFileSync(join(ROOT, "docs", "consent-record.schema.json"), "utf8"));

let scratch, site, data, php, phpUrl, serve, browser;

/** The test site's keksdose-config.php: `dataDir` as PHP source, `dataDirInsideWebRoot` when
 * given, and the fixture config's tenant. */
function writeSettings({ dataDir = `'${data}'`, insideWebRoot } = {}) {
  const inside = insideWebRoot === undefined ? "" : `'dataDirInsideWebRoot' => ${insideWebRoot},`;
  writeFileSync(
    join(site, "keksdose-config.php"),
    `<?php
return [
    'dataDir' => ${dataDir},
    ${inside}
    'tenants' => [
        '${CONFIG.tenant}' => ['kids' => ['${KID}'], 'maxAttachmentBytes' => ${CONFIG.seal.maxAttachmentBytes}],
    ],
];
`,
  );
}

/** Every file under `dir` (relative paths, sorted), but the lock. */
function files(dir = data) {
  const found = [];
  const walk = (at) => {
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (relative(dir, path) !== join("tmp", "lock")) found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

const inbox = () => join(data, "inbox", CONFIG.tenant);
const records = () => join(data, "records", CONFIG.tenant);

/** POSTs `body` to `url` as `type`; resolves to `{ status, headers, text, json }`. */
async function post(url, body, type = SEALED) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": type }, body });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

const toPhp = (tenant) => `${phpUrl}/keksdose.php?inbox=${tenant}`;
const toServe = (tenant) => `${serve.url}/inbox/${tenant}`;

function assertSecured(response, what) {
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(response.headers.get("cache-control"), "no-store", what);
  assert.match(response.headers.get("content-security-policy") ?? "", /^default-src 'none'/, what);
}

const seal = (options = {}) =>
  sealEnvelope({
    publicKey: PUBLIC_KEY,
    tenant: CONFIG.tenant,
    formId: "kontakt",
    origin: "https://www.example.org",
    fields: [["name", "Weber"]],
    ...options,
  });

/** A consent record as the browser sends it, with `changes` applied. */
function record(changes = {}) {
  return JSON.stringify({
    recordId: randomBytes(16).toString("base64url"),
    consentId: randomBytes(16).toString("base64url"),
    tenant: CONFIG.tenant,
    timestamp: "2026-11-30T09:00:00Z",
    revision: "m4CAWBPJjlOb",
    configHash: "f1c2570f086a7821cf1e318a8d40e12c95e51d35426aa61e5fa1a094ff10d188",
    language: "de",
    method: "reject-all",
    withdrawal: false,
    categories: { analytics: "refused" },
    services: { matomo: "refused" },
    expiresAt: "2027-05-29T09:00:00Z",
    ...changes,
  });
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "keksdose-php-"));
  site = join(scratch, "public_html");
  data = join(scratch, "keksdose-daten");
  cpSync(FIXTURE, site, { recursive: true });
  cpSync(SCRIPT, join(site, "keksdose.php"));
  symlinkSync(join(ROOT, "pkg"), join(site, "keksdose"));
  writeSettings();
  // OPcache stays on, as on webspace, but sees a changed keksdose-config.php at once; several
  // workers answer at the same time, as a web server's do.
  php = spawn("php", ["-d", "opcache.revalidate_freq=0", "-S", "127.0.0.1:0", "-t", site], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: "4" },
    // Its own process group: the workers outlive a stopped parent, so the group is stopped.
    detached: true,
  });
  let log = "";
  phpUrl = await new Promise((resolve, reject) => {
    php.on("exit", (code) => reject(new Error(`php -S exited with ${code}: ${log}`)));
    php.stderr.on("data", (chunk) => {
      log += chunk;
      const match = log.match(/Development Server \((http:\/\/127\.0\.0\.1:\d+)\) started/);
      if (match) resolve(match[1]);
    });
  });
  php.removeAllListeners("exit");
  serve = await startServer({ root: FIXTURE, args: ["--config", join(FIXTURE, "keksdose.json")] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  if (php && php.exitCode === null) {
    const exited = once(php, "exit");
    process.kill(-php.pid);
    await exited;
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("keksdose.php and its shipped settings are valid PHP, and `php keksdose.php` checks the settings", () => {
  for (const file of [SCRIPT, SHIPPED_SETTINGS]) {
    assert.match(execFileSync("php", ["-l", file], { encoding: "utf8" }), /No syntax errors detected/);
  }
  const checked = execFileSync("php", [join(site, "keksdose.php")], { encoding: "utf8" });
  assert.match(checked, new RegExp(`tenant musterstadt: key ids ${KID}; envelopes up to \\d+ bytes`));
});

test("a form sealed in Chromium is stored by keksdose.php as one file that `keksdose open` opens", async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${phpUrl}/kontakt.html`);
  await ready(page);
  await page.click('[data-keksdose-action="reject-all"]');
  const typed = {
    name: "Nußbaum-Çelik",
    email: "erika@example.org",
    nachricht: "Guten Tag,\nbitte übersetzen Sie das angehängte Zeugnis.\nViele Grüße",
  };
  for (const [name, value] of Object.entries(typed)) await page.fill(`#${name}`, value);
  const attachment = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(200 * 1024)]);
  await page.setInputFiles("#anhang", { name: "Zeugnis.pdf", mimeType: "application/pdf", buffer: attachment });
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /verschlüsselt übermittelt/.test(document.querySelector("[data-keksdose-status]")?.textContent));
  await context.close();

  const stored = readdirSync(inbox());
  assert.equal(stored.length, 1);
  assert.match(stored[0], /^[0-9a-f]{32}\.kdseal$/);
  assert.deepEqual(readdirSync(join(data, "tmp")), ["lock"], "no temporary file left");
  const opened = await cli(["open", "--key", DEMO_KEY_FILE, "--attachments", join(scratch, "anhaenge"), inbox()]);
  assert.equal(opened.code, 0, opened.stderr);
  const [submission] = JSON.parse(opened.stdout);
  assert.deepEqual(submission.fields, Object.entries(typed));
  assert.equal(`${submission.submissionId}.kdseal`, stored[0]);
  assert.equal(submission.origin, phpUrl);
  assert.equal(submission.files[0].sha256, createHash("sha256").update(attachment).digest("hex"));
  assert.deepEqual(readFileSync(submission.files[0].savedAs), attachment);
  const raw = readFileSync(join(inbox(), stored[0]));
  for (const value of Object.values(typed)) assert.equal(raw.includes(Buffer.from(value)), false, "only ciphertext");

  // The visitor's "reject all", logged at consent.logEndpoint.
  const [logged] = readdirSync(records());
  const proof = JSON.parse(readFileSync(join(records(), logged), "utf8"));
  assert.equal(logged, `${proof.recordId}.json`);
  assert.deepEqual(Object.keys(proof).sort(), Object.keys(schema.properties).sort());
  assert.equal(proof.method, "reject-all");
});

test("refused exactly as `keksdose serve` refuses it, with nothing stored", async () => {
  const limit = Number(
    execFileSync("php", [join(site, "keksdose.php")], { encoding: "utf8" }).match(/envelopes up to (\d+) bytes/)[1],
  );
  const good = await seal();
  const header = 61 + CONFIG.tenant.length + "kontakt".length + "https://www.example.org".length;
  const changed = (at, value) => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy;
  };
  const stranger = await generateKeyPair();
  const cases = [
    ["an unknown tenant in the URL", "nirgendwo", SEALED, good, 404],
    ["another content type", "musterstadt", "text/plain", good, 415],
    ["a form's encoding", "musterstadt", "application/x-www-form-urlencoded", good, 415],
    ["one byte over the limit", "musterstadt", SEALED, Buffer.alloc(limit + 1), 413],
    ["at the limit, but no envelope", "musterstadt", SEALED, Buffer.alloc(limit), 400],
    ["garbage", "musterstadt", SEALED, Buffer.from("garbage"), 400],
    ["another magic", "musterstadt", SEALED, changed(0, 0x4c), 400],
    ["another version", "musterstadt", SEALED, changed(6, 2), 400],
    ["another suite", "musterstadt", SEALED, changed(12, 1), 400],
    ["a chunk size that is no power of two", "musterstadt", SEALED, changed(55, 1), 400],
    ["an upper-case tenant in the header", "musterstadt", SEALED, changed(58, 0x4d), 400],
    ["another tenant in the header", "musterstadt", SEALED, await seal({ tenant: "anderestadt" }), 400],
    ["a key the tenant does not use", "musterstadt", SEALED, await seal({ publicKey: stranger.publicKey }), 400],
    ["cut inside enc", "musterstadt", SEALED, good.subarray(0, header + 20), 400],
    ["cut to a last chunk too short", "musterstadt", SEALED, good.subarray(0, header + 32 + 10), 400],
  ];
  for (const [what, tenant, type, body, expected] of cases) {
    const before = files();
    const fromPhp = await post(toPhp(tenant), body, type);
    const fromServe = await post(toServe(tenant), body, type);
    assert.equal(fromPhp.status, expected, `${what}: ${fromPhp.text}`);
    assert.equal(fromServe.status, expected, `keksdose serve, ${what}: ${fromServe.text}`);
    assert.equal(typeof fromPhp.json?.error, "string", `${what}: ${fromPhp.text}`);
    assertSecured(fromPhp, what);
    assert.deepEqual(files(), before, `${what}: nothing stored`);
  }
});

test("a resend is acknowledged, another envelope with the same submission id is refused, nothing is overwritten", async () => {
  const submissionId = randomBytes(16).toString("hex");
  const first = await seal({ submissionId, fields: [["name", "Erste"]] });
  const second = await seal({ submissionId, fields: [["name", "Zweite"]] });
  for (const [url, where] of [[toPhp("musterstadt"), "keksdose.php"], [toServe("musterstadt"), "keksdose serve"]]) {
    const stored = await post(url, first);
    assert.equal(stored.status, 201, `${where}: ${stored.text}`);
    assert.deepEqual(stored.json, { submission: submissionId }, where);
    const resent = await post(url, first);
    assert.equal(resent.status, 200, where);
    assert.deepEqual(resent.json, { submission: submissionId, resent: true }, where);
    const conflict = await post(url, second);
    assert.equal(conflict.status, 409, `${where}: ${conflict.text}`);
    if (where === "keksdose.php") assertSecured(conflict, where);
  }
  assert.deepEqual(readFileSync(join(inbox(), `${submissionId}.kdseal`)), Buffer.from(first));
  const opened = await cli(["open", "--key", DEMO_KEY_FILE, join(inbox(), `${submissionId}.kdseal`)]);
  assert.deepEqual(JSON.parse(opened.stdout)[0].fields, [["name", "Erste"]]);

  // Two envelopes with one id at the same time: one is stored, whole; the other is refused.
  const racing = randomBytes(16).toString("hex");
  const rivals = [await seal({ submissionId: racing }), await seal({ submissionId: racing })];
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => post(toPhp("musterstadt"), rivals[i % 2]).then((r) => [i % 2, r.status])),
  );
  const winners = answers.filter(([, status]) => status === 201).map(([rival]) => rival);
  assert.equal(winners.length, 1, JSON.stringify(answers));
  for (const [rival, status] of answers) {
    if (status !== 201) assert.equal(status, rival === winners[0] ? 200 : 409, JSON.stringify(answers));
  }
  assert.deepEqual(readFileSync(join(inbox(), `${racing}.kdseal`)), Buffer.from(rivals[winners[0]]));
  assert.deepEqual(readdirSync(join(data, "tmp")), ["lock"]);
});

test("consent records: stored once per record id, read as strictly as `keksdose serve` reads them", async () => {
  const good = record();
  const { recordId } = JSON.parse(good);
  const duplicated = good.replace('{"recordId"', '{"tenant":"musterstadt","recordId"');
  const cases = [
    ["a record", good, 204],
    ["the same record again", good, 204],
    ["the same id with other content", record({ recordId, method: "accept-all" }), 204],
    ["an unknown tenant", record({ tenant: "nirgendwo" }), 404],
    ["an unknown field", record({ ip: "192.0.2.1" }), 400],
    ["a missing field", JSON.stringify({ ...JSON.parse(record()), expiresAt: undefined }), 400],
    ["a repeated field", duplicated, 400],
    ["a day that does not exist", record({ timestamp: "2026-02-30T09:00:00Z" }), 400],
    ["an expiry before the decision", record({ expiresAt: "2026-11-29T09:00:00Z" }), 400],
    ["withdrawal as a string", record({ withdrawal: "false" }), 400],
    ["a language that is no ISO 639 code", record({ language: "french" }), 400],
    ["another method", record({ method: "implied" }), 400],
    ["a decision other than given or refused", record({ categories: { analytics: "yes" } }), 400],
    ["a category name that is no identifier", record({ categories: { Analytics: "given" } }), 400],
    ["an array", `[${good}]`, 400],
    ["not JSON", "recordId=x", 400],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), 400],
    ["over 16 KiB", record({ services: Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`s${i}`, "refused"])) }), 413],
  ];
  for (const [what, body, expected] of cases) {
    const fromPhp = await post(`${phpUrl}/keksdose.php?receipts`, body, "text/plain;charset=UTF-8");
    const fromServe = await post(`${serve.url}/keksdose/receipts`, body, "text/plain;charset=UTF-8");
    assert.equal(fromPhp.status, expected, `${what}: ${fromPhp.text}`);
    assert.equal(fromServe.status, expected, `keksdose serve, ${what}: ${fromServe.text}`);
    assertSecured(fromPhp, what);
  }
  const stored = readdirSync(records()).filter((name) => name === `${recordId}.json`);
  assert.deepEqual(stored, [`${recordId}.json`], "stored once");
  assert.equal(readFileSync(join(records(), stored[0]), "utf8"), good, "the first one, as received");
  assert.equal(readdirSync(records()).length, 2, "besides the browser's record, nothing refused");
});

test("nothing stored is ever served: every method but POST is refused, the data lies outside the web root", async () => {
  const [stored] = readdirSync(inbox());
  const content = readFileSync(join(inbox(), stored));
  for (const method of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
    for (const query of ["", "?inbox=musterstadt", "?receipts", `?inbox=musterstadt&id=${stored}`]) {
      const response = await fetch(`${phpUrl}/keksdose.php${query}`, { method });
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(response.status, 405, `${method} ${query}`);
      assert.equal(response.headers.get("allow"), "POST");
      assertSecured(response, `${method} ${query}`);
      assert.equal(body.includes(content.subarray(0, 64)), false);
    }
  }
  for (const path of [`/keksdose-daten/inbox/musterstadt/${stored}`, "/../keksdose-daten/", `/keksdose-daten/`]) {
    const response = await fetch(`${phpUrl}${path}`);
    assert.equal(response.status, 404, path);
  }
  // For a web server that honours them, should the directory ever be reachable.
  assert.equal(readFileSync(join(data, ".htaccess"), "utf8").includes("\nRequire all denied\n"), true);
  assert.equal(readFileSync(join(data, "index.html"), "utf8"), "");
  assert.equal(statSync(join(inbox(), stored)).mode & 0o777, 0o600);
  for (const dir of [data, inbox(), records(), join(data, "tmp")]) {
    assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  }
});

test("wrong settings fail closed: a clear 500, nothing stored", async (t) => {
  t.after(() => writeSettings());
  const envelope = await seal();
  const notADirectory = join(scratch, "eine-datei");
  writeFileSync(notADirectory, "");
  const insideWebRoot = join(site, "daten");
  for (const [what, settings, reason] of [
    ["a data directory that is a file", { dataDir: `'${notADirectory}'` }, /dataDir: exists but is not a directory/],
    ["a data directory whose parent is missing", { dataDir: `'${join(scratch, "fehlt", "daten")}'` }, /dataDir: neither it nor its parent/],
    ["a relative data directory", { dataDir: "'daten'" }, /dataDir: expected the absolute path/],
    ["a data directory inside the web root", { dataDir: `'${insideWebRoot}'` }, /dataDir: is inside the web root/],
  ]) {
    writeSettings(settings);
    const before = files(scratch);
    const response = await post(toPhp("musterstadt"), envelope);
    assert.equal(response.status, 500, what);
    assert.match(response.json.error, /^keksdose\.php is not set up correctly: /, what);
    assert.match(response.json.error, reason, what);
    assert.equal(response.json.error.includes(scratch), false, `${what}: no server paths in the answer`);
    assertSecured(response, what);
    assert.deepEqual(files(scratch), before, `${what}: nothing written`);
    const checked = spawnSync("php", [join(site, "keksdose.php")], { encoding: "utf8" });
    assert.equal(checked.status, 1, `${what}: the shell check fails too`);
    assert.match(checked.stderr, reason);
  }
  // Allowed on purpose (webspace without a directory outside the web root): protected by .htaccess.
  writeSettings({ dataDir: `'${insideWebRoot}'`, insideWebRoot: "true" });
  const stored = await post(toPhp("musterstadt"), envelope);
  assert.equal(stored.status, 201, stored.text);
  assert.match(readFileSync(join(insideWebRoot, ".htaccess"), "utf8"), /^Require all denied$/m);
});
