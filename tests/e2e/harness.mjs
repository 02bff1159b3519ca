// Shared by the end-to-end tests: start `keksdose serve` on a free port, drive Debian's Chromium
// with playwright-core, and record every console message and page error.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "target", "debug", "keksdose");

/** The demo's secret key (public in this repository), which opens what the demo's forms seal. */
export const DEMO_KEY_FILE = join(ROOT, "tests", "fixtures", "demo-secret.key");

/** What the end-to-end tests type into the demo's contact form (`www/kontakt.html`), by field. */
export const TYPED = {
  anrede: "Frau",
  name: "Nußbaum-Çelik",
  vorname: "Erika",
  email: "erika.nussbaum@example.org",
  strasse: "Lindenstraße",
  hausnummer: "17a",
  plz: "12345",
  ort: "Musterstadt",
  telefon: "+49 30 1234567",
  betreff: "Antrag auf Sondernutzung",
  nachricht: "Guten Tag,\nich möchte einen Stand auf dem Wochenmarkt anmelden.\nViele Grüße",
};

/** What `.ci/demo` adds: js-cookie from npm, and the demo's "third parties" on *.localhost. */
export const DEMO_ARGS = [
  "--mount",
  `/vendor/js-cookie/=${join(ROOT, "tests", "e2e", "node_modules", "js-cookie", "dist")}`,
  "--allow-origin",
  "http://*.localhost:*",
];

/**
 * A fresh site directory (under the system's temporary directory, named after `prefix`) as a
 * front-end project has it: the packed package (`npm pack` of pkg/) unpacked into
 * `node_modules/keksdose`, the files of `tests/e2e/fixtures/<fixture>/`, and the demo's config
 * and icon. The caller removes it.
 */
export function packedSite(prefix, fixture) {
  const site = mkdtempSync(join(tmpdir(), prefix));
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", site], {
    cwd: join(ROOT, "pkg"),
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  const installed = join(site, "node_modules", "keksdose");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(site, tarball), "-C", installed, "--strip-components=1"]);
  cpSync(join(ROOT, "tests", "e2e", "fixtures", fixture), site, { recursive: true });
  cpSync(join(ROOT, "www", "keksdose.json"), join(site, "keksdose.json"));
  cpSync(join(ROOT, "www", "favicon.svg"), join(site, "favicon.svg"));
  return site;
}

/** Starts `keksdose serve` on a free port with a fresh inbox; resolves to `{ url, port, inbox, stop }`. */
export async function startServer({ root = join(ROOT, "www"), pkg = join(ROOT, "pkg"), args = DEMO_ARGS } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), "keksdose-serve-"));
  const inbox = join(scratch, "inbox.sqlite");
  const child = spawn(CLI, ["serve", "--port", "0", "--root", root, "--pkg", pkg, "--db", inbox, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`keksdose serve exited with ${code}: ${output}`)));
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/serving (http:\/\/[^/\s]+)\//);
      if (match) resolve(match[1]);
    });
  });
  child.removeAllListeners("exit");
  return {
    url,
    port: Number(new URL(url).port),
    inbox,
    async stop() {
      if (child.exitCode === null) {
        child.kill();
        await once(child, "exit");
      }
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * Registers hooks that start the demo server and Chromium before this file's tests and stop them
 * after; returns the object whose `server` and `browser` they set, and `visit`. With `packed`
 * (`[prefix, fixture]`), the server serves a `packedSite` instead of the demo pages, kept in
 * `site` and removed afterwards.
 */
export function demoSuite({ packed } = {}) {
  const suite = {};
  before(async () => {
    if (packed) suite.site = packedSite(...packed);
    suite.server = await startServer(suite.site ? { root: suite.site } : {});
    suite.browser = await launch();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
    if (suite.site) rmSync(suite.site, { recursive: true, force: true });
  });
  /** A fresh browser context with one page that has loaded `path` and keksdose. */
  suite.visit = async (path = "/") => {
    const context = await suite.browser.newContext();
    const page = await newPage(context);
    await page.goto(`${suite.server.url}${path}`);
    await ready(page);
    return { context, page };
  };
  return suite;
}

/** Runs the keksdose CLI; resolves to `{ code, stdout, stderr }`. */
export async function cli(args, { env = {} } = {}) {
  const child = spawn(CLI, args, { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const [code] = await once(child, "exit");
  return { code, stdout, stderr };
}

/** Launches headless Chromium as this machine allows (root, no network), with `extra` flags. */
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extra,
    ],
  });
}

/** A new page whose console messages and errors are collected in `page.log`. */
export async function newPage(context) {
  const page = await context.newPage();
  page.log = [];
  page.on("console", (message) => page.log.push({ type: message.type(), text: message.text() }));
  page.on("pageerror", (error) => page.log.push({ type: "pageerror", text: String(error) }));
  return page;
}

/** Console errors and uncaught exceptions recorded on `page`. */
export function errors(page) {
  return page.log.filter((entry) => entry.type === "error" || entry.type === "pageerror");
}

/** The text of every console error and uncaught exception on `page`, one per line. */
export function errorText(page) {
  return errors(page)
    .map((entry) => entry.text)
    .join("\n");
}

/** Serves `keksdose.js` to `page` with its inlined module corrupted, the way a truncated or
 * mangled download would be. */
export function corruptWasm(page) {
  return page.route("**/keksdose/keksdose.js", async (route) => {
    const response = await route.fetch();
    // The module is a string of one character per byte; its magic number is "\0asm".
    const body = (await response.text()).replace('"\0asm', '"\0xsm');
    await route.fulfill({ response, body });
  });
}

/** Answers `page`'s requests for `pattern` with the HTML page `body`, under the policy `csp`. */
export function servePage(page, pattern, body, csp) {
  return page.route(pattern, (route) =>
    route.fulfill({ contentType: "text/html; charset=utf-8", headers: { "content-security-policy": csp }, body }),
  );
}

/** The browser's cookie jar as `{ name: value }` (not `document.cookie`). */
export async function jar(context) {
  return Object.fromEntries((await context.cookies()).map((cookie) => [cookie.name, cookie.value]));
}

/** Records the hosts of every request `page` makes in `page.requests` (URLs). */
export function recordRequests(page) {
  page.requests = [];
  page.on("request", (request) => page.requests.push(request.url()));
  return page;
}

/** Requests of `page` that went to `host`. */
export function requestsTo(page, host) {
  return page.requests.filter((url) => new URL(url).hostname === host);
}

/** WCAG 2.1 A and AA violations axe-core finds in `selector` on `page`, as "rule: targets". */
export async function axeViolations(page, selector = ".kd-root") {
  const result = await new AxeBuilder({ page })
    .include(selector)
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Console warnings recorded on `page`. */
export function warnings(page) {
  return page.log.filter((entry) => entry.type === "warning").map((entry) => entry.text);
}

/** Waits until keksdose has started on `page` (the API exists and the document is parsed). */
export async function ready(page) {
  await page.waitForFunction(() => document.readyState !== "loading" && "keksdose" in window);
}

/**
 * Waits until the banner has taken focus: on its first appearance it does so in a task of its
 * own, once it is laid out.
 */
export async function bannerFocused(page) {
  await page.waitForFunction(() => document.activeElement?.matches(".kd-banner"), null, { timeout: 2000 });
}
