// Prints the transfer size of the consent build — what every page view pays — raw, gzip -9 and
// brotli (quality 11), and with --check fails when it exceeds the budget:
//   node .ci/sizes.mjs <pkg-dir> [--check]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/**
 * Budget for the script-tag page load (keksdose.js + keksdose.css), brotli bytes: a few per cent
 * above the current size, so that a regression fails the tests. Most of the size is config
 * parsing (serde, serde_json, serde_path_to_error and core::fmt: roughly half of the wasm).
 */
const BUDGET_BROTLI = 124_000;

const [pkg, flag] = process.argv.slice(2);
const measure = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length,
});
const rows = [
  ["keksdose.js (script tag, wasm inlined)", "keksdose.js"],
  ["keksdose.css", "keksdose.css"],
  ["keksdose_web.js (npm glue)", "keksdose_web.js"],
  ["keksdose_web_bg.wasm (npm)", "keksdose_web_bg.wasm"],
  ["keksdose_seal.js (seal glue)", "keksdose_seal.js"],
  ["keksdose_seal_bg.wasm (seal module)", "keksdose_seal_bg.wasm"],
].map(([label, file]) => [label, measure(readFileSync(join(pkg, file)))]);
const total = (files) =>
  rows
    .filter(([label]) => files.some((f) => label.startsWith(f)))
    .reduce((sum, [, m]) => ({ raw: sum.raw + m.raw, gzip: sum.gzip + m.gzip, brotli: sum.brotli + m.brotli }), { raw: 0, gzip: 0, brotli: 0 });
rows.push(["= script-tag page load (js + css)", total(["keksdose.js", "keksdose.css"])]);
rows.push(["= npm page load (glue + wasm + css)", total(["keksdose_web", "keksdose.css"])]);
rows.push(["+ on sealed-form submit (seal module)", total(["keksdose_seal"])]);

const pad = (text, width) => String(text).padStart(width);
console.log(`${"file".padEnd(40)} ${pad("raw", 9)} ${pad("gzip -9", 9)} ${pad("brotli", 9)}`);
for (const [label, m] of rows) {
  console.log(`${label.padEnd(40)} ${pad(m.raw, 9)} ${pad(m.gzip, 9)} ${pad(m.brotli, 9)}`);
}
const pageLoad = rows.find(([label]) => label.startsWith("= script-tag"))[1];
if (flag === "--check") {
  if (pageLoad.brotli > BUDGET_BROTLI) {
    console.error(`size budget exceeded: ${pageLoad.brotli} > ${BUDGET_BROTLI} bytes brotli`);
    process.exit(1);
  }
  console.log(`within budget: ${pageLoad.brotli} <= ${BUDGET_BROTLI} bytes brotli`);
}
