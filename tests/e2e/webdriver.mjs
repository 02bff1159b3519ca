// A small W3C WebDriver client (plain `fetch`) for the engines Playwright does not drive with
// Debian's packages: Firefox ESR through geckodriver and WebKitGTK through WebKitWebDriver. Each
// driver and its browser are started and ended by process id; WebKitGTK's browser has no headless
// mode and gets its own Xvfb display.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The engines, how to start their driver, and the capabilities of a new session. */
export const ENGINES = {
  firefox: {
    name: "Firefox ESR",
    driver: () => process.env.GECKODRIVER ?? "geckodriver",
    browser: () => process.env.FIREFOX ?? "/usr/bin/firefox-esr",
    args: (port) => ["--port", String(port), "--log", "error"],
    capabilities: (browser) => ({
      browserName: "firefox",
      "moz:firefoxOptions": {
        binary: browser,
        args: ["-headless"],
        prefs: {
          // Firefox's own background requests off (updates, telemetry, remote settings,
          // connectivity checks): the tests talk to the test server only.
          "app.update.enabled": false,
          "browser.shell.checkDefaultBrowser": false,
          "datareporting.policy.dataSubmissionEnabled": false,
          "toolkit.telemetry.enabled": false,
          "services.settings.server": "http://127.0.0.1:9/",
          "network.captive-portal-service.enabled": false,
          "network.connectivity-service.enabled": false,
        },
      },
    }),
    display: false,
  },
  webkit: {
    name: "WebKitGTK",
    driver: () => process.env.WEBKITWEBDRIVER ?? "/usr/bin/WebKitWebDriver",
    // WebKitGTK's test browser, shipped with the library (libwebkit2gtk-4.1-0).
    browser: () => process.env.WEBKIT_BROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    args: (port) => [`--port=${port}`],
    capabilities: (browser) => ({
      browserName: "MiniBrowser",
      "webkitgtk:browserOptions": {
        binary: browser,
        args: ["--automation"],
      },
    }),
    display: true,
  },
};

/** Whether the driver and browser of `engine` are installed (`.ci/setup --tests` installs them). */
export function installed(engine) {
  const spec = ENGINES[engine];
  const onPath = (name) =>
    name.includes("/") ? existsSync(name) : (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, name)));
  return onPath(spec.driver()) && existsSync(spec.browser()) && (!spec.display || onPath("Xvfb"));
}

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Starts Xvfb on a free display number; resolves to `{ display, stop }`. */
async function startXvfb() {
  const child = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr.on("data", (chunk) => (errors += chunk));
  const display = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`Xvfb exited with ${code}: ${errors}`)));
    let out = "";
    child.stdio[3].on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(`:${out.trim()}`);
    });
  });
  child.removeAllListeners("exit");
  return { display, stop: () => stopChild(child) };
}

/** Ends `child` (with `group`, every process left in the group it leads) and waits for it. */
async function stopChild(child, { group = false } = {}) {
  const running = child.exitCode === null && child.signalCode === null;
  const exited = running ? once(child, "exit") : null;
  if (group) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // The group is gone already.
    }
  } else if (running) {
    child.kill();
  }
  await exited;
  if (group) {
    // Wait until the group's last process (the browser's helpers) is gone.
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(-child.pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
  }
}

/**
 * Starts the WebDriver server of `engine` (and, for WebKitGTK, an X display for it); resolves to
 * `{ engine, name, newSession(), stop() }`; a session ends by its `end()` or with `stop()`.
 */
export async function startDriver(engine) {
  const spec = ENGINES[engine];
  const env = { ...process.env };
  const xvfb = spec.display ? await startXvfb() : null;
  if (xvfb) env.DISPLAY = xvfb.display;
  // Firefox's profile and WebKit's caches go to a scratch directory, removed afterwards.
  const scratch = mkdtempSync(join(tmpdir(), `keksdose-${engine}-`));
  env.TMPDIR = scratch;
  env.XDG_CACHE_HOME = join(scratch, "cache");
  env.XDG_DATA_HOME = join(scratch, "data");
  env.XDG_CONFIG_HOME = join(scratch, "config");
  const port = await freePort();
  // Its own process group: the browser it starts is ended with it.
  const child = spawn(spec.driver(), spec.args(port), { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${spec.driver()} exited with ${child.exitCode}: ${log}`);
    try {
      const status = await (await fetch(`${base}/status`)).json();
      if (status.value?.ready !== false) break;
    } catch {
      // Not listening yet.
    }
    if (i > 200) throw new Error(`${spec.driver()} did not start: ${log}`);
    await sleep(50);
  }
  const sessions = new Set();
  return {
    engine,
    name: spec.name,
    async newSession() {
      const response = await request(base, "POST", "/session", {
        capabilities: { alwaysMatch: spec.capabilities(spec.browser()) },
      }).catch((error) => {
        throw new Error(`${error.message}\n${spec.driver()} said:\n${log}`);
      });
      const session = new Session(base, response.sessionId, response.capabilities);
      // Finding an element waits up to 5 s for it to appear (the banner comes after first paint).
      await session.command("POST", "/timeouts", { implicit: 5000 });
      sessions.add(session);
      session.onEnd = () => sessions.delete(session);
      return session;
    },
    async stop() {
      for (const session of [...sessions]) await session.end().catch(() => {});
      await stopChild(child, { group: true });
      await xvfb?.stop();
      // The browser's helper processes may still be writing their caches as they exit.
      rmSync(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class WebDriverError extends Error {
  constructor(method, path, value) {
    super(`${method} ${path}: ${value.error}: ${value.message}`);
    this.error = value.error;
  }
}

async function request(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const { value } = JSON.parse(text || "{}");
  if (!response.ok || (value && typeof value === "object" && "error" in value && value.error)) {
    throw new WebDriverError(method, path, value ?? { error: response.status, message: text });
  }
  return value;
}

/** The key W3C WebDriver assigns to Enter. */
export const ENTER = "\uE007";
/** The key of a web element reference (W3C WebDriver, "Elements"). */
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** One browser session: one window, its own profile and cookie jar. */
class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
  }

  command(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end() {
    await this.command("DELETE", "");
    this.onEnd?.();
  }

  /** Loads `url` and waits for its `load` event (the WebDriver default page load strategy). */
  goto(url) {
    return this.command("POST", "/url", { url });
  }

  /** Runs `fn` (a function, called with `args`) in the page and returns its result (JSON:
   * `undefined` comes back as `null`). */
  evaluate(fn, ...args) {
    return this.command("POST", "/execute/sync", { script: `return (${fn}).apply(null, arguments);`, args });
  }

  /** Polls `fn` in the page until it returns a truthy value; returns that value. */
  async waitFor(fn, { args = [], timeout = 10_000, what = String(fn) } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      let value;
      try {
        value = await this.evaluate(fn, ...args);
      } catch (error) {
        // A navigation in progress: the script had no document to run in.
        if (Date.now() > end) throw error;
      }
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  async find(selector) {
    const value = await this.command("POST", "/element", { using: "css selector", value: selector });
    return value[ELEMENT];
  }

  /** Clicks the element matched by `selector` the way a pointer does (scrolled into view, not covered). */
  async click(selector) {
    await this.command("POST", `/element/${await this.find(selector)}/click`, {});
  }

  /** Types `text` into the element matched by `selector` (for a file input: a file path). */
  async type(selector, text) {
    await this.command("POST", `/element/${await this.find(selector)}/value`, { text });
  }

  /** The cookies the browser would send to the current page, HttpOnly ones included, as `{ name: value }`. */
  async jar() {
    const cookies = await this.command("GET", "/cookie");
    return Object.fromEntries(cookies.map((cookie) => [cookie.name, cookie.value]));
  }
}
