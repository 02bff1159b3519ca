/*! keksdose — cookie consent that enforces "necessary only" until opt-in · EUPL-1.2 */
// The script-tag entry. The build puts wasm-bindgen's glue where `@glue` stands. From this
// script on, every write and load that needs a decision is held, and the WebAssembly module
// (`keksdose_web_bg.wasm`, beside this script) is fetched and compiled while the page loads.
// keksdose starts once the page has painted, or at once, synchronously, when a page script
// needs it first: by asking `window.keksdose`, or by a write that needs a
// decision, which is then decided before the write returns, or by using `dataLayer` (Google
// Consent Mode's default comes first). So the first paint waits for keksdose's start only when
// the page's own scripts do.
(() => {
  "use strict";
  /* @glue */
  /* @failClosed */
  /* @held */
  const tag = document.currentScript;
  const base = tag?.src;
  const source = tag?.dataset.config ?? "#keksdose-config";
  // The stylesheet (`data-css`, or keksdose.css beside this script), requested now.
  const src = tag?.getAttribute("src")?.split(/[?#]/)[0] ?? "";
  const css = tag?.dataset.css ?? (src.endsWith(".js") ? `${src.slice(0, -3)}.css` : "none");
  if (css !== "none") {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = css;
    tag.after(link);
  }
  const loadSeal = sealLoader((file) => new URL(file, base));
  // The module, fetched and compiled now. A start that a page script asks for before the download
  // is complete stops it and reads the module with a synchronous request instead: the two
  // downloads would otherwise share the line, and the start would wait for both.
  const wasmUrl = base && new URL("keksdose_web_bg.wasm", base);
  const download = new AbortController();
  const unloadable = (status) => new Error(`could not load ${wasmUrl}: ${status ? `HTTP status ${status}` : "the request failed"}`);
  let bytes;
  let module;
  let failure = wasmUrl ? undefined : new Error("keksdose.js must be loaded by a script tag with `src`: its module lies beside it");
  const loaded = failure
    ? undefined
    : fetch(wasmUrl, { signal: download.signal })
        .then((response) => (response.ok ? response.arrayBuffer() : Promise.reject(unloadable(response.status))))
        .then((buffer) => WebAssembly.compile((bytes = buffer)))
        .then(
          (compiled) => (module ??= compiled),
          (error) => started || (failure = error.name === "TypeError" ? unloadable(0) : error),
        );
  const compiled = () => {
    if (failure) throw failure;
    if (module) return module;
    download.abort();
    if (!bytes) {
      const request = new XMLHttpRequest();
      request.open("GET", wasmUrl, false);
      // Bytes as characters U+0000–U+00FF and U+F780–U+F7FF, which the array takes modulo 256.
      request.overrideMimeType("text/plain; charset=x-user-defined");
      try {
        request.send();
      } catch {
        throw unloadable(0);
      }
      if (request.status !== 200) throw unloadable(request.status);
      bytes = Uint8Array.from(request.responseText, (char) => char.charCodeAt(0));
    }
    return (module = new WebAssembly.Module(bytes));
  };
  let config;
  let started = false;
  let instance;
  // Google's tags read Consent Mode's default from `dataLayer`, which keksdose writes when it
  // starts: the page's first use of `dataLayer` starts keksdose before it. (A `dataLayer` the
  // page declared with `var` before this script cannot be watched; its tags come before anyway.)
  const layer = window.dataLayer;
  const watched = Reflect.defineProperty(window, "dataLayer", {
    get: () => (start(), window.dataLayer),
    set: (value) => (start(), (window.dataLayer = value)),
    configurable: true,
  });
  const unwatch = () => {
    if (watched && delete window.dataLayer && layer !== undefined) window.dataLayer = layer;
  };
  const start = () => {
    if (started) return instance;
    started = true;
    unwatch();
    try {
      config ??= readConfig(source, true);
      wasm_bindgen.initSync({ module: compiled() });
      instance = wasm_bindgen.startHeld(config[0], config[1], loadSeal, gtag);
    } catch (error) {
      giveUp(error);
    }
    delete window.keksdose;
    if (instance) window.keksdose = instance;
    return instance;
  };
  const giveUp = hold(start);
  Reflect.defineProperty(window, "keksdose", { get: start, configurable: true, enumerable: true });
  Promise.all([Promise.resolve(readConfig(source)).then((read) => (config ??= read)), loaded, painted()]).then(start);
})();
