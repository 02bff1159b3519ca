// Shared by the two entries that hold the page's writes until keksdose starts, the script tag
// (`keksdose.js`) and the inline start (`keksdose-start.js`); the build inlines it into both,
// after fail-closed.js.

/**
 * Holds every write and load that needs a decision (see `stopWrites`) for keksdose, which takes
 * them over when it starts (`window.__keksdoseStart`): it removes these guards and decides what
 * was held, in order. Sealed forms are refused, not held: nothing may post them but keksdose.
 * `onHeld()` runs after each stopped write. Returns `giveUp(error)` for when keksdose cannot
 * start: it says why on the console; nothing held is ever written, and later writes are refused
 * as by the fallback.
 */
function hold(onHeld) {
  const held = [];
  let refuse;
  const restore = stopWrites((target, name, args, isMethod) => {
    if (refuse) return refuse();
    if (name !== "submit") held.push([target, name, args, isMethod]);
    onHeld?.();
  });
  window.__keksdoseStart = { held, restore };
  return (error) => {
    held.length = 0;
    refuse = refusal();
    console.error("keksdose: could not start; only technically necessary cookies and scripts run.", error);
  };
}

/**
 * Loads the seal module, which lies beside the entry (`url(file)`): called only when a sealed form
 * is submitted.
 */
function sealLoader(url) {
  return () => import(url("keksdose_seal.js")).then((seal) => seal.default({ module_or_path: url("keksdose_seal_bg.wasm") }).then(() => seal));
}

/**
 * The config named by `source` (an entry's `data-config`; without one, `#keksdose-config`): `#id`
 * of a JSON script element placed before the entry, read at once, or a URL, fetched (with `now`,
 * synchronously). Gives `[text]`, or `[undefined, problem]` when it cannot be read: an array, or
 * for a fetch a promise of one.
 */
function readConfig(source = "#keksdose-config", now) {
  if (source[0] === "#") {
    const text = document.getElementById(source.slice(1))?.textContent;
    return text == null ? [, `no config: no element with id \`${source.slice(1)}\` before the script tag`] : [text];
  }
  const url = new URL(source, document.baseURI);
  const read = (status, text) =>
    status === 200 ? [text] : [, `could not load the config from ${source}: ${status ? `HTTP status ${status}` : "the request failed"}`];
  // Not through the HTTP cache: a synchronous read of the same URL while this one is under way
  // would wait for it to finish (one request per URL writes the cache), a round trip more.
  if (!now) {
    return fetch(url, { cache: "no-store" }).then((response) => response.text().then((text) => read(response.status, text)), () => read(0));
  }
  try {
    const request = new XMLHttpRequest();
    request.open("GET", url, false);
    request.send();
    return read(request.status, request.responseText);
  } catch {
    return read(0);
  }
}

/**
 * Resolves once the parsed page has been painted, or after a second (as in a background tab,
 * where nothing paints): keksdose starting then does not hold the first content back.
 */
function painted() {
  return new Promise((resolve) => {
    const afterFrame = () => requestAnimationFrame(() => setTimeout(resolve));
    if (document.readyState === "loading") addEventListener("DOMContentLoaded", afterFrame);
    else afterFrame();
    setTimeout(resolve, 1000);
  });
}
