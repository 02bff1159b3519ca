// Every route by which page code can write a cookie or a storage key, or make the browser load
// from another host, tried one by one the way a tag manager or an ad script might — against a page
// without keksdose (each route really writes or loads there), against keksdose's guards, against
// the JavaScript fallback that runs when the wasm module cannot start, and against the inline
// start, which holds what page code does until keksdose decides. The same probes for all of them:
// the Rust guard (src/web/guard.rs) and the fallback (pkg-config/fail-closed.js) must stop the
// same list. Checked in the browser's request log, cookie jar and storage.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, corruptWasm, demoSuite, errorText, jar, newPage, recordRequests, requestsTo } from "./harness.mjs";

const suite = demoSuite();

/** The analytics service's host in the demo config (www/keksdose.json): refused until consent. */
const STATS = "stats.localhost";

/**
 * Routes that load from another host: `probe(url)` runs in the page. `parks`: the element stays
 * in the document with its URL held, and consent loads it. `twice`: as for `WRITES`.
 */
const LOADS = {
  "img.src = an object whose text changes": {
    twice: true,
    probe: (url) => {
      let reads = 0;
      document.body.append(Object.assign(new Image(), { src: { toString: () => (reads++ === 0 ? "/favicon.svg" : url) } }));
    },
  },
  "img setAttribute with a name whose text changes": {
    twice: true,
    probe: (url) => {
      let reads = 0;
      const img = document.createElement("img");
      img.setAttribute({ toString: () => (reads++ === 0 ? "alt" : "src") }, url);
      document.body.append(img);
    },
  },
  "img setAttribute src with an object whose text changes": {
    twice: true,
    probe: (url) => {
      let reads = 0;
      const img = document.createElement("img");
      img.setAttribute("src", { toString: () => (reads++ === 0 ? "/favicon.svg" : url) });
      document.body.append(img);
    },
  },
  "img.src (property)": { parks: true, probe: (url) => document.body.append(Object.assign(new Image(), { src: url })) },
  "img.srcset (property)": {
    parks: true,
    probe: (url) => document.body.append(Object.assign(new Image(), { srcset: `${url} 1x`, alt: "probe" })),
  },
  "iframe.src (property)": {
    probe: (url) => {
      const iframe = document.createElement("iframe");
      iframe.src = url;
      document.body.append(iframe);
    },
  },
  "link setAttribute href (stylesheet)": {
    parks: true,
    probe: (url) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.setAttribute("href", url);
      document.head.append(link);
    },
  },
  "script setAttribute src": {
    parks: true,
    probe: (url) => {
      const script = document.createElement("script");
      script.setAttribute("src", url);
      document.head.append(script);
    },
  },
  "script setAttributeNS(null, src)": {
    parks: true,
    probe: (url) => {
      const script = document.createElement("script");
      script.setAttributeNS(null, "src", url);
      document.head.append(script);
    },
  },
  "SVG <script> setAttribute href": {
    parks: true,
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const script = document.createElementNS("http://www.w3.org/2000/svg", "script");
      script.setAttribute("href", url);
      svg.append(script);
      document.body.append(svg);
    },
  },
  "SVG <script> setAttributeNS xlink:href": {
    parks: true,
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const script = document.createElementNS("http://www.w3.org/2000/svg", "script");
      script.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:href", url);
      svg.append(script);
      document.body.append(svg);
    },
  },
  "SVG <script> href.baseVal": {
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const script = document.createElementNS("http://www.w3.org/2000/svg", "script");
      script.href.baseVal = url;
      svg.append(script);
      document.body.append(svg);
    },
  },
  "SVG <image> setAttribute href": {
    parks: true,
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const image = document.createElementNS("http://www.w3.org/2000/svg", "image");
      image.setAttribute("href", url);
      svg.append(image);
      document.body.append(svg);
    },
  },
  "SVG <image> setAttributeNode href": {
    parks: true,
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const image = document.createElementNS("http://www.w3.org/2000/svg", "image");
      const href = document.createAttribute("href");
      href.value = url;
      image.setAttributeNode(href);
      svg.append(image);
      document.body.append(svg);
    },
  },
  "SVG <image> href.baseVal": {
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      const image = document.createElementNS("http://www.w3.org/2000/svg", "image");
      image.href.baseVal = url;
      svg.append(image);
      document.body.append(svg);
    },
  },
  "img setAttributeNode src": {
    parks: true,
    probe: (url) => {
      const img = document.createElement("img");
      const src = document.createAttribute("src");
      src.value = url;
      img.setAttributeNode(src);
      document.body.append(img);
    },
  },
  "img attributes.setNamedItem src": {
    probe: (url) => {
      const img = document.createElement("img");
      const src = document.createAttribute("src");
      src.value = url;
      img.attributes.setNamedItem(src);
      document.body.append(img);
    },
  },
  "img src attribute node: value": {
    parks: true,
    probe: (url) => {
      const img = document.createElement("img");
      img.setAttribute("src", "/favicon.svg");
      document.body.append(img);
      img.getAttributeNode("src").value = url;
    },
  },
  "img src attribute node: nodeValue": {
    parks: true,
    probe: (url) => {
      const img = document.createElement("img");
      img.setAttribute("src", "/favicon.svg");
      document.body.append(img);
      img.getAttributeNode("src").nodeValue = url;
    },
  },
  "img src attribute node: textContent": {
    parks: true,
    probe: (url) => {
      const img = document.createElement("img");
      img.setAttribute("src", "/favicon.svg");
      document.body.append(img);
      img.getAttributeNode("src").textContent = url;
    },
  },
  "new Audio(url)": { probe: (url) => new Audio(url) },
  "audio.src (property)": {
    parks: true,
    probe: (url) => {
      const audio = document.createElement("audio");
      audio.preload = "auto";
      audio.src = url;
      document.body.append(audio);
    },
  },
  "video setAttributeNode poster": {
    parks: true,
    probe: (url) => {
      const video = document.createElement("video");
      const poster = document.createAttribute("poster");
      poster.value = url;
      video.setAttributeNode(poster);
      document.body.append(video);
    },
  },
  "video.poster (property)": {
    parks: true,
    probe: (url) => {
      const video = document.createElement("video");
      video.poster = url;
      document.body.append(video);
    },
  },
  "video.src (property)": {
    parks: true,
    probe: (url) => {
      const video = document.createElement("video");
      video.preload = "auto";
      video.src = url;
      document.body.append(video);
    },
  },
  "video <track> setAttribute src": {
    probe: (url) => {
      const video = document.createElement("video");
      const track = document.createElement("track");
      track.default = true;
      track.setAttribute("src", url);
      video.append(track);
      document.body.append(video);
    },
  },
  "SVG <feImage> setAttribute href": {
    parks: true,
    probe: (url) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.innerHTML = '<filter id="probe-filter"><feImage/></filter><rect width="10" height="10" filter="url(#probe-filter)"/>';
      svg.querySelector("feImage").setAttribute("href", url);
      document.body.append(svg);
    },
  },
  "video <source> setAttribute src": {
    parks: true,
    probe: (url) => {
      const video = document.createElement("video");
      video.preload = "auto";
      const source = document.createElement("source");
      source.setAttribute("src", url);
      video.append(source);
      document.body.append(video);
    },
  },
  "input type=image setAttributeNode src": {
    parks: true,
    probe: (url) => {
      const input = document.createElement("input");
      input.type = "image";
      input.alt = "probe";
      const src = document.createAttribute("src");
      src.value = url;
      input.setAttributeNode(src);
      document.body.append(input);
    },
  },
  "embed setAttributeNode src": {
    parks: true,
    probe: (url) => {
      const embed = document.createElement("embed");
      embed.type = "image/gif";
      const src = document.createAttribute("src");
      src.value = url;
      embed.setAttributeNode(src);
      document.body.append(embed);
    },
  },
  "object setAttributeNode data": {
    parks: true,
    probe: (url) => {
      const object = document.createElement("object");
      object.type = "image/gif";
      const data = document.createAttribute("data");
      data.value = url;
      object.setAttributeNode(data);
      document.body.append(object);
    },
  },
  "picture <source> setAttributeNode srcset": {
    parks: true,
    probe: (url) => {
      const picture = document.createElement("picture");
      const source = document.createElement("source");
      const srcset = document.createAttribute("srcset");
      srcset.value = url;
      source.setAttributeNode(srcset);
      picture.append(source, Object.assign(document.createElement("img"), { alt: "probe" }));
      document.body.append(picture);
    },
  },
  "link imageSrcset (preload)": {
    probe: (url) => {
      const link = document.createElement("link");
      link.rel = "preload";
      link.as = "image";
      link.imageSrcset = `${url} 1x`;
      document.head.append(link);
    },
  },
};

/**
 * Routes that write: `probe()` runs in the page; what it would write is `cookie` (a name) or
 * `key` (a localStorage or sessionStorage key). `twice`: the route needs a guard that reads the
 * page's value twice, so it cannot write without keksdose either (the guard must read once).
 */
const WRITES = {
  "document.cookie": { cookie: "_pk_plain", probe: () => (document.cookie = "_pk_plain=1; path=/") },
  "cookieStore.set(name, value) with a name object": {
    cookie: "_pk_tostring",
    probe: () => cookieStore.set({ name: "PHPSESSID", toString: () => "_pk_tostring" }, "1"),
  },
  "cookieStore.set(options) whose name getter changes": {
    cookie: "_pk_getter",
    twice: true,
    probe: () => {
      let reads = 0;
      return cookieStore.set({
        get name() {
          return reads++ === 0 ? "PHPSESSID" : "_pk_getter";
        },
        value: "1",
      });
    },
  },
  "cookieStore.set(name, value) whose name changes": {
    cookie: "_pk_twice",
    twice: true,
    probe: () => {
      let reads = 0;
      return cookieStore.set({ toString: () => (reads++ === 0 ? "PHPSESSID" : "_pk_twice") }, "1");
    },
  },
  "localStorage.setItem": { key: "matomo_item", probe: () => localStorage.setItem("matomo_item", "1") },
  "localStorage[key] =": { key: "matomo_property", probe: () => (localStorage.matomo_property = "1") },
  "Object.defineProperty(localStorage)": {
    key: "matomo_define",
    probe: () => Object.defineProperty(localStorage, "matomo_define", { value: "1" }),
  },
  "Reflect.defineProperty(sessionStorage)": {
    key: "matomo_reflect",
    probe: () => Reflect.defineProperty(sessionStorage, "matomo_reflect", { value: "1", configurable: true }),
  },
};

/** The probes as one script; each route's failure is kept in `window.routeErrors`. */
function probeScript(port) {
  const calls = [
    ...Object.entries(LOADS).map(([name, { probe }]) => [name, `(${probe})(${JSON.stringify(`http://${STATS}:${port}/third-party/pixel.gif?route=${encodeURIComponent(name)}`)})`]),
    ...Object.entries(WRITES).map(([name, { probe }]) => [name, `(${probe})()`]),
  ];
  return `window.routeErrors = {};
${calls
  .map(
    ([name, call]) => `try { Promise.resolve(${call}).catch((e) => (routeErrors[${JSON.stringify(name)}] = String(e))); } catch (e) { routeErrors[${JSON.stringify(name)}] = String(e); }`,
  )
  .join("\n")}
window.probed = true;`;
}

const START = readFileSync(join(ROOT, "pkg", "keksdose-start.js"), "utf8");
const HEADS = {
  plain: "",
  guards: '<script src="/keksdose/keksdose.js" data-config="/keksdose.json"></script>',
  fallback: '<script src="/keksdose/keksdose.js" data-config="/keksdose.json"></script>',
  "inline start": `<script data-config="/keksdose.json">${START}</script>`,
};

/** Opens the page of `mode` with the probes at the end of its body; waits until they ran. */
async function probe(mode) {
  const context = await suite.browser.newContext();
  const page = recordRequests(await newPage(context));
  const port = new URL(suite.server.url).port;
  await page.route("**/routes.html", (route) =>
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Routes</title>
<link rel="icon" href="data:,">${HEADS[mode]}</head>
<body><main><h1>Routes</h1></main><script src="/routes-probes.js"></script></body></html>`,
    }),
  );
  await page.route("**/routes-probes.js", (route) => route.fulfill({ contentType: "text/javascript", body: probeScript(port) }));
  if (mode === "fallback") await corruptWasm(page);
  await page.goto(`${suite.server.url}/routes.html`);
  await page.waitForFunction(() => window.probed);
  if (mode === "guards" || mode === "inline start") await page.waitForFunction(() => "keksdose" in window);
  // What the probes started (media loads, held writes being decided) has time to arrive.
  await page.waitForTimeout(1500);
  const cookies = await jar(context);
  const keys = await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]);
  const routeErrors = await page.evaluate(() => window.routeErrors);
  const loaded = (name) => requestsTo(page, STATS).some((url) => new URL(url).searchParams.get("route") === name);
  const wrote = ({ cookie, key }) => (cookie ? cookie in cookies : keys.includes(key));
  return { context, page, loaded, wrote, routeErrors };
}

test("without keksdose every route loads from the other host or writes (the probes are real)", async (t) => {
  const { context, loaded, wrote, routeErrors } = await probe("plain");
  for (const [name, { twice }] of Object.entries(LOADS)) {
    if (twice) continue;
    await t.test(name, () => assert.ok(loaded(name), `${name}: no request (${routeErrors[name] ?? "no error"})`));
  }
  for (const [name, write] of Object.entries(WRITES)) {
    if (write.twice) continue;
    await t.test(name, () => assert.ok(wrote(write), `${name}: nothing written (${routeErrors[name] ?? "no error"})`));
  }
  await context.close();
});

for (const [mode, label] of [
  ["guards", "keksdose's guards"],
  ["fallback", "the JavaScript fallback (the wasm module does not start)"],
  ["inline start", "the inline start, then keksdose deciding what it held"],
]) {
  test(`${label}: no route loads from a refused host or writes a refused name`, async (t) => {
    const { context, page, loaded, wrote } = await probe(mode);
    for (const name of Object.keys(LOADS)) await t.test(name, () => assert.ok(!loaded(name), `${name}: request reached ${STATS}`));
    for (const [name, write] of Object.entries(WRITES)) await t.test(name, () => assert.ok(!wrote(write), `${name}: written`));
    if (mode === "fallback") assert.match(errorText(page), /keksdose: could not start/);
    else assert.equal(errorText(page), "", "no console errors");
    await context.close();
  });
}

test("keksdose's guards: consent loads what they parked", async (t) => {
  const { context, page, loaded } = await probe("guards");
  await page.evaluate(() => window.keksdose.acceptCategory("analytics"));
  await page.waitForTimeout(1500);
  for (const [name, { parks }] of Object.entries(LOADS)) {
    if (parks) await t.test(name, () => assert.ok(loaded(name), `${name}: not loaded after consent`));
  }
  await context.close();
});
