// Shortens the names by which a wasm-bindgen module and its JavaScript glue know each other.
//
// wasm-bindgen names every import after the Rust path and a hash
// (`__wbg_setAttribute_1f3c0a9b2e4d5c6f`) and every closure export after its full type; they
// stand in the module and again in the glue, are read by nobody else, and (mostly hex hash)
// compress badly: about a tenth of what every page view downloads. Both sides get the same
// short names here; anything unexpected in the glue fails the build rather than guessing.
// The module that every import names (`./keksdose_web_bg.js`, once per import) becomes `w`
// too: 132 B gzip off the npm page load, measured with .ci/sizes.mjs.
//
//   import { shortenNames } from "./wasm-names.mjs";
//   const { glue, wasm, types } = shortenNames(glueSource, wasmBytes, typesSource);

const RESERVED = new Set(["do", "if", "in"]);

/** `a`, `b`, …, `Z`, `aa`, `ab`, …: short identifiers, none a reserved word. */
function* shortNames() {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const next = first + "0123456789_";
  for (const a of first) yield a;
  for (const a of first) for (const b of next) if (!RESERVED.has(a + b)) yield a + b;
  for (const a of first) for (const b of next) for (const c of next) yield a + b + c;
}

const escape = (name) => name.replace(/[$]/g, "\\$");

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function uleb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, at];
  }
}

function writeUleb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

function readName(bytes, at) {
  const [length, start] = uleb(bytes, at);
  return [new TextDecoder().decode(bytes.subarray(start, start + length)), start + length];
}

function writeName(name) {
  const encoded = new TextEncoder().encode(name);
  return [...writeUleb(encoded.length), ...encoded];
}

/** Skips an import's description (RFC: wasm core spec §5.5.5); returns the next offset. */
function skipImportDescription(bytes, at) {
  const kind = bytes[at++];
  const limits = (at) => {
    const flags = bytes[at++];
    at = uleb(bytes, at)[1];
    return flags & 1 ? uleb(bytes, at)[1] : at;
  };
  switch (kind) {
    case 0: // function: type index
      return uleb(bytes, at)[1];
    case 1: // table: reference type, limits
      return limits(at + 1);
    case 2: // memory: limits
      return limits(at);
    case 3: // global: value type, mutability
      return at + 2;
    case 4: // tag: attribute, type index
      return uleb(bytes, at + 1)[1];
    default:
      throw new Error(`wasm-names: unknown import kind ${kind}`);
  }
}

/** What the imports' module, the glue's import object key, is called after shortening. */
const MODULE = "w";

/**
 * Renames the imports' module, the import fields and exports of `wasm` (a Uint8Array) and the
 * glue's references to them, and the exports in the glue's TypeScript declarations
 * (`readonly name:` of `InitOutput`) when given; returns `{ glue, wasm, types }`.
 */
export function shortenNames(glue, wasm, types = "") {
  const names = shortNames();
  const renamed = new Map(); // name -> [short name, is an import]
  const modules = new Set();
  const rename = (name, isImport) => {
    if (renamed.has(name)) throw new Error(`wasm-names: \`${name}\` is named twice`);
    renamed.set(name, [names.next().value, isImport]);
    return renamed.get(name)[0];
  };
  const out = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = uleb(wasm, at + 1);
    const end = start + size;
    let body;
    if (id === 2 || id === 7) {
      const [count, first] = uleb(wasm, start);
      body = [...writeUleb(count)];
      let p = first;
      for (let i = 0; i < count; i++) {
        if (id === 2) {
          const [module, afterModule] = readName(wasm, p);
          const [field, afterField] = readName(wasm, afterModule);
          const next = skipImportDescription(wasm, afterField);
          modules.add(module);
          body.push(...writeName(MODULE), ...writeName(rename(field, true)), ...wasm.subarray(afterField, next));
          p = next;
        } else {
          const [name, afterName] = readName(wasm, p);
          const next = uleb(wasm, afterName + 1)[1];
          body.push(...writeName(rename(name, false)), ...wasm.subarray(afterName, next));
          p = next;
        }
      }
      if (p !== end) throw new Error(`wasm-names: section ${id} did not parse to its end`);
      body = Uint8Array.from(body);
    } else {
      body = wasm.subarray(start, end);
    }
    out.push(Uint8Array.from([id, ...writeUleb(body.length)]), body);
    at = end;
  }

  // The glue's import object has one key, the module's name (`"./keksdose_web_bg.js": import0`).
  if (modules.size > 1) throw new Error(`wasm-names: imports from ${modules.size} modules`);
  for (const module of modules) {
    const key = `${JSON.stringify(module)}:`;
    const found = glue.split(key).length - 1;
    if (found !== 1) throw new Error(`wasm-names: the module \`${module}\` is a key ${found} times in the glue`);
    glue = glue.replace(key, () => `${JSON.stringify(MODULE)}:`);
  }
  // The glue defines each import once, as a key of its import object (`__wbg_x_0123:`), and
  // uses exports as `wasm.name` (an export it never uses needs no change).
  for (const [name, [short, isImport]] of renamed) {
    const pattern = isImport
      ? new RegExp(`(?<![\\w$.])${escape(name)}(?=:)`, "g")
      : new RegExp(`(?<=\\bwasm\\.)${escape(name)}(?![\\w$])`, "g");
    const found = glue.match(pattern)?.length ?? 0;
    if (isImport && found !== 1) {
      throw new Error(`wasm-names: the import \`${name}\` is defined ${found} times in the glue`);
    }
    glue = glue.replace(pattern, short);
    if (!isImport) types = types.replace(new RegExp(`(?<=\\breadonly )${escape(name)}(?=:)`, "g"), short);
  }
  return { glue, wasm: Buffer.concat(out), types };
}
