// Prints the transfer size of what a page loads — raw, gzip -9 and brotli (quality 11) — and
// where the consent module's bytes go, by crate and keksdose module (twiggy, on the module as
// optimised but with its function names); with --check fails when a page load exceeds its budget:
//   node .ci/sizes.mjs <pkg-dir> [--check]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/**
 * Budgets in gzip -9 bytes: 5 % above the sizes measured when they were set (inline start 73,657
 * and npm 72,034 with the light build; the script tag lowered to 77,571 + 5 % when the guards of
 * every resource URL came with a smaller build), so that growth fails the tests: every page view
 * pays for the consent build, and a feature that does not fit must pay for itself elsewhere
 * (proof of consent and Consent Mode did; so did any language and the theme with its contrast
 * guard). Lower them when a change makes the build smaller: the inline start, once it stopped
 * loading the npm entry, was lowered to the npm budget with its own script in place of the entry;
 * both again when reading the script tag's config moved from the module to its entry; both
 * raised by 100 bytes when the banner's first focus move got a task of its own (79 bytes; it
 * takes the start's longest task below 50 ms at 4× CPU).
 * The script tag carries its wasm module inline; the other two load it as a file.
 */
const BUDGET = {
  "= script-tag page load (js + css)": 81_400,
  "= inline-start page load": 75_400,
  "= npm page load (entry + glue + wasm + css)": 74_950,
};

/** The module with function names that .ci/build keeps for this report. */
const NAMED = "target/bindgen/consent-named.wasm";

const [pkg, flag] = process.argv.slice(2);
const sum = (sizes) =>
  sizes.reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }), { raw: 0, gzip: 0, brotli: 0 });
const measure = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length,
});
const rows = [
  ["keksdose.js (script tag, wasm inlined)", "keksdose.js"],
  ["keksdose-start.js (inline start)", "keksdose-start.js"],
  ["keksdose.css", "keksdose.css"],
  ["index.js + fail-closed.js (npm entry)", "index.js", "fail-closed.js"],
  ["keksdose_web.js (glue)", "keksdose_web.js"],
  ["keksdose_web_bg.wasm", "keksdose_web_bg.wasm"],
  ["keksdose_seal.js (seal glue)", "keksdose_seal.js"],
  ["keksdose_seal_bg.wasm (seal module)", "keksdose_seal_bg.wasm"],
].map(([label, ...files]) => {
  const sizes = files.map((file) => measure(readFileSync(join(pkg, file))));
  return [label, sum(sizes)];
});
const total = (labels) => sum(rows.filter(([label]) => labels.some((l) => label.startsWith(l))).map(([, m]) => m));
rows.push(["= script-tag page load (js + css)", total(["keksdose.js", "keksdose.css"])]);
rows.push(["= inline-start page load", total(["keksdose-start", "keksdose_web", "keksdose.css"])]);
rows.push(["= npm page load (entry + glue + wasm + css)", total(["index.js", "keksdose_web", "keksdose.css"])]);
rows.push(["+ on sealed-form submit (seal module)", total(["keksdose_seal"])]);

const pad = (text, width) => String(text).padStart(width);
console.log(`${"file".padEnd(44)} ${pad("raw", 9)} ${pad("gzip -9", 9)} ${pad("brotli", 9)} ${pad("budget", 9)}`);
for (const [label, m] of rows) {
  console.log(`${label.padEnd(44)} ${pad(m.raw, 9)} ${pad(m.gzip, 9)} ${pad(m.brotli, 9)} ${pad(BUDGET[label] ?? "", 9)}`);
}

// Attribution: the function names say which crate (and which keksdose module) a function
// comes from; data segments are counted apart.
if (existsSync(NAMED)) {
  const csv = execFileSync("twiggy", ["top", "-n", "1000000", "-f", "csv", NAMED], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const groups = new Map();
  let all = 0;
  for (const line of csv.split("\n").slice(1)) {
    const match = line.match(/^(?:"((?:[^"]|"")*)"|([^,]*)),(\d+),/);
    if (!match) continue;
    const name = (match[1] ?? match[2]).replace(/""/g, '"');
    const bytes = Number(match[3]);
    if (/function names|^custom section|^type\[|^table|^memory|^global|^elem|^start$/.test(name)) continue;
    all += bytes;
    groups.set(owner(name), (groups.get(owner(name)) ?? 0) + bytes);
  }
  console.log(`\nconsent module by origin (functions after inlining count where they were inlined; ${all} bytes):`);
  for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`  ${pad(((100 * bytes) / all).toFixed(1), 5)} %  ${pad(bytes, 7)}  ${group}`);
  }
}

/** `keksdose::web::guard`, `core`, `wasm_bindgen`, `data`, `imports`, … for a twiggy item. */
function owner(name) {
  if (name.startsWith("data")) return "data (texts, messages, selectors, tables)";
  // wasm-bindgen's exports: the API methods' entry points.
  if (/^(keksdose_|start|startHeld)/.test(name)) return "keksdose::web::api (exports)";
  if (name.startsWith("import") || name.startsWith("export")) return "imports and exports (names shortened when packaged)";
  const path = name
    .replace(/^[<&*\s]+/, "")
    .replace(/^(dyn|impl|mut) /, "")
    .replace(/\[[0-9a-f]+\]/g, "");
  const parts = path.split("::").map((part) => part.match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? "?");
  if (parts[0] !== "keksdose") return parts[0];
  return parts.slice(0, ["web", "config", "consent", "seal"].includes(parts[1]) ? 3 : 2).join("::");
}

if (flag === "--check") {
  let over = false;
  for (const [label, budget] of Object.entries(BUDGET)) {
    const size = rows.find(([l]) => l === label)[1].gzip;
    if (size > budget) {
      console.error(`size budget exceeded: ${label.slice(2)} is ${size} bytes gzip -9, budget ${budget}`);
      over = true;
    }
  }
  if (over) process.exit(1);
  console.log("\nwithin budget");
}
