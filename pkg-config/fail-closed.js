// Guards in JavaScript for the moments without the wasm module: until it starts (the script tag
// and the inline start hold every write until it decides; see held.js) and when it cannot start
// (the fallback of every entry refuses them). Without the module nothing can be decided, so
// everything that needs a decision is stopped: cookie and storage writes, loads from other
// hosts, and sealed forms (which would otherwise post plaintext). Each step may fail where the
// browser lacks what it guards or denies a storage; the other steps still run. `keksdose.js` and
// the inline start carry this file inlined, `index.js` imports it.

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
  // The guarded storage is made on first use: opening a storage is a synchronous request to the
  // browser, which the page's first paint would otherwise wait for. Where the browser denies
  // storage, that use throws as it would without keksdose.
  for (const name of ["localStorage", "sessionStorage"]) {
    redefine(window, name, ({ get }) => {
      let guarded;
      return {
        get: () =>
          (guarded ??= new Proxy(get.call(window), {
            get: (target, key) => (typeof target[key] === "function" ? target[key].bind(target) : target[key]),
            set: (target, key, value) =>
              (typeof key === "string" ? stop(target, "setItem", [key, String(value)], true) : (target[key] = value), true),
            defineProperty: (target, key, descriptor) =>
              typeof key === "string"
                ? (stop(target, "setItem", [key, String(descriptor.value)], true), true)
                : Reflect.defineProperty(target, key, descriptor),
          })),
        enumerable: true,
      };
    });
  }
  /**
   * A setter of `property` on `target` that stops URLs from other hosts (where `guards(this)`);
   * what it checked, it passes on: the value converted once.
   */
  const urlSetter = (target, property, guards = () => true) =>
    redefine(target, property, (accessor) => ({
      ...accessor,
      set(value) {
        if (!guards(this)) return accessor.set.call(this, value);
        const url = String(value);
        ownHost(url) ? accessor.set.call(this, url) : stop(this, property, [url], false);
      },
    }));
  // The resource URLs of elements, as `GUARDED` in src/web/guard.rs lists them (interface whose
  // property is wrapped, local name, property); SVG elements hold theirs in `href` or `xlink:href`.
  // tests/guard_lists.rs compares the two lists; tests/e2e/guard-probes.mjs tries every route
  // against both.
  const tagsOf = new Map();
  for (const [type, tag, property] of [
    ["HTMLScriptElement", "script", "src"],
    ["HTMLImageElement", "img", "srcset"],
    ["HTMLImageElement", "img", "src"],
    ["HTMLIFrameElement", "iframe", "src"],
    ["HTMLLinkElement", "link", "href"],
    ["HTMLLinkElement", "link", "imageSrcset"],
    ["HTMLMediaElement", "audio", "src"],
    ["", "video", "src"],
    ["HTMLVideoElement", "video", "poster"],
    ["HTMLSourceElement", "source", "srcset"],
    ["HTMLSourceElement", "source", "src"],
    ["HTMLTrackElement", "track", "src"],
    ["HTMLInputElement", "input", "src"],
    ["HTMLEmbedElement", "embed", "src"],
    ["HTMLObjectElement", "object", "data"],
    ["", "script", "href"],
    ["", "image", "href"],
    ["", "feImage", "href"],
  ]) {
    const attribute = property.toLowerCase();
    tagsOf.set(attribute, `${tagsOf.get(attribute) ?? ""} ${tag} `);
    // A browser without the element has no such route.
    if (type) urlSetter(window[type]?.prototype, property);
  }
  /** Whether the attribute `name` of `element` (`null`: of any element) holds a guarded URL. */
  const guarded = (element, name) => {
    const tags = tagsOf.get(name.toLowerCase().split(":").pop());
    return !!tags && (!element || tags.includes(` ${element.localName} `));
  };
  /**
   * Whether setting the attribute named `args[i]` of `element` (`null`: of any element) to
   * `args[i + 1]` loads from another host. Both are converted in `args` once, so that what is
   * checked is what is passed on.
   */
  const loads = (element, args, i) =>
    guarded(element, (args[i] = String(args[i]))) && !ownHost((args[i + 1] = String(args[i + 1])));
  method(Element.prototype, "setAttribute", (element, args) => loads(element, args, 0));
  method(Element.prototype, "setAttributeNS", (element, args) => loads(element, args, 1));
  for (const name of ["setAttributeNode", "setAttributeNodeNS"]) {
    method(Element.prototype, name, (element, [attr]) => loads(element, [attr.localName, attr.value], 0));
  }
  for (const name of ["setNamedItem", "setNamedItemNS"]) {
    method(NamedNodeMap.prototype, name, (_, [attr]) => loads(null, [attr.localName, attr.value], 0));
  }
  // An attribute node's value, also as `nodeValue` and `textContent` (shadowed for attributes only).
  for (const property of ["value", "nodeValue", "textContent"]) {
    urlSetter(Attr.prototype, property, (attr) => attr.ownerElement && guarded(attr.ownerElement, attr.localName));
  }
  urlSetter(SVGAnimatedString.prototype, "baseVal");
  // `new Audio(url)` sets its URL without the `src` setter: the setter gets it instead.
  redefine(window, "Audio", ({ value: Audio }) => ({
    value: new Proxy(Audio, {
      construct(target, [url], newTarget) {
        const audio = Reflect.construct(target, [], newTarget);
        if (url !== undefined) audio.src = url;
        return audio;
      },
    }),
    writable: true,
  }));
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
  stopWrites(refusal());
}

/** A `stop` for `stopWrites` that refuses, with one warning on the console. */
function refusal() {
  let warned = false;
  return () => {
    if (!warned) console.warn("keksdose: blocked a write or load: keksdose did not start");
    warned = true;
  };
}

/**
 * Google's `gtag`, which keksdose calls for Consent Mode: Google's tags read commands from
 * `dataLayer` only as `arguments` objects, which only a JavaScript function makes. Shared by
 * both entries like the guards above.
 */
export function gtag() {
  (window.dataLayer = window.dataLayer || []).push(arguments);
}
