/*! keksdose inline start · EUPL-1.2 */
// The inline start: this script's text (pkg/keksdose-start.js after the build) goes inline as the
// first script in <head>; its CSP hash is in pkg/keksdose-start.csp. It costs the page no request
// and no wait: from here on every cookie, storage write and load from another host is held, and
// keksdose loads in parallel (module, wasm, stylesheet and config at once), decides, and replays
// what was held through its guards. If it cannot start, nothing held is ever written.
//   <script data-config="/keksdose.json" data-keksdose="/keksdose/">…</script>
// `data-config`: as for keksdose.js (a URL, or `#id` of a JSON script element before this one);
// `data-keksdose`: where the package lies (default /keksdose/).
(() => {
  /* @stopWrites */
  /* @held */
  const tag = document.currentScript;
  const base = new URL(tag.dataset.keksdose ?? "/keksdose/", document.baseURI);
  const source = tag.dataset.config;
  const url = (file) => new URL(file, base).href;
  // Everything keksdose needs is requested now, side by side, before any write is held.
  const link = (rel, href, as) => {
    const element = document.createElement("link");
    element.rel = rel;
    element.href = href;
    if (as) element.as = as;
    if (as === "fetch") element.crossOrigin = "anonymous";
    document.head.append(element);
  };
  link("modulepreload", url("keksdose_web.js"));
  link("preload", url("keksdose_web_bg.wasm"), "fetch");
  link("stylesheet", url("keksdose.css"));
  const config = readConfig(source);
  const giveUp = hold();
  const loadSeal = sealLoader(url);
  // The module's glue directly, not the npm entry: its fallback guards would repeat the ones
  // above, which stay in place (and hold nothing more) if keksdose cannot start.
  Promise.all([import(url("keksdose_web.js")), config, painted()])
    .then(([glue, [text, problem]]) =>
      glue.default({ module_or_path: url("keksdose_web_bg.wasm") }).then(() => glue.startHeld(text, problem, loadSeal, gtag)),
    )
    .then((instance) => (window.keksdose = instance), giveUp);
})();
