// Benchmark (not a test): keksdose next to four open-source peers — vanilla-cookieconsent 3,
// Klaro 0.7, tarteaucitron 1.x and Osano cookieconsent 3 — on equivalent pages, in one interleaved
// run of headless Chromium. Nothing is asserted; compare the tools within one run, not absolute
// times across machines.
//   (cd tests/e2e/bench/peers && npm ci --no-audit --no-fund)   # once: the peers, exact versions
//   node tests/e2e/bench/peers.mjs [--rounds N] [--profiles unthrottled,cpu4,phone] [--out DIR]
//                                  [--tools keksdose,vanilla,...] [--verbose]
//   node tests/e2e/bench/peers.mjs --render tests/e2e/bench/results/peers.json   # the table again
//
// Pages: one page (tests/e2e/bench/peers/pages/page.html) into which each tool's parts are filled
// (see tools() below), so that every tool and a baseline without one get the same visible
// content — a header, four paragraphs of German text, an embedded video frame, a footer link
// that reopens the preferences — and the same payloads: an analytics script from
// http://stats.bench.test:PORT/analytics.js that may only run after consent (it sets
// window.__activated and the cookie _pk_id.1), an unmarked inline script right after the tool
// writing the cookie _ga, and a frame from http://video.bench.test:PORT/video.html that may only load
// after consent to "media". Each tool is wired up the way its own documentation shows. keksdose
// runs four times: the script tag with the config inline in the page; the same without the
// unmarked `_ga` write (which costs the other tools nothing, but makes keksdose start before the
// first paint to decide it); the script tag with the config as a URL (one more request); and the
// inline start (pkg/keksdose-start.js in the page, everything else loaded without blocking).
//
// Serving: a small node:http server on 127.0.0.1 (free port) serves the pages, the peers from
// tests/e2e/bench/peers/node_modules and keksdose from pkg/ (as built: read once at start, so a
// rebuild during the run does not change what is measured). Text is sent with
// Content-Encoding: gzip (level 9, compressed once; wasm too); Cache-Control: no-store. The "third parties"
// *.bench.test are the same server (Chromium maps them with --host-resolver-rules).
//
// Per cold load (a new browser context each time: empty cache and cookie jar; locale de-DE):
//   fcp          first-contentful-paint entry.
//   banner       performance.now() in the first animation frame in which the tool's banner element
//                exists, has a non-empty box, is not display:none, has computed visibility
//                "visible" (inherited, so ancestors count) and opacity > 0 on it and every
//                ancestor; polled by an init script every frame. A fade-in counts from its first
//                frame. The baseline has no banner: its reference point is the load event.
//   longTasks    total duration of `longtask` entries that start before banner + 1 s (observed
//                from before the first script); read once the page's clock passed banner + 1 s.
//   heap         at banner + 1 s: CDP HeapProfiler.collectGarbage, then Runtime.getHeapUsage
//                usedSize + backingStorageSize (ArrayBuffers, external strings such as script
//                sources) + the byteLength of every WebAssembly.Memory (found with
//                Runtime.queryObjects: getHeapUsage leaves wasm linear memory out); the table
//                shows MB (10^6 bytes) over the baseline page's median.
//   cookies      names in the browser's cookie jar at banner + 1 s, before any click: shows who
//                lets the unmarked _ga through (only keksdose blocks it; the peers govern only
//                what is marked up or wired to their callbacks).
//   acceptToScript  the tool's "accept all" clicked with Playwright; from the click event's
//                timeStamp (capture listener of the init script) until analytics.js ran.
//   transfer     static: gzip -9 of the tool's own JS + CSS (tarteaucitron: with the services,
//                German language and CSS files it fetches itself); measured: sum of
//                encodedBodySize of those files in resource timing (unthrottled loads).
// Profiles (CDP, set before navigation): unthrottled; cpu4 = Emulation.setCPUThrottlingRate 4;
// phone = cpu4 + Network.emulateNetworkConditions (150 ms latency, 1.6 Mbit/s down, 750 kbit/s up).
// One interleaved run: for each profile, for each round, every tool once, in an order rotated each
// round; medians per tool and profile. A load whose banner is not visible within 30 s counts as
// failed, with the reason, in the table and in peers.json.
//
// What the peers cannot do (and the table shows): vanilla-cookieconsent 3 has no iframe manager
// (that is the separate iframemanager project), so its frame never loads; Osano cookieconsent
// neither blocks scripts nor frames — it shows the banner and stores the choice, and the page's own
// callbacks insert the script and load the frame; tarteaucitron and Osano run their own code only
// after the window's load event. None of the peers stops code that was not marked up (the _ga
// cookie); that is keksdose's enforcement. vanilla-cookieconsent runs with `hideFromBots: false`:
// by default it stays hidden when navigator.webdriver is set, as it is under Playwright.
//
// Output: DIR/peers.json (machine, Chromium version, date, every sample, medians) and
// DIR/peers.md (also printed to stdout); DIR defaults to tests/e2e/bench/results/.
import { createServer } from "node:http";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { launch } from "../harness.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..", "..");
const PEERS = join(HERE, "peers");
const PAGES = join(PEERS, "pages");
const MODULES = join(PEERS, "node_modules");

// ---------------------------------------------------------------------------------------------
// Options

const PROFILES = {
  unthrottled: {},
  cpu4: { cpu: 4 },
  phone: {
    cpu: 4,
    network: { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 },
  },
};

function parseArgs(argv) {
  const options = {
    rounds: 15,
    profiles: Object.keys(PROFILES),
    out: join(HERE, "results"),
    tools: null,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--rounds") options.rounds = Number(value());
    else if (flag === "--profiles") options.profiles = value().split(",").filter(Boolean);
    else if (flag === "--out") options.out = resolve(value());
    else if (flag === "--tools") options.tools = value().split(",").filter(Boolean);
    else if (flag === "--verbose") options.verbose = true;
    else if (flag === "--render") options.render = resolve(value());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error("--rounds must be a positive integer");
  for (const name of options.profiles) if (!PROFILES[name]) throw new Error(`unknown profile ${name}`);
  return options;
}

// ---------------------------------------------------------------------------------------------
// The tools. `files` are the tool's own JS + CSS as the page fetches them (the page load column);
// `config` the site's config files for it; `prefixes` the URL paths that count as the tool's own
// in resource timing. `head`, `frame`, `preferences` and `end` are its parts of the one page
// (pages/page.html): what goes into <head>, the attributes that mark the frame, those of the link
// that reopens its preferences, and what goes at the end of <body>.

const version = (pkg) => JSON.parse(readFileSync(join(MODULES, pkg, "package.json"), "utf8")).version;

/** The page's unmarked first-party cookie write, right after the tool. */
const GA = `<script>document.cookie = "_ga=GA1.1.1; path=/";</script>`;
/** The analytics script as keksdose's markup marks it. */
const KEKSDOSE_ANALYTICS = `<script type="text/plain" data-category="analytics" data-service="matomo" data-src="http://stats.bench.test:__PORT__/analytics.js"></script>`;
/** keksdose's config inline: the same as pages/keksdose-bench.json. */
const keksdoseConfig = () =>
  `<script type="application/json" id="keksdose-config">${readFileSync(join(PAGES, "keksdose-bench.json"), "utf8")}</script>`;
const KEKSDOSE = {
  banner: ".kd-banner",
  accept: '.kd-banner [data-keksdose-action="accept-all"]',
  frame: 'data-category="media" data-service="video"',
  preferences: 'href="#" data-keksdose="preferences"',
  end: "",
  prefixes: ["/keksdose/"],
};

function tools() {
  return [
    {
      id: "baseline",
      label: "baseline (no tool)",
      files: [],
      config: [],
      prefixes: [],
      head: `${GA}\n<script type="text/plain" data-src="http://stats.bench.test:__PORT__/analytics.js"></script>`,
      frame: "",
      preferences: 'href="#"',
      end: "",
    },
    {
      ...KEKSDOSE,
      id: "keksdose",
      label: "keksdose",
      files: ["/keksdose/keksdose.js", "/keksdose/keksdose.css"],
      config: [],
      head: () =>
        `${keksdoseConfig()}\n<script src="/keksdose/keksdose.js" data-config="#keksdose-config"></script>\n${GA}\n${KEKSDOSE_ANALYTICS}`,
    },
    {
      ...KEKSDOSE,
      id: "keksdose-quiet",
      label: "keksdose (no early write)",
      files: ["/keksdose/keksdose.js", "/keksdose/keksdose.css"],
      config: [],
      head: () => `${keksdoseConfig()}\n<script src="/keksdose/keksdose.js" data-config="#keksdose-config"></script>\n${KEKSDOSE_ANALYTICS}`,
    },
    {
      ...KEKSDOSE,
      id: "keksdose-inline",
      label: "keksdose (inline start)",
      // The inline start stands in the page; counted here with what it loads.
      files: [
        "/keksdose/keksdose-start.js",
        "/keksdose/keksdose_web.js",
        "/keksdose/keksdose_web_bg.wasm",
        "/keksdose/keksdose.css",
      ],
      config: [],
      head: () => {
        const start = readFileSync(join(ROOT, "pkg", "keksdose-start.js"), "utf8");
        return `${keksdoseConfig()}\n<script data-config="#keksdose-config">${start}</script>\n${GA}\n${KEKSDOSE_ANALYTICS}`;
      },
    },
    {
      ...KEKSDOSE,
      id: "keksdose-url",
      label: "keksdose (config URL)",
      files: ["/keksdose/keksdose.js", "/keksdose/keksdose.css"],
      config: ["/keksdose-bench.json"],
      head: `<script src="/keksdose/keksdose.js" data-config="/keksdose-bench.json"></script>\n${GA}\n${KEKSDOSE_ANALYTICS}`,
    },
    {
      id: "vanilla",
      label: `vanilla-cookieconsent ${version("vanilla-cookieconsent")}`,
      banner: "#cc-main .cm",
      accept: '#cc-main .cm [data-role="all"]',
      files: ["/vendor/vanilla-cookieconsent/cookieconsent.umd.js", "/vendor/vanilla-cookieconsent/cookieconsent.css"],
      config: ["/vanilla-config.js"],
      prefixes: ["/vendor/vanilla-cookieconsent/"],
      head:
        `<link rel="stylesheet" href="/vendor/vanilla-cookieconsent/cookieconsent.css">\n` +
        `<script type="text/plain" data-category="analytics" data-src="http://stats.bench.test:__PORT__/analytics.js"></script>`,
      // v3 has no iframe manager (that is the separate iframemanager project): the frame never loads.
      frame: 'data-category="media"',
      preferences: 'href="#" data-cc="show-preferencesModal"',
      end: `<script type="module" src="/vanilla-config.js"></script>\n${GA}`,
    },
    {
      id: "klaro",
      label: `Klaro ${version("klaro")}`,
      banner: ".klaro .cookie-notice",
      accept: ".klaro .cookie-notice .cm-btn-success", // "Das ist ok": accepts all with acceptAll: true
      files: ["/vendor/klaro/klaro.js"], // with its CSS and translations, as the README recommends
      config: ["/klaro-config.js"],
      prefixes: ["/vendor/klaro/"],
      head:
        `<script defer src="/klaro-config.js"></script>\n<script defer src="/vendor/klaro/klaro.js"></script>\n${GA}\n` +
        `<script type="text/plain" data-type="text/javascript" data-name="matomo" data-src="http://stats.bench.test:__PORT__/analytics.js"></script>`,
      frame: 'data-name="video"',
      preferences: 'href="#" onclick="return klaro.show();"',
      end: "",
    },
    {
      id: "tarteaucitron",
      label: `tarteaucitron ${version("tarteaucitronjs")}`,
      banner: "#tarteaucitronAlertBig",
      accept: "#tarteaucitronPersonalize2",
      files: [
        "/vendor/tarteaucitron/tarteaucitron.min.js",
        "/vendor/tarteaucitron/tarteaucitron.services.min.js",
        "/vendor/tarteaucitron/lang/tarteaucitron.de.min.js",
        "/vendor/tarteaucitron/css/tarteaucitron.min.css",
      ],
      config: ["/tarteaucitron-config.js"],
      prefixes: ["/vendor/tarteaucitron/"],
      head: `<script src="/vendor/tarteaucitron/tarteaucitron.min.js"></script>\n<script src="/tarteaucitron-config.js"></script>\n${GA}`,
      // The service "benchvideo" sets src from data-src after consent.
      frame: 'class="bench-video"',
      preferences: 'href="#tarteaucitron"',
      end: "",
    },
    {
      id: "osano",
      label: `Osano cookieconsent ${version("cookieconsent")}`,
      banner: ".cc-window",
      accept: ".cc-window .cc-allow",
      files: ["/vendor/cookieconsent/cookieconsent.min.js", "/vendor/cookieconsent/cookieconsent.min.css"],
      config: ["/osano-config.js"],
      prefixes: ["/vendor/cookieconsent/"],
      head:
        `<link rel="stylesheet" href="/vendor/cookieconsent/cookieconsent.min.css">\n` +
        `<script src="/vendor/cookieconsent/cookieconsent.min.js"></script>\n<script src="/osano-config.js"></script>\n${GA}`,
      // Osano blocks no frame: osano-config.js sets src from data-src after consent.
      frame: 'class="bench-video"',
      preferences: 'href="#" class="bench-preferences"',
      end: "",
    },
  ].map((tool) => ({ ...tool, page: `/${tool.id}.html` }));
}

/** The page of `tool`: pages/page.html with the tool's parts, for the server's `port`. */
function composePage(tool, port) {
  const part = (value) => (typeof value === "function" ? value() : value);
  return readFileSync(join(PAGES, "page.html"), "utf8")
    .replace("__TOOL__", () => tool.label)
    .replace("__HEAD__", () => part(tool.head))
    .replace("__FRAME__", () => tool.frame)
    .replace("__PREFERENCES__", () => tool.preferences)
    .replace("__END__", () => tool.end)
    .replaceAll("__PORT__", String(port));
}

const PEER_IDS = ["vanilla", "klaro", "tarteaucitron", "osano"];

const NOTES = {
  baseline: "the same page without a consent tool: nothing blocked",
  keksdose:
    "config inline (`<script type=\"application/json\">`); the unmarked `_ga` write right after the tag starts keksdose at once, which blocks it",
  "keksdose-quiet":
    "as keksdose, without the unmarked `_ga` write (which costs the other tools nothing): no page script needs keksdose before the first paint, so it starts after it",
  "keksdose-inline":
    "pkg/keksdose-start.js inline in <head>: nothing blocks the page; module, wasm, CSS and config load in parallel; writes held until keksdose decides",
  "keksdose-url":
    "config from `/keksdose-bench.json`, fetched without blocking; the `_ga` write right after the tag needs keksdose before it arrived, so it is read synchronously then",
  vanilla: "no iframe manager in v3: the frame never loads; `hideFromBots: false` (Playwright sets navigator.webdriver)",
  klaro: "klaro.js with CSS and translations; both scripts `defer`",
  tarteaucitron: "starts on window load; fetches its service catalogue (244 services), German texts and CSS itself",
  osano: "starts on window load; blocks nothing itself: the page's callbacks insert the script and load the frame",
};

// ---------------------------------------------------------------------------------------------
// The server

const MOUNTS = [
  ["/keksdose/", join(ROOT, "pkg")],
  ["/vendor/vanilla-cookieconsent/", join(MODULES, "vanilla-cookieconsent", "dist")],
  ["/vendor/klaro/", join(MODULES, "klaro", "dist")],
  ["/vendor/tarteaucitron/", join(MODULES, "tarteaucitronjs")],
  ["/vendor/cookieconsent/", join(MODULES, "cookieconsent", "build")],
  ["/", PAGES],
];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
};
// Compressed: text and wasm (as a server configured for keksdose sends it; see the README).
const TEXT = new Set([".html", ".js", ".mjs", ".css", ".json", ".svg", ".wasm"]);

/** The file a URL path names, or null (outside every mount, or not a file). */
function fileFor(path) {
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, "." + path.slice(prefix.length - 1));
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return existsSync(file) && statSync(file).isFile() ? file : null;
  }
  return null;
}

/** A tool's page (`page:/<id>.html`, composed) or a file, for a URL path; null when neither. */
let servedFile = fileFor;

/**
 * An HTTP server for the bench; assets are read and compressed once and kept in memory. The
 * tools' pages are composed from pages/page.html.
 */
async function startServer({ verbose }, toolList) {
  const assets = new Map();
  const hosts = {};
  const missing = [];
  let port = 0;
  const asset = (file) => {
    let entry = assets.get(file);
    if (!entry) {
      const ext = extname(file.replace(/^page:/, ""));
      const tool = toolList.find((t) => file === `page:${t.page}`);
      let body = tool ? Buffer.from(composePage(tool, port)) : readFileSync(file);
      if (!tool && file.startsWith(PAGES + sep)) body = Buffer.from(body.toString("utf8").replaceAll("__PORT__", String(port)));
      entry = {
        type: TYPES[ext] ?? "application/octet-stream",
        body,
        gzip: TEXT.has(ext) ? gzipSync(body, { level: 9 }) : null,
      };
      assets.set(file, entry);
    }
    return entry;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://bench");
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    hosts[host] = (hosts[host] ?? 0) + 1;
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = "";
    }
    if (path === "/") path = "/baseline.html";
    const file = path && servedFile(path);
    if (verbose) console.error(`  ${req.method} http://${req.headers.host}${req.url}${file ? "" : " -> 404"}`);
    if (!file) {
      if (path !== "/favicon.ico") missing.push(`${host}${path}`);
      res.writeHead(404, { "Content-Type": "text/plain", "Cache-Control": "no-store" });
      res.end("not found");
      return;
    }
    const entry = asset(file);
    const gzip = entry.gzip && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
    const body = gzip ? entry.gzip : entry.body;
    const headers = { "Content-Type": entry.type, "Content-Length": body.length, "Cache-Control": "no-store" };
    if (entry.gzip) headers.Vary = "Accept-Encoding";
    if (gzip) headers["Content-Encoding"] = "gzip";
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  servedFile = (path) => (toolList.some((t) => t.page === path) ? `page:${path}` : fileFor(path));
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  port = server.address().port;
  return {
    port,
    hosts,
    missing,
    /** Reads and compresses `paths` now, so that no measured load waits for it. */
    warm(paths) {
      for (const path of paths) {
        const file = servedFile(path);
        if (!file) throw new Error(`nothing to serve for ${path}`);
        asset(file);
      }
    },
    /** gzip -9 bytes of what is served for `path`. */
    gzipSize(path) {
      const entry = asset(servedFile(path));
      return entry.gzip ? entry.gzip.length : entry.body.length;
    },
    stop: () => new Promise((ok) => server.close(ok)),
  };
}

// ---------------------------------------------------------------------------------------------
// Chromium and one cold load

/** Headless Chromium as the tests start it, with the bench's fake hosts. */
const launchBrowser = () => launch(["--host-resolver-rules=MAP *.bench.test 127.0.0.1"]);

/** Runs in every document before its first script (top frame only). */
function probe({ banner }) {
  if (window !== window.top) return;
  const bench = (window.__bench = { banner: null, click: null, longTasks: [] });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    bench.longTasks = null;
  }
  addEventListener(
    "click",
    (event) => {
      if (bench.click === null) bench.click = event.timeStamp;
    },
    true,
  );
  if (!banner) return;
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    if (!(box.width > 0 && box.height > 0)) return false;
    // visibility is inherited: the element's computed value already accounts for its ancestors.
    if (getComputedStyle(element).visibility !== "visible") return false;
    for (let node = element; node instanceof Element; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || !(Number(style.opacity) > 0)) return false;
    }
    return true;
  };
  const poll = () => {
    const element = document.querySelector(banner);
    if (element && visible(element)) bench.banner = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}

/**
 * Bytes of every WebAssembly.Memory in the page's main world. Runtime.getHeapUsage leaves wasm
 * linear memory out (its backingStorageSize counts ArrayBuffers and external strings, such as
 * script sources), so the memories are found on the heap (Runtime.queryObjects) and added.
 */
async function wasmMemory(cdp) {
  const group = "bench-wasm";
  try {
    const { result: proto } = await cdp.send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", objectGroup: group });
    const { objects } = await cdp.send("Runtime.queryObjects", { prototypeObjectId: proto.objectId, objectGroup: group });
    const { result } = await cdp.send("Runtime.callFunctionOn", {
      objectId: objects.objectId,
      functionDeclaration: "function () { return this.reduce((sum, memory) => sum + memory.buffer.byteLength, 0); }",
      returnByValue: true,
    });
    return result.value;
  } finally {
    await cdp.send("Runtime.releaseObjectGroup", { objectGroup: group }).catch(() => {});
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Polls `expression` in the page (a plain Runtime.evaluate, no injected helpers) until truthy. */
async function until(page, expression, arg, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(expression, arg);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) return null;
    await sleep(20);
  }
}

const TIMEOUT = 30_000;

async function coldLoad(browser, server, tool, profileName) {
  const profile = PROFILES[profileName];
  const sample = { tool: tool.id, profile: profileName, ok: false };
  const context = await browser.newContext({ locale: "de-DE", viewport: { width: 1280, height: 800 } });
  const errors = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    await page.addInitScript(probe, { banner: tool.banner ?? null });
    const cdp = await context.newCDPSession(page);
    if (profile.cpu) await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
    if (profile.network) {
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", profile.network);
    }
    await page.goto(`http://127.0.0.1:${server.port}${tool.page}`, { waitUntil: "commit", timeout: TIMEOUT });

    // The reference point: the banner's first visible frame, or the baseline's load event.
    let t0;
    if (tool.banner) {
      t0 = await until(page, () => window.__bench && window.__bench.banner, null, TIMEOUT);
      if (t0 === null) {
        const state = await page.evaluate((sel) => ({
          readyState: document.readyState,
          exists: !!document.querySelector(sel),
        }), tool.banner).catch(() => ({}));
        throw Object.assign(new Error(
          `banner not visible within ${TIMEOUT / 1000} s (document ${state.readyState}, element ${state.exists ? "present" : "absent"})`,
        ), { stage: "banner" });
      }
      sample.banner = t0;
    } else {
      t0 = await until(page, () => performance.getEntriesByType("navigation")[0]?.loadEventEnd || null, null, TIMEOUT);
      if (t0 === null) throw Object.assign(new Error("load event not within 30 s"), { stage: "load" });
    }
    sample.reference = t0;
    await until(page, (t) => performance.now() > t + 1000, t0, TIMEOUT);

    const page0 = await page.evaluate(
      ({ t, prefixes, config }) => {
        const nav = performance.getEntriesByType("navigation")[0];
        const fcp = performance.getEntriesByName("first-contentful-paint")[0];
        const resources = performance.getEntriesByType("resource").map((entry) => ({
          url: entry.name,
          path: new URL(entry.name).pathname,
          host: new URL(entry.name).hostname,
          encoded: entry.encodedBodySize,
          start: entry.startTime,
          end: entry.responseEnd,
        }));
        const own = resources.filter((r) => r.host === location.hostname && prefixes.some((p) => r.path.startsWith(p)));
        const conf = resources.filter((r) => r.host === location.hostname && config.includes(r.path));
        const tasks = window.__bench.longTasks;
        return {
          fcp: fcp ? fcp.startTime : null,
          domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
          load: nav ? nav.loadEventEnd || null : null,
          longTasks: tasks ? tasks.filter(([start]) => start < t + 1000).reduce((sum, [, d]) => sum + d, 0) : null,
          longTaskCount: tasks ? tasks.filter(([start]) => start < t + 1000).length : null,
          toolBytes: own.reduce((sum, r) => sum + r.encoded, 0),
          toolFiles: own.map((r) => `${r.path} ${r.encoded}`),
          configBytes: conf.reduce((sum, r) => sum + r.encoded, 0),
          earlyThirdParty: resources.filter((r) => r.host.endsWith(".bench.test")).map((r) => r.url),
          activatedBeforeClick: window.__activated !== undefined,
        };
      },
      { t: t0, prefixes: tool.prefixes, config: tool.config },
    );
    Object.assign(sample, page0);
    sample.cookiesBeforeConsent = (await context.cookies()).map((cookie) => cookie.name).sort();

    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await cdp.send("Runtime.getHeapUsage");
    sample.heapUsed = heap.usedSize;
    sample.heapBacking = heap.backingStorageSize ?? null;
    sample.wasmMemory = await wasmMemory(cdp);
    sample.heap = heap.usedSize + (heap.backingStorageSize ?? 0) + sample.wasmMemory;
    sample.ok = true; // the load itself succeeded; accepting is recorded on its own

    if (tool.accept) {
      try {
        await page.click(tool.accept, { timeout: TIMEOUT });
        const activated = await until(page, () => window.__activated ?? null, null, TIMEOUT);
        const click = await page.evaluate(() => window.__bench.click);
        if (activated === null) throw new Error(`analytics.js did not run within ${TIMEOUT / 1000} s of the click`);
        if (click === null) throw new Error("no click event recorded");
        sample.acceptToScript = activated - click;
        sample.frameLoaded = await page.evaluate(
          () => [...document.querySelectorAll("iframe")].some((f) => (f.getAttribute("src") ?? "").includes("video.bench.test")),
        );
        sample.cookiesAfterConsent = (await context.cookies()).map((cookie) => cookie.name).sort();
      } catch (error) {
        sample.acceptError = String(error.message ?? error).split("\n")[0];
      }
    }
  } catch (error) {
    sample.error = String(error.message ?? error).split("\n")[0];
    sample.stage = error.stage ?? "load";
  } finally {
    if (errors.length) sample.pageErrors = errors.slice(0, 5);
    await context.close().catch(() => {});
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Statistics and output

const median = (values) => {
  const sorted = values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function summarize(samples, toolList, profiles) {
  const medians = {};
  for (const profile of profiles) {
    medians[profile] = {};
    for (const tool of toolList) {
      const mine = samples.filter((s) => s.profile === profile && s.tool === tool.id);
      const ok = mine.filter((s) => s.ok);
      const cookieSets = new Map();
      for (const s of ok) {
        const key = s.cookiesBeforeConsent.join(" ");
        cookieSets.set(key, (cookieSets.get(key) ?? 0) + 1);
      }
      medians[profile][tool.id] = {
        loads: mine.length,
        failed: mine.length - ok.length,
        failures: [...new Set(mine.filter((s) => !s.ok).map((s) => s.error))],
        acceptFailed: ok.filter((s) => tool.accept && s.acceptToScript === undefined).length,
        acceptFailures: [...new Set(ok.filter((s) => s.acceptError).map((s) => s.acceptError))],
        fcp: median(ok.map((s) => s.fcp)),
        banner: median(ok.map((s) => s.banner)),
        longTasks: median(ok.map((s) => s.longTasks)),
        heap: median(ok.map((s) => s.heap)),
        acceptToScript: median(ok.map((s) => s.acceptToScript)),
        toolBytes: median(ok.map((s) => s.toolBytes)),
        frameLoaded: ok.filter((s) => s.frameLoaded).length,
        // Loads where analytics.js ran, or a *.bench.test request went out, before the click.
        leakedBeforeConsent: ok.filter((s) => s.activatedBeforeClick || s.earlyThirdParty.length).length,
        cookiesBeforeConsent: [...cookieSets.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ names: k, loads: n })),
      };
    }
  }
  return medians;
}

const fmt = (value, digits = 0) => (value === null || value === undefined ? "–" : value.toFixed(digits));
const ratio = (a, b) => (a === null || b === null || b === 0 ? null : a / b);
const showRatio = (r) => (r === null ? "n/a" : `${r.toFixed(2)}×`);

function markdown({ meta, toolList, medians, staticSizes, rounds, profiles }) {
  const lines = [];
  lines.push("# keksdose and open-source peers: cold page loads");
  lines.push("");
  lines.push(
    `${meta.date} · ${meta.machine.cpu}, ${meta.machine.cores} cores, ${(meta.machine.memory / 2 ** 30).toFixed(1)} GiB · ` +
      `headless Chromium ${meta.chromium} · ${rounds} round${rounds === 1 ? "" : "s"} per profile, one interleaved run, medians · ` +
      `KB = 1000 bytes, MB = 10^6 bytes`,
  );
  for (const profile of profiles) {
    const m = medians[profile];
    const base = m.baseline ?? {};
    lines.push("");
    lines.push(`## ${profile}${profile === "cpu4" ? " (CPU 4× slower)" : profile === "phone" ? " (CPU 4× slower, 150 ms RTT, 1.6 Mbit/s down)" : ""}`);
    lines.push("");
    lines.push("| tool | page load gzip KB | FCP ms (+ baseline) | banner visible ms | long tasks ms | heap MB over baseline | accept → script ms | cookies before consent |");
    lines.push("|---|--:|--:|--:|--:|--:|--:|---|");
    for (const tool of toolList) {
      const r = m[tool.id];
      if (!r) continue;
      const failed = r.failed ? ` (${r.failed}/${r.loads} failed)` : "";
      const fcp = r.fcp === null ? "–" : tool.id === "baseline" ? fmt(r.fcp) : `${fmt(r.fcp)} (${r.fcp - base.fcp >= 0 ? "+" : ""}${fmt(r.fcp - base.fcp)})`;
      const heap =
        tool.id === "baseline"
          ? `0 (= ${fmt(r.heap / 1e6, 2)})`
          : r.heap === null || base.heap === null
            ? "–"
            : `${r.heap - base.heap >= 0 ? "+" : ""}${fmt((r.heap - base.heap) / 1e6, 2)}`;
      const accept = !tool.accept ? "–" : r.acceptFailed ? `${fmt(r.acceptToScript)} (${r.acceptFailed} failed)` : fmt(r.acceptToScript);
      const cookies = r.cookiesBeforeConsent.map((c) => (c.names || "none") + (r.cookiesBeforeConsent.length > 1 ? ` (${c.loads}×)` : "")).join("; ");
      lines.push(
        `| ${tool.label}${failed} | ${tool.id === "baseline" ? "0" : fmt(staticSizes[tool.id].files / 1000, 1)} | ${fcp} | ` +
          `${tool.banner ? fmt(r.banner) : "–"} | ${fmt(r.longTasks)} | ${heap} | ${accept} | ${cookies || "–"} |`,
      );
    }
    const peersWithBanner = PEER_IDS.filter((id) => m[id] && m[id].banner !== null);
    const fastest = peersWithBanner.sort((a, b) => m[a].banner - m[b].banner)[0];
    const parts = [];
    for (const id of ["keksdose", "keksdose-quiet", "keksdose-inline", "keksdose-url"]) {
      if (!m[id]) continue;
      const label = toolList.find((t) => t.id === id).label;
      const bits = [];
      if (fastest) bits.push(`banner ${showRatio(ratio(m[id].banner, m[fastest].banner))} the fastest peer (${toolList.find((t) => t.id === fastest).label})`);
      if (m.vanilla) {
        bits.push(`FCP ${showRatio(ratio(m[id].fcp, m.vanilla.fcp))} vanilla`);
        bits.push(
          m.vanilla.longTasks === 0
            ? `long tasks ${fmt(m[id].longTasks)} ms against vanilla's 0 ms`
            : `long tasks ${showRatio(ratio(m[id].longTasks, m.vanilla.longTasks))} vanilla`,
        );
      }
      if (bits.length) parts.push(`${label}: ${bits.join(", ")}`);
    }
    if (parts.length) {
      lines.push("");
      lines.push(`Ratios — ${parts.join(" · ")}.`);
    }
    const problems = [];
    for (const tool of toolList) {
      const r = m[tool.id];
      if (!r) continue;
      for (const f of r.failures) problems.push(`${tool.label}: ${r.failed} of ${r.loads} loads failed — ${f}`);
      for (const f of r.acceptFailures) problems.push(`${tool.label}: accepting failed — ${f}`);
      if (tool.id !== "baseline" && r.leakedBeforeConsent)
        problems.push(`${tool.label}: in ${r.leakedBeforeConsent} loads analytics.js ran or a *.bench.test request went out before consent`);
    }
    if (problems.length) {
      lines.push("");
      for (const p of problems) lines.push(`- ${p}`);
    }
  }

  lines.push("");
  lines.push("## Transfer: what the page loads for the banner (gzip -9)");
  lines.push("");
  lines.push("| tool | tool's JS + CSS KB | site config KB | HTML page KB | sent in unthrottled loads KB | files |");
  lines.push("|---|--:|--:|--:|--:|---|");
  for (const tool of toolList) {
    const s = staticSizes[tool.id];
    const sent = medians.unthrottled?.[tool.id]?.toolBytes;
    lines.push(
      `| ${tool.label} | ${fmt(s.files / 1000, 1)} | ${s.config ? fmt(s.config / 1000, 1) : tool.id.startsWith("keksdose") && !s.config ? "in page" : "–"} | ` +
        `${fmt(s.page / 1000, 1)} | ${sent === undefined || sent === null ? "–" : fmt(sent / 1000, 1)} | ` +
        `${s.perFile.map(([path, bytes]) => `${path.split("/").pop()} ${fmt(bytes / 1000, 1)}`).join(", ") || "–"} |`,
    );
  }
  lines.push("");
  lines.push("## Notes");
  lines.push("");
  for (const tool of toolList) lines.push(`- **${tool.label}**: ${NOTES[tool.id]}.`);
  lines.push(
    "- Frame loaded after accepting (loads with `video.bench.test` set as the frame's src): " +
      toolList
        .filter((t) => t.accept)
        .map((t) => {
          const counts = profiles.map((p) => medians[p][t.id]).filter(Boolean);
          const loaded = counts.reduce((sum, r) => sum + r.frameLoaded, 0);
          const total = counts.reduce((sum, r) => sum + r.loads - r.failed, 0);
          return `${t.label} ${loaded}/${total}`;
        })
        .join(", ") +
      ".",
  );
  const leaks = toolList.filter((t) => t.id !== "baseline" && profiles.some((p) => medians[p][t.id]?.leakedBeforeConsent));
  lines.push(
    leaks.length
      ? `- Before consent, analytics.js ran or a *.bench.test request went out with: ${leaks.map((t) => t.label).join(", ")} (see above).`
      : "- Before consent, no tool let analytics.js run or a request to *.bench.test go out, in any load.",
  );
  lines.push(
    "- banner: first animation frame with the banner element laid out, visible and opacity > 0 (a fade-in counts from its first frame); " +
      "long tasks: `longtask` entries starting before banner + 1 s; heap: used JS heap + ArrayBuffer and external-string backing stores + wasm linear memory after a forced GC at banner + 1 s; " +
      "accept → script: from the click event's timeStamp until analytics.js ran. The baseline's reference point is its load event.",
  );
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Main

const options = parseArgs(process.argv.slice(2));
// --render FILE: write peers.md again from a peers.json, without measuring.
if (options.render) {
  const run = JSON.parse(readFileSync(options.render, "utf8"));
  const toolList = run.tools;
  const profiles = Object.keys(run.profiles);
  const md = markdown({ meta: run, toolList, medians: run.medians, staticSizes: run.staticSizes, rounds: run.rounds, profiles });
  writeFileSync(join(dirname(options.render), "peers.md"), md);
  process.stdout.write(md);
  process.exit(0);
}
for (const pkg of ["vanilla-cookieconsent", "klaro", "tarteaucitronjs", "cookieconsent"]) {
  if (!existsSync(join(MODULES, pkg, "package.json"))) {
    console.error(`tests/e2e/bench/peers.mjs: ${pkg} is not installed; run (cd tests/e2e/bench/peers && npm ci --no-audit --no-fund)`);
    process.exit(1);
  }
}
let toolList = tools();
if (options.tools) {
  const wanted = new Set(["baseline", ...options.tools]);
  toolList = toolList.filter((t) => wanted.has(t.id));
}

const server = await startServer(options, toolList);
const allPaths = [
  ...readdirSync(PAGES).map((name) => `/${name}`),
  ...toolList.map((t) => t.page),
  ...toolList.flatMap((t) => [...t.files, ...t.config]),
  "/keksdose/keksdose.js",
  "/keksdose/keksdose.css",
];
server.warm(allPaths);
const staticSizes = {};
for (const tool of toolList) {
  const perFile = tool.files.map((path) => [path, server.gzipSize(path)]);
  staticSizes[tool.id] = {
    files: perFile.reduce((sum, [, bytes]) => sum + bytes, 0),
    perFile,
    config: tool.config.reduce((sum, path) => sum + server.gzipSize(path), 0),
    page: server.gzipSize(tool.page),
  };
}

const browser = await launchBrowser();
const chromiumVersion = browser.version();
const samples = [];
const started = Date.now();
const total = options.profiles.length * options.rounds * toolList.length;
try {
  let done = 0;
  for (const profile of options.profiles) {
    for (let round = 0; round < options.rounds; round++) {
      const shift = round % toolList.length;
      const order = [...toolList.slice(shift), ...toolList.slice(0, shift)];
      for (const tool of order) {
        const t = Date.now();
        const sample = await coldLoad(browser, server, tool, profile);
        sample.round = round + 1;
        sample.wall = Date.now() - t;
        samples.push(sample);
        done++;
        const what = sample.ok
          ? `fcp ${fmt(sample.fcp)} banner ${fmt(sample.banner)} lt ${fmt(sample.longTasks)} heap ${fmt(sample.heap / 1e6, 2)} accept ${sample.acceptError ? "FAILED: " + sample.acceptError : fmt(sample.acceptToScript)}`
          : `FAILED (${sample.stage}): ${sample.error}`;
        console.error(`[${profile} ${round + 1}/${options.rounds} ${done}/${total}] ${tool.id.padEnd(13)} ${what}`);
      }
    }
  }
} finally {
  await browser.close();
  await server.stop();
}

const meta = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, memory: os.totalmem(), platform: `${os.platform()} ${os.release()}` },
  chromium: chromiumVersion,
  node: process.version,
  rounds: options.rounds,
  profiles: Object.fromEntries(options.profiles.map((p) => [p, PROFILES[p]])),
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
const medians = summarize(samples, toolList, options.profiles);
const md = markdown({ meta, toolList, medians, staticSizes, rounds: options.rounds, profiles: options.profiles });
mkdirSync(options.out, { recursive: true });
writeFileSync(
  join(options.out, "peers.json"),
  JSON.stringify(
    {
      ...meta,
      tools: toolList.map(({ id, label, page, banner, accept, files, config }) => ({ id, label, page, banner, accept, files, config, note: NOTES[id] })),
      staticSizes,
      requestsByHost: server.hosts,
      notFound: [...new Set(server.missing)],
      medians,
      samples,
    },
    null,
    1,
  ) + "\n",
);
writeFileSync(join(options.out, "peers.md"), md);
process.stdout.write(md);
console.error(`${samples.length} loads in ${meta.wallSeconds} s; wrote ${join(options.out, "peers.json")} and peers.md`);
