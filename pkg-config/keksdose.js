/*! keksdose — cookie consent that enforces "necessary only" until opt-in · EUPL-1.2 */
// The script-tag entry. The build puts wasm-bindgen's glue where `@glue` stands and the wasm
// module into `@wasm` (one character per byte). From this script on, every write and load that
// needs a decision is held. keksdose starts once the page has painted, or at once, synchronously,
// when a page script needs it first: by asking `window.keksdose`, or by a write that needs a
// decision, which is then decided before the write returns, or by using `dataLayer` (Google
// Consent Mode's default comes first). So the first paint waits for keksdose's start only when
// the page's own scripts do.
(() => {
  "use strict";
  /* @glue */
  const wasm = "@wasm";
  /* @failClosed */
  /* @held */
  const tag = document.currentScript;
  const base = tag?.src;
  const source = tag?.dataset.config;
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
      const bytes = new Uint8Array(wasm.length);
      for (let i = 0; i < bytes.length; i++) bytes[i] = wasm.charCodeAt(i);
      wasm_bindgen.initSync({ module: new WebAssembly.Module(bytes) });
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
  Promise.all([Promise.resolve(readConfig(source)).then((read) => (config ??= read)), painted()]).then(start);
})();
