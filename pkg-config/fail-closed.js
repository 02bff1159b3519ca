// Guards in JavaScript for the moments without the wasm module: while it loads (the inline start
// holds every write until it decides) and when it cannot start (the fallback of every entry
// refuses them). Without the module nothing can be decided, so everything that needs a decision
// is stopped: cookie and storage writes, loads from other hosts, and sealed forms (which would
// otherwise post plaintext). Each step may fail where the browser lacks what it guards or denies
// a storage; the other steps still run. `keksdose.js` and the inline start carry this file
// inlined, `index.js` imports it.

/**
 * Stops every write and load that needs a decision and hands each to `stop(target, name, args,
 * isMethod)`, which may keep it to replay it later: a method call (`setItem`, `setAttribute`,
 * `cookieStore.set`) or a property assignment (`document.cookie`, `src`, …) that did not happen.
 * Returns a function that puts the browser's own functions back.
 */
export function stopWrites(stop) {
  const restores = [];
  const attempt = (step) => {
    try {
      step();
    } catch {}
  };
  /**
   * Redefines `name` of `target` with `change(descriptor)` (the descriptor found on `target` or
   * its prototype chain); remembers how to undo it.
   */
  const redefine = (target, name, change) =>
    attempt(() => {
      const own = Object.getOwnPropertyDescriptor(target, name);
      let descriptor = own;
      for (let proto = target; !descriptor; proto = Object.getPrototypeOf(proto)) {
        descriptor = Object.getOwnPropertyDescriptor(proto, name);
      }
      Object.defineProperty(target, name, { ...change(descriptor), configurable: true });
      restores.push(() => (own ? Object.defineProperty(target, name, own) : delete target[name]));
    });
  // Every URL of a src, href or srcset value stays on this host (or leaves the network).
  const ownHost = (value) =>
    String(value)
      .split(",")
      .every((candidate) => {
        try {
          const { protocol, hostname } = new URL(candidate.trim().split(/\s+/)[0], document.baseURI);
          return !/^https?:$/.test(protocol) || hostname === location.hostname;
        } catch {
          return true;
        }
      });
  redefine(document, "cookie", ({ get }) => ({
    get,
    set: (value) => stop(document, "cookie", [String(value)], false),
    enumerable: true,
  }));
  /** Wraps a method: a call that `stops` is handed to `stop` and answered with `stopped()`. */
  const method = (target, name, stops = () => true, stopped = () => undefined) =>
    redefine(target, name, ({ value: original }) => ({
      value: function (...args) {
        if (!stops(this, args)) return original.apply(this, args);
        stop(this, name, args, true);
        return stopped();
      },
      writable: true,
    }));
  method(Storage.prototype, "setItem");
  attempt(() => method(CookieStore.prototype, "set", undefined, () => Promise.resolve()));
  for (const name of ["localStorage", "sessionStorage"]) {
    attempt(() => {
      const storage = window[name];
      const guarded = new Proxy(storage, {
        get: (target, key) => (typeof target[key] === "function" ? target[key].bind(target) : target[key]),
        set: (target, key, value) =>
          (typeof key === "string" ? stop(target, "setItem", [key, String(value)], true) : (target[key] = value), true),
      });
      redefine(window, name, () => ({ get: () => guarded, enumerable: true }));
    });
  }
  for (const [type, property] of [
    [HTMLScriptElement, "src"],
    [HTMLImageElement, "src"],
    [HTMLImageElement, "srcset"],
    [HTMLIFrameElement, "src"],
    [HTMLLinkElement, "href"],
  ]) {
    redefine(type.prototype, property, (accessor) => ({
      ...accessor,
      set(url) {
        ownHost(url) ? accessor.set.call(this, url) : stop(this, property, [url], false);
      },
    }));
  }
  method(
    Element.prototype,
    "setAttribute",
    (element, [name, value]) =>
      /^(src|srcset|href)$/i.test(name) && /^(SCRIPT|IMG|IFRAME|LINK)$/.test(element.tagName) && !ownHost(value),
  );
  // A sealed form is refused, never held: the visitor sees the form do nothing rather than
  // post plaintext (it is disabled in its markup until keksdose enables it).
  const sealed = (form) => form instanceof HTMLFormElement && form.matches("form[data-keksdose-seal]");
  const onSubmit = (event) => {
    if (sealed(event.target)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      stop(event.target, "submit", [], true);
    }
  };
  document.addEventListener("submit", onSubmit, true);
  restores.push(() => document.removeEventListener("submit", onSubmit, true));
  method(HTMLFormElement.prototype, "submit", (form) => sealed(form));
  return () => restores.forEach((restore) => attempt(restore));
}

/** The fallback when the module cannot start: every write and load that needs a decision is refused. */
export function failClosed() {
  let warned = false;
  stopWrites(() => {
    if (!warned) console.warn("keksdose: blocked a write or load: keksdose did not start");
    warned = true;
  });
}

/**
 * Google's `gtag`, which keksdose calls for Consent Mode: Google's tags read commands from
 * `dataLayer` only as `arguments` objects, which only a JavaScript function makes. Shared by
 * both entries like the guards above.
 */
export function gtag() {
  (window.dataLayer = window.dataLayer || []).push(arguments);
}
