// The routes by which page code can write a cookie or a storage key, or make the browser load
// from another host, as probes a tag manager or an ad script might run; and a small site on
// loopback to run them in, with and without keksdose. Shared by guard-routes.test.mjs
// (Chromium) and engines.test.mjs (Firefox ESR, WebKitGTK): the Rust guard
// (src/web/guard.rs) and the JavaScript fallback (pkg-config/fail-closed.js) must stop every
// route that works in the engine.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

/**
 * Routes that load from another host: `probe(url)` runs in the page. `parks`: the element stays
 * in the document with its URL held, and consent loads it. `twice`: as for `WRITES`.
 */
export const LOADS = {
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
      // Without CORS a text track from another origin is refused before it is requested.
      const video = Object.assign(document.createElement("video"), { crossOrigin: "anonymous" });
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
export const WRITES = {
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

/**
 * The pages the probes run in, by mode: without keksdose (`plain`, where each route should
 * really load or write), keksdose's guards (the script tag), the JavaScript fallback (the script
 * tag with its module damaged, so that it cannot start), and the inline start, which holds what
 * page code does until keksdose has loaded and decided.
 */
export const MODES = {
  plain: "",
  guards: '<script src="/keksdose/keksdose.js" data-config="/keksdose.json"></script>',
  fallback: '<script src="/damaged/keksdose.js" data-config="/keksdose.json"></script>',
  "inline start": `<script data-config="/keksdose.json" data-keksdose="/keksdose/">${readFileSync(
    join(ROOT, "pkg", "keksdose-start.js"),
    "utf8",
  )}</script>`,
};

/** The probes as one script; each route's failure is kept in `window.routeErrors`. */
function probeScript(urlOf) {
  const calls = [
    ...Object.entries(LOADS).map(([name, { probe }]) => [name, `(${probe})(${JSON.stringify(urlOf(name))})`]),
    ...Object.entries(WRITES).map(([name, { probe }]) => [name, `(${probe})()`]),
  ];
  const each = calls.map(([name, call]) => {
    const key = JSON.stringify(name);
    return `try { Promise.resolve(${call}).catch((e) => (routeErrors[${key}] = String(e))); } catch (e) { routeErrors[${key}] = String(e); }`;
  });
  return `window.routeErrors = {};\n${each.join("\n")}\nwindow.probed = true;`;
}

/**
 * Serves the probe pages on loopback at `url` (http://localhost:PORT): `page(mode, visit)` is the
 * path of a page of that mode whose probes name `visit`. keksdose comes from pkg/, with the demo
 * config whose analytics service lists the host 127.0.0.1 — the other host, on this same
 * server, which notes each route that reaches it: `loaded(visit, route)`.
 */
export async function startRouteSite() {
  const config = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));
  config.categories.analytics.services.matomo.hosts = ["127.0.0.1"];
  const script = readFileSync(join(ROOT, "pkg", "keksdose.js"), "latin1");
  // The module is a string of one character per byte; its magic number is "\0asm".
  const damaged = script.replace('"\0asm', '"\0xsm');
  const reached = new Set();
  let port;
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://localhost");
    const send = (type, body) => response.writeHead(200, { "content-type": type }).end(body);
    if (request.headers.host === `127.0.0.1:${port}`) {
      reached.add(`${url.searchParams.get("visit")} ${url.searchParams.get("route")}`);
      return response.writeHead(204).end();
    }
    const visit = url.searchParams.get("visit");
    const mode = decodeURIComponent(url.pathname.slice("/routes/".length));
    if (url.pathname.startsWith("/routes/") && mode in MODES) {
      return send(
        "text/html; charset=utf-8",
        `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Routes</title>
<link rel="icon" href="data:,">${MODES[mode]}</head>
<body><main><h1>Routes</h1></main><script src="/probes.js?visit=${visit}"></script></body></html>`,
      );
    }
    if (url.pathname === "/probes.js") {
      const urlOf = (route) => `http://127.0.0.1:${port}/p.gif?visit=${visit}&route=${encodeURIComponent(route)}`;
      return send("text/javascript", probeScript(urlOf));
    }
    if (url.pathname === "/keksdose.json") return send("application/json", JSON.stringify(config));
    if (url.pathname === "/damaged/keksdose.js") return send("text/javascript", Buffer.from(damaged, "latin1"));
    if (url.pathname === "/favicon.svg") return send("image/svg+xml", readFileSync(join(ROOT, "www", "favicon.svg")));
    const file = url.pathname.match(/^\/keksdose\/([\w.-]+)$/)?.[1];
    const types = { js: "text/javascript", wasm: "application/wasm", css: "text/css" };
    try {
      if (file) return send(types[file.split(".").pop()] ?? "application/octet-stream", readFileSync(join(ROOT, "pkg", file)));
    } catch {
      // Not in the package: 404 below.
    }
    response.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = server.address().port;
  let visits = 0;
  return {
    url: `http://localhost:${port}`,
    /** A new visit of a page of `mode`: `{ visit, path }`. */
    page(mode) {
      const visit = ++visits;
      return { visit, path: `/routes/${encodeURIComponent(mode)}?visit=${visit}` };
    },
    loaded: (visit, route) => reached.has(`${visit} ${route}`),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * The routes of one visit that loaded from the other host or wrote, given the cookie jar
 * (`{ name: value }`) and the storage keys the page has.
 */
export function routesThatGotThrough(site, visit, cookies, keys) {
  const through = Object.keys(LOADS).filter((route) => site.loaded(visit, route));
  for (const [route, { cookie, key }] of Object.entries(WRITES)) {
    if (cookie ? cookie in cookies : keys.includes(key)) through.push(route);
  }
  return through;
}

/** The routes a page without keksdose must get through (a `twice` route needs a guard to). */
export const REAL_ROUTES = [...Object.entries(LOADS), ...Object.entries(WRITES)].filter(([, { twice }]) => !twice).map(([name]) => name);

/** Page code that lists the page's storage keys. */
export const storageKeys = () => [...Object.keys(localStorage), ...Object.keys(sessionStorage)];
