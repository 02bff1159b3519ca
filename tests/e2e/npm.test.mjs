// (g) The npm package as published: `npm pack` of pkg/, installed into a plain ES-module page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, demoSuite, errorText, errors, jar, newPage } from "./harness.mjs";

const suite = demoSuite({ packed: ["keksdose-npm-", "npm"] });

test("the package's version is Cargo.toml's and it lists what it ships", () => {
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m)[1];
  const manifest = JSON.parse(readFileSync(join(suite.site, "node_modules", "keksdose", "package.json"), "utf8"));
  assert.equal(manifest.version, cargo);
  assert.equal(manifest.name, "keksdose");
  for (const file of manifest.files) {
    readFileSync(join(suite.site, "node_modules", "keksdose", file));
  }
});

test("the package has its own README for npm users and the licence text", () => {
  const file = (name) => readFileSync(join(suite.site, "node_modules", "keksdose", name), "utf8");
  const readme = file("README.md");
  assert.equal(readme, readFileSync(join(ROOT, "pkg-config", "README.md"), "utf8"));
  for (const topic of ["## Embedding", "## Configuration", "## API", "import { init } from \"keksdose\"", "keksdose:consent"]) {
    assert.ok(readme.includes(topic), `the README covers ${topic}`);
  }
  for (const internal of [".ci/", "target/", "cargo ", "tests/e2e"]) {
    assert.ok(!readme.includes(internal), `no repository internals in the README: ${internal}`);
  }
  assert.equal(file("LICENSE"), readFileSync(join(ROOT, "LICENSE"), "utf8"));
  assert.match(file("LICENSE"), /^EUROPEAN UNION PUBLIC LICENCE v\. 1\.2\n/);
});

test("(g) the packed package imported by a plain ESM page shows the banner and works", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  await page.goto(`${suite.server.url}/`);
  await page.waitForFunction(() => window.started === true);
  assert.ok(await page.isVisible(".kd-banner"));
  const initError = await page.evaluate(() => window.initError);
  assert.equal(initError.name, "ConfigError");
  assert.match(initError.message, /missing field `policy`/);
  await page.click('[data-keksdose-action="accept-all"]');
  assert.equal(await page.evaluate(() => window.kd.acceptedService("matomo")), true);
  assert.match((await jar(context)).kd_consent, /^1\./);
  assert.deepEqual(errors(page), []);
  await context.close();
});

test("a wasm module that cannot load leaves the npm page necessary-only", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  await page.route("**/keksdose_web_bg.wasm", (route) => route.fulfill({ status: 404, body: "gone" }));
  await page.goto(`${suite.server.url}/`);
  await page.waitForFunction(() => window.initError !== undefined);
  assert.match(errorText(page), /keksdose: could not start/);
  await page.evaluate(() => {
    document.cookie = "_pk_id.1=x; path=/";
    localStorage.setItem("matomo_x", "1");
    localStorage.matomo_y = "2";
  });
  assert.deepEqual(await jar(context), {}, "no cookie reached the jar");
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await context.close();
});
