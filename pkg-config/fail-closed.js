// The fail-closed fallback of both entries (`keksdose.js` has it inlined, `index.js` imports it),
// for when the wasm module cannot start. Without the module nothing can be decided, so everything
// that needs a decision is refused: cookie and storage writes, loads from other hosts, and sealed
// forms (which would otherwise post plaintext). Each step may fail where the module already
// installed its own guard, which blocks the same, or where the browser denies a storage; the
// other steps still run.
export function failClosed() {
  let warned = false;
  const refuse = () => {
    if (!warned) console.warn("keksdose: blocked a write or load: keksdose did not start");
    warned = true;
  };
  const attempt = (step) => {
    try {
      step();
    } catch {}
  };
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
  attempt(() => {
    const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
    Object.defineProperty(document, "cookie", { get: cookie.get, set: refuse, enumerable: true });
  });
  attempt(() => {
    Storage.prototype.setItem = refuse;
  });
  for (const name of ["localStorage", "sessionStorage"]) {
    attempt(() => {
      const storage = window[name];
      const guarded = new Proxy(storage, {
        get: (target, key) => (typeof target[key] === "function" ? target[key].bind(target) : target[key]),
        set: (target, key, value) => (typeof key === "string" ? refuse() : (target[key] = value), true),
      });
      Object.defineProperty(window, name, { get: () => guarded, enumerable: true });
    });
  }
  attempt(() => {
    CookieStore.prototype.set = () => (refuse(), Promise.resolve());
  });
  for (const [type, property] of [
    [HTMLScriptElement, "src"],
    [HTMLImageElement, "src"],
    [HTMLImageElement, "srcset"],
    [HTMLIFrameElement, "src"],
    [HTMLLinkElement, "href"],
  ]) {
    attempt(() => {
      const accessor = Object.getOwnPropertyDescriptor(type.prototype, property);
      const set = accessor.set;
      accessor.set = function (url) {
        ownHost(url) ? set.call(this, url) : refuse();
      };
      Object.defineProperty(type.prototype, property, accessor);
    });
  }
  const sealed = (form) => form instanceof HTMLFormElement && form.matches("form[data-keksdose-seal]");
  document.addEventListener(
    "submit",
    (event) => {
      if (sealed(event.target)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        refuse();
      }
    },
    true,
  );
  attempt(() => {
    const submit = HTMLFormElement.prototype.submit;
    HTMLFormElement.prototype.submit = function () {
      return sealed(this) ? refuse() : submit.call(this);
    };
  });
  attempt(() => {
    const setAttribute = Element.prototype.setAttribute;
    Element.prototype.setAttribute = function (name, value) {
      const url = /^(src|srcset|href)$/i.test(name) && /^(SCRIPT|IMG|IFRAME|LINK)$/.test(this.tagName);
      return url && !ownHost(value) ? refuse() : setAttribute.call(this, name, value);
    };
  });
}
