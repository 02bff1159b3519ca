/*! keksdose — cookie consent that enforces "necessary only" until opt-in · EUPL-1.2 */
// The script-tag entry. The build puts wasm-bindgen's glue where `@glue` stands and the wasm
// module into `@wasm` (one character per byte), so that keksdose starts synchronously: the next
// script in the document already runs under its guard and can ask `window.keksdose`.
(() => {
  "use strict";
  /* @glue */
  const wasm = "@wasm";
  try {
    const bytes = new Uint8Array(wasm.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = wasm.charCodeAt(i);
    wasm_bindgen.initSync({ module: new WebAssembly.Module(bytes) });
    // The seal module, fetched only when a sealed form is submitted.
    const base = document.currentScript.src;
    const loadSeal = () =>
      import(new URL("keksdose_seal.js", base)).then((seal) =>
        seal.default({ module_or_path: new URL("keksdose_seal_bg.wasm", base) }).then(() => seal),
      );
    wasm_bindgen.startFromScriptTag(loadSeal, gtag);
  } catch (error) {
    console.error("keksdose: could not start; only technically necessary cookies and scripts run.", error);
    failClosed();
  }

  /* @failClosed */
})();
