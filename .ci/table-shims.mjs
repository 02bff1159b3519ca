// Drops the closure shims of wasm-bindgen's output that nothing can call.
//
// wasm-bindgen has an `invoke` shim for every closure signature that js-sys and web-sys declare
// (typed arrays' callbacks, `Set.forEach`, …), and each one has an entry in the function table:
// the describe code that wasm-bindgen runs at build time, and then removes, takes its address.
// What runs later never calls a shim through the table: the glue wraps each closure it makes
// around the shim's export. Yet a table entry keeps its function through every optimiser: about
// 3 KB of wasm, 0.8 KB under gzip, on every page. So every entry of a shim that is not exported
// is pointed at one stub that traps (`unreachable`), and wasm-opt then drops the shims. The
// shims of closures the module makes are exported, as they are or inside the wrapper that
// wasm-bindgen exports (`<shim> multivalue shim`): their entries stay as they are.
//
// The same holds for js-sys's JSPI task waker (its four functions and, through them, a task's
// wake and drop): only a task's poll makes such a waker, and wasm-bindgen deletes the poll's
// export (`__wbg_jspi_task_poll`) from a module without `#[wasm_bindgen(jspi)]` exports. There
// its entries trap too (191 B gzip off the npm page load, measured with .ci/sizes.mjs).
//
//   node .ci/table-shims.mjs <module.wasm>    (in place, after wasm-bindgen, before wasm-opt)
import { readFileSync, writeFileSync } from "node:fs";
import binaryen from "../tests/e2e/node_modules/binaryen/index.js";

/** wasm-bindgen's closure shims, by the Rust path in the name section. */
const SHIM = /::convert::closures::_::invoke::</;
/** js-sys's JSPI task waker, by the Rust path in the name section. */
const JSPI_WAKER = /^js_sys\[[0-9a-f]+\]::futures::jspi::task_waker::raw_/;
const STUB = "keksdose_unreachable_closure_shim";

const file = process.argv[2];
const module = binaryen.readBinary(readFileSync(file));
const exported = [];
let jspiPoll = false;
for (let i = 0; i < module.getNumExports(); i++) {
  const info = binaryen.getExportInfo(module.getExportByIndex(i));
  if (info.kind === binaryen.ExternalFunction) exported.push(info.value);
  if (info.name === "__wbg_jspi_task_poll") jspiPoll = true;
}
const isExported = (name) => exported.some((e) => e === name || e.startsWith(`${name} `));
let redirected = 0;
const segments = [];
for (let i = 0; i < module.getNumElementSegments(); i++) {
  segments.push(binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i)));
}
module.addFunction(STUB, binaryen.none, binaryen.none, [], module.unreachable());
for (const segment of segments) {
  const data = segment.data.map((name) => {
    const unused = SHIM.test(name) ? !isExported(name) : JSPI_WAKER.test(name) && !jspiPoll;
    if (!unused) return name;
    redirected++;
    return STUB;
  });
  if (data.every((name, i) => name === segment.data[i])) continue;
  // Active segments of the one table at a constant offset: that is what rustc emits.
  const offset = binaryen.getExpressionInfo(segment.offset);
  if (!segment.table || offset.id !== binaryen.ConstId) {
    throw new Error(`${file}: unexpected element segment ${segment.name}`);
  }
  module.removeElementSegment(segment.name);
  module.addActiveElementSegment(segment.table, segment.name, data, module.i32.const(offset.value));
}
if (!module.validate()) throw new Error(`${file}: invalid after redirecting the closure shims`);
binaryen.setDebugInfo(true);
writeFileSync(file, module.emitBinary());
console.log(`${file}: ${redirected} table entries of unused closure shims and wakers now trap`);
