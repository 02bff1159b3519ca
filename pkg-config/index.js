// The npm entry: `import { init } from "keksdose"; const kd = await init(config);`
import { failClosed, gtag } from "./fail-closed.js";
import load, { start } from "./keksdose_web.js";

let loaded;

/** The seal module, fetched only when a sealed form is submitted. */
const loadSeal = () =>
  import("./keksdose_seal.js").then((seal) =>
    seal.default({ module_or_path: new URL("./keksdose_seal_bg.wasm", import.meta.url) }).then(() => seal),
  );

const couldNotStart = (error) => {
  console.error("keksdose: could not start; only technically necessary cookies and scripts run.", error);
  failClosed();
  throw error;
};

/**
 * Loads the wasm module (once) and starts keksdose with `config` (an object or JSON text).
 * Resolves to the running instance; rejects with a `ConfigError` that names every problem
 * with its dotted path (keksdose's guards then refuse everything that needs a decision). If the
 * module cannot load or start, the page stays "necessary only" (the fallback guards are
 * installed) and this and every later call reject.
 */
export async function init(config) {
  loaded ??= load({ module_or_path: new URL("./keksdose_web_bg.wasm", import.meta.url) }).catch(couldNotStart);
  await loaded;
  try {
    return start(typeof config === "string" ? config : JSON.stringify(config), loadSeal, gtag);
  } catch (error) {
    if (error?.name === "ConfigError") throw error;
    return couldNotStart(error);
  }
}
