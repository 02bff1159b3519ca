// Assembles the npm package directory from wasm-bindgen's output and pkg-config/:
//   node .ci/package.mjs <bindgen-dir> <pkg-dir>
// keksdose.js  = pkg-config/keksdose.js with the no-modules glue and the wasm inlined, minified
// index.js     = the ESM entry, over keksdose_web.js + keksdose_web_bg.wasm
// keksdose_seal.js + keksdose_seal_bg.wasm = the seal module
// fail-closed.js = the fallback when the module cannot start (inlined into keksdose.js too)
// keksdose-start.js = the inline start (start.js with fail-closed.js's guards and held.js, which
//   keksdose.js carries too), and
//   keksdose-start.csp = its CSP hash source
// package.json = pkg-config/package.json with Cargo.toml's version; README.md, the declarations
//   and LICENSE (the repository's) beside it
// Each module and its glue get short names for what they share (see wasm-names.mjs).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shortenNames } from "./wasm-names.mjs";

const [bindgen, pkg] = process.argv.slice(2);
if (!bindgen || !pkg) {
  console.error("usage: node .ci/package.mjs <bindgen-dir> <pkg-dir>");
  process.exit(2);
}
const esbuild = join("tests", "e2e", "node_modules", ".bin", "esbuild");
const minify = (source, loader = "js", options = []) =>
  execFileSync(esbuild, ["--minify", `--loader=${loader}`, "--log-level=warning", ...options], {
    input: source,
    encoding: "utf8",
  });
/** `source` with `marker`, which must occur exactly once, replaced by `text`. */
const fill = (source, marker, text, file) => {
  if (source.split(marker).length !== 2) throw new Error(`${file}: expected one ${marker}`);
  return source.replace(marker, () => text);
};

const version = readFileSync("Cargo.toml", "utf8").match(/^version = "([^"]+)"/m)[1];

rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg, { recursive: true });

/** A module's glue, wasm and declarations from wasm-bindgen's output, with short shared names. */
const module = (dir, name) => {
  const file = (suffix) => join(bindgen, dir, `${name}${suffix}`);
  const types = dir === "esm" ? readFileSync(file(".d.ts"), "utf8") : "";
  return shortenNames(readFileSync(file(".js"), "utf8"), readFileSync(file("_bg.wasm")), types);
};

// The script-tag bundle.
const entry = readFileSync("pkg-config/keksdose.js", "utf8");
const script = module("script", "keksdose");
const glue = script.glue;
// The module as a string literal of one character per byte (U+0000–U+00FF, UTF-8 encoded):
// byte-aligned, so gzip finds the same repeats as in the binary; 7 % over the binary under
// gzip -9, where hex costs 11 % and base64 28 %. Inserted after minifying, which would escape
// it; the file starts with a byte order mark, which makes browsers read it as UTF-8 whatever
// the server or the page declare.
const latin1 = Array.from(script.wasm, (byte) =>
  byte === 0x5c ? "\\\\" : byte === 0x22 ? '\\"' : byte === 0x0a ? "\\n" : byte === 0x0d ? "\\r" : String.fromCharCode(byte),
).join("");
const guards = readFileSync("pkg-config/fail-closed.js", "utf8").replace(/^export function/gm, "function");
const held = readFileSync("pkg-config/held.js", "utf8");
let bundle = fill(entry, "/* @glue */", glue, "pkg-config/keksdose.js");
bundle = fill(bundle, "/* @failClosed */", guards, "pkg-config/keksdose.js");
bundle = fill(bundle, "/* @held */", held, "pkg-config/keksdose.js");
bundle = fill(minify(bundle, "js", ["--tree-shaking=true"]), '"@wasm"', `"${latin1}"`, "pkg-config/keksdose.js");
writeFileSync(join(pkg, "keksdose.js"), "\ufeff" + bundle);

// The inline start: its text is what pages put inline, byte for byte, so that its hash holds.
let start = fill(readFileSync("pkg-config/start.js", "utf8"), "/* @stopWrites */", guards, "pkg-config/start.js");
start = fill(start, "/* @held */", held, "pkg-config/start.js");
const inline = minify(start, "js", ["--tree-shaking=true"]).trimEnd();
writeFileSync(join(pkg, "keksdose-start.js"), inline);
writeFileSync(join(pkg, "keksdose-start.csp"), `'sha256-${createHash("sha256").update(inline).digest("base64")}'\n`);

// The ES module entry, and the seal module, which both entries load only when a sealed form is
// submitted.
for (const [dir, name] of [
  ["esm", "keksdose_web"],
  ["seal", "keksdose_seal"],
]) {
  const { glue, wasm, types } = module(dir, name);
  writeFileSync(join(pkg, `${name}.js`), minify(glue));
  writeFileSync(join(pkg, `${name}_bg.wasm`), wasm);
  // `[Symbol.dispose]` needs TypeScript's `esnext` library, which a default project lacks; the
  // instance lives as long as the page anyway.
  if (types) writeFileSync(join(pkg, `${name}.d.ts`), types.replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/m, ""));
}
for (const file of ["index.d.ts", "keksdose.css.d.ts", "README.md"]) copyFileSync(join("pkg-config", file), join(pkg, file));
copyFileSync("LICENSE", join(pkg, "LICENSE"));
for (const file of ["index.js", "fail-closed.js"]) {
  writeFileSync(join(pkg, file), minify(readFileSync(join("pkg-config", file), "utf8")));
}
writeFileSync(join(pkg, "keksdose.css"), minify(readFileSync("pkg-config/keksdose.css", "utf8"), "css"));

const manifest = JSON.parse(readFileSync("pkg-config/package.json", "utf8"));
writeFileSync(join(pkg, "package.json"), JSON.stringify({ ...manifest, version }, null, 2) + "\n");
