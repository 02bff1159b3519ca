/*! keksdose — cookie consent that enforces "necessary only" until opt-in · EUPL-1.2 */
// The script-tag entry. The build puts wasm-bindgen's glue where `@glue` stands and the wasm
// module into `@wasm`, so that keksdose starts synchronously: the next script in the document
// already runs under its guard and can ask `window.keksdose`. The module is hex-encoded: it
// costs 7% over the binary under brotli, where base64 costs a third.
(() => {
  "use strict";
  /* @glue */
  const wasm = "@wasm";
  try {
    let bytes;
    if (Uint8Array.fromHex) {
      bytes = Uint8Array.fromHex(wasm);
    } else {
      bytes = new Uint8Array(wasm.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(wasm.substr(2 * i, 2), 16);
    }
    wasm_bindgen.initSync({ module: new WebAssembly.Module(bytes) });
    // The seal module, fetched only when a sealed form is submitted.
    const base = document.currentScript.src;
    const loadSeal = () =>
      import(new URL("keksdose_seal.js", base)).then((seal) =>
        seal.default({ module_or_path: new URL("keksdose_seal_bg.wasm", base) }).then(() => seal),
      );
    wasm_bindgen.startFromScriptTag(loadSeal);
  } catch (error) {
    console.error("keksdose: could not start; only technically necessary cookies and scripts run.", error);
    failClosed();
  }

  /* @failClosed */
})();
