// Independent implementation of the keksdose sealed-submission envelope v1
// (docs/envelope-v1.md), written from the specification alone, on top of
// @hpke/core. It exists to check that the specification is complete and that
// two implementations interoperate.
//
// Library use:
//   import { generateKeyPair, sealEnvelope, openEnvelope } from "./hpke-core.mjs";
//
// Command line:
//   node hpke-core.mjs keygen
//   node hpke-core.mjs seal <publicKey> <out-file>    < {tenant, formId, origin, fields, files:[{field,name,type,base64}]}
//   node hpke-core.mjs open <envelope-file> <secretKey>

import { createHash, randomBytes } from "node:crypto";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  Aes256Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
} from "@hpke/core";

// ---------------------------------------------------------------- constants

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0002;
const VERSION = 1;
const MAGIC = new TextEncoder().encode("KDSEAL");
const N_ENC = 32;
const N_T = 16;
const KEY_LEN = 32;
const PUBLIC_PREFIX = "kdpk1";
const SECRET_PREFIX = "kdsk1";

const MIN_CHUNK = 4096;
const MAX_CHUNK = 1048576;
const DEFAULT_CHUNK = 65536;
const MAX_MANIFEST = 1048576;
const MIN_INNER = 4096;

const FLAG_MORE = 0x00;
const FLAG_LAST = 0x01;

const TENANT_RE = /^[a-z0-9-]{1,63}$/;
const FORM_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const ORIGIN_RE = /^[\x21-\x7e]{1,2048}$/;
const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 in the manifest is an error, not U+FFFD.
// ignoreBOM: keep a leading BOM so that JSON.parse rejects it.
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ------------------------------------------------------------------ helpers

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

const toHex = (bytes) => Buffer.from(bytes).toString("hex");

const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

// base64url without padding (RFC 4648 §5). Decoding is strict: only the
// alphabet, no padding, and the text must be the canonical encoding of the
// decoded bytes, which rejects non-zero trailing bits.
const b64urlEncode = (bytes) => Buffer.from(bytes).toString("base64url");

function b64urlDecode(text, what) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new Error(`${what}: base64url contains padding or a character outside the alphabet`);
  }
  const bytes = new Uint8Array(Buffer.from(text, "base64url"));
  if (b64urlEncode(bytes) !== text) {
    throw new Error(`${what}: not canonical base64url (bad length or non-zero trailing bits)`);
  }
  return bytes;
}

function decodeKeyText(text, prefix, what) {
  if (typeof text !== "string" || !text.startsWith(prefix)) {
    throw new Error(`${what}: must start with "${prefix}"`);
  }
  const raw = b64urlDecode(text.slice(prefix.length), what);
  if (raw.length !== KEY_LEN) {
    throw new Error(`${what}: must encode ${KEY_LEN} bytes, got ${raw.length}`);
  }
  return raw;
}

// kid = first 16 bytes of SHA-256("keksdose kid v1" ‖ 0x00 ‖ kem_id (2 bytes) ‖ pk)
const keyId = (pk) =>
  sha256(utf8.encode("keksdose kid v1"), Uint8Array.of(0, KEM_ID >> 8, KEM_ID & 0xff), pk).subarray(0, 16);

// info = "keksdose seal v1" ‖ 0x00 ‖ SHA-256(header)
const hpkeInfo = (header) => concat([utf8.encode("keksdose seal v1"), Uint8Array.of(0), sha256(header)]);

const bitLength = (n) => n.toString(2).length;

// Padmé (Nikitin et al., PETS 2019). Plain arithmetic instead of bit masks:
// JavaScript bitwise operators are 32-bit, sizes may not be.
function padme(n) {
  if (n < 2) return n;
  const e = bitLength(n) - 1; // ⌊log2 n⌋
  const s = bitLength(e); // ⌊log2 E⌋ + 1
  const step = 2 ** (e - s); // mask + 1
  return Math.ceil(n / step) * step;
}

const paddedLength = (n) => Math.max(MIN_INNER, padme(n));

const isPowerOfTwo = (n) => n > 0 && (n & (n - 1)) === 0;

function checkChunkSize(c) {
  if (!Number.isInteger(c) || !isPowerOfTwo(c) || c < MIN_CHUNK || c > MAX_CHUNK) {
    throw new Error(`chunk size ${c} is not a power of two in [${MIN_CHUNK}, ${MAX_CHUNK}]`);
  }
}

// JSON.parse accepts lone surrogates ("\ud800"), which cannot be UTF-8.
function checkString(value, what) {
  if (typeof value !== "string") throw new Error(`${what} must be a string`);
  if (!value.isWellFormed()) throw new Error(`${what} contains a lone surrogate`);
}

function checkExactKeys(obj, keys, what) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new Error(`${what} must be a JSON object`);
  }
  const got = Object.keys(obj).sort();
  const want = [...keys].sort();
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) {
    throw new Error(`${what} must have exactly the keys ${want.join(", ")}; got ${got.join(", ") || "none"}`);
  }
}

// ------------------------------------------------------------------- header

function encodeHeader({ kid, submissionId, created, chunkSize, tenant, formId, origin }) {
  if (!TENANT_RE.test(tenant)) throw new Error(`tenant ${JSON.stringify(tenant)}: 1–63 of [a-z0-9-]`);
  if (!FORM_ID_RE.test(formId)) throw new Error(`form id ${JSON.stringify(formId)}: 1–64 of [A-Za-z0-9_.-]`);
  if (!ORIGIN_RE.test(origin)) throw new Error(`origin ${JSON.stringify(origin)}: 1–2048 visible ASCII characters`);
  checkChunkSize(chunkSize);
  const createdBig = BigInt(created);
  if (createdBig < 0n || createdBig >= 2n ** 64n) throw new Error(`created ${created} does not fit 8 unsigned bytes`);

  const t = utf8.encode(tenant);
  const f = utf8.encode(formId);
  const o = utf8.encode(origin);
  const header = new Uint8Array(61 + t.length + f.length + o.length);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  view.setUint8(6, VERSION);
  view.setUint16(7, KEM_ID);
  view.setUint16(9, KDF_ID);
  view.setUint16(11, AEAD_ID);
  header.set(kid, 13);
  header.set(submissionId, 29);
  view.setBigUint64(45, createdBig);
  view.setUint32(53, chunkSize);
  let at = 57;
  header[at++] = t.length;
  header.set(t, at);
  at += t.length;
  header[at++] = f.length;
  header.set(f, at);
  at += f.length;
  view.setUint16(at, o.length);
  header.set(o, at + 2);
  return header;
}

// Parses and validates the clear-text header at the start of `env`.
// Returns the decoded fields and H, the header length.
function decodeHeader(env) {
  const view = new DataView(env.buffer, env.byteOffset, env.byteLength);
  const need = (end) => {
    if (env.length < end) throw new Error(`envelope too short: header needs ${end} bytes, got ${env.length}`);
  };
  const ascii = (from, len) => Buffer.from(env.subarray(from, from + len)).toString("latin1");

  need(58);
  if (!MAGIC.every((b, i) => env[i] === b)) throw new Error("bad magic: not a KDSEAL envelope");
  if (env[6] !== VERSION) throw new Error(`unsupported version ${env[6]}`);
  const kem = view.getUint16(7);
  const kdf = view.getUint16(9);
  const aead = view.getUint16(11);
  if (kem !== KEM_ID || kdf !== KDF_ID || aead !== AEAD_ID) {
    throw new Error(`unsupported suite kem 0x${kem.toString(16)}, kdf 0x${kdf.toString(16)}, aead 0x${aead.toString(16)}`);
  }
  const kid = env.slice(13, 29);
  const submissionId = env.slice(29, 45);
  const createdBig = view.getBigUint64(45);
  // The spec puts no bound on `created`; a Number is exact only up to 2^53 − 1.
  const created = createdBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(createdBig) : createdBig.toString();
  const chunkSize = view.getUint32(53);
  checkChunkSize(chunkSize);

  let at = 57;
  const t = env[at++];
  if (t < 1 || t > 63) throw new Error(`tenant length ${t} outside 1..63`);
  need(at + t + 1);
  const tenant = ascii(at, t);
  if (!TENANT_RE.test(tenant)) throw new Error("tenant contains a character outside [a-z0-9-]");
  at += t;
  const f = env[at++];
  if (f < 1 || f > 64) throw new Error(`form id length ${f} outside 1..64`);
  need(at + f + 2);
  const formId = ascii(at, f);
  if (!FORM_ID_RE.test(formId)) throw new Error("form id contains a character outside [A-Za-z0-9_.-]");
  at += f;
  const o = view.getUint16(at);
  at += 2;
  if (o < 1 || o > 2048) throw new Error(`origin length ${o} outside 1..2048`);
  need(at + o);
  const origin = ascii(at, o);
  if (!ORIGIN_RE.test(origin)) throw new Error("origin contains a byte outside 0x21–0x7E");
  at += o;

  return { header: { kid, submissionId, created, chunkSize, tenant, formId, origin }, headerLength: at };
}

// --------------------------------------------------------------------- keys

/** A fresh key pair in the spec's text forms, with its key id as 32 hex digits. */
export async function generateKeyPair() {
  const pair = await suite.kem.generateKeyPair();
  const pk = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
  const sk = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
  return {
    publicKey: PUBLIC_PREFIX + b64urlEncode(pk),
    secretKey: SECRET_PREFIX + b64urlEncode(sk),
    kid: toHex(keyId(pk)),
  };
}

// ---------------------------------------------------------------- sealing

/**
 * Seals a submission to `publicKey` ("kdpk1…") and returns the whole envelope.
 *
 * fields: array of [name, value] strings; files: array of
 * { field, name, type, bytes: Uint8Array }. `created` (Unix seconds, default
 * now), `submissionId` (32 hex digits, default random) and `chunkSize`
 * (default 65536) are optional.
 */
export async function sealEnvelope({
  publicKey,
  tenant,
  formId,
  origin,
  created = Math.floor(Date.now() / 1000),
  submissionId,
  chunkSize = DEFAULT_CHUNK,
  fields = [],
  files = [],
}) {
  const pk = decodeKeyText(publicKey, PUBLIC_PREFIX, "public key");
  let sid;
  if (submissionId === undefined) {
    sid = new Uint8Array(randomBytes(16));
  } else if (/^[0-9a-f]{32}$/.test(submissionId)) {
    sid = new Uint8Array(Buffer.from(submissionId, "hex"));
  } else {
    throw new Error("submissionId must be 32 lower-case hex digits");
  }
  const header = encodeHeader({ kid: keyId(pk), submissionId: sid, created, chunkSize, tenant, formId, origin });

  // Inner plaintext: L ‖ manifest ‖ file bytes ‖ zeros.
  fields.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`fields[${i}] must be a [name, value] pair`);
    checkString(pair[0], `fields[${i}] name`);
    checkString(pair[1], `fields[${i}] value`);
  });
  const manifestFiles = files.map((file, i) => {
    for (const key of ["field", "name", "type"]) checkString(file[key], `files[${i}].${key}`);
    if (!(file.bytes instanceof Uint8Array)) throw new Error(`files[${i}].bytes must be a Uint8Array`);
    return {
      field: file.field,
      name: file.name,
      type: file.type,
      size: file.bytes.length,
      sha256: toHex(sha256(file.bytes)),
    };
  });
  const manifest = utf8.encode(JSON.stringify({ fields, files: manifestFiles }));
  if (manifest.length > MAX_MANIFEST) throw new Error(`manifest is ${manifest.length} bytes, more than ${MAX_MANIFEST}`);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, manifest.length);
  const content = [length, manifest, ...files.map((f) => f.bytes)];
  const n = content.reduce((sum, p) => sum + p.length, 0);
  const inner = new Uint8Array(paddedLength(n)); // zero-filled: the padding
  let at = 0;
  for (const p of content) {
    inner.set(p, at);
    at += p.length;
  }

  // One sender context; context.seal once per chunk so that its sequence
  // numbers are 0, 1, 2, … Pieces are C bytes; the last has 1..C bytes (the
  // inner plaintext is never empty), so k·C bytes give exactly k chunks.
  let ctx;
  try {
    ctx = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(pk),
      info: hpkeInfo(header),
    });
  } catch (e) {
    // X25519 with a low-order point yields an all-zero secret, which WebCrypto refuses.
    throw new Error(`HPKE setup failed (unusable public key): ${e.message}`);
  }
  const parts = [header, new Uint8Array(ctx.enc)];
  for (let from = 0; from < inner.length; from += chunkSize) {
    const piece = inner.subarray(from, from + chunkSize);
    const last = from + chunkSize >= inner.length;
    const pt = new Uint8Array(1 + piece.length);
    pt[0] = last ? FLAG_LAST : FLAG_MORE;
    pt.set(piece, 1);
    parts.push(new Uint8Array(await ctx.seal(pt)));
  }
  return concat(parts);
}

// ---------------------------------------------------------------- opening

/**
 * Opens `envelope` (Uint8Array) with `secretKey` ("kdsk1…"), enforcing every
 * rule of the specification. Throws an Error describing the first violation.
 *
 * Returns { header: { kid, submissionId, created, chunkSize, tenant, formId,
 * origin }, enc, fields, files: [{ field, name, type, size, sha256, bytes }] }
 * with kid, submissionId and enc as hex. `created` is a Number, or a decimal
 * string if it exceeds 2^53 − 1.
 */
export async function openEnvelope(envelope, secretKey) {
  if (!(envelope instanceof Uint8Array)) throw new Error("envelope must be a Uint8Array");
  const sk = decodeKeyText(secretKey, SECRET_PREFIX, "secret key");
  const { header, headerLength } = decodeHeader(envelope);

  // The kid must name the public key belonging to this secret key. @hpke/core
  // has no public "derive public key" call; WebCrypto's JWK export of an X25519
  // private key carries the public key as `x`.
  const recipientKey = await suite.kem.deserializePrivateKey(sk);
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", recipientKey);
  const pk = b64urlDecode(jwk.x, "derived public key");
  const ownKid = toHex(keyId(pk));
  if (toHex(header.kid) !== ownKid) {
    throw new Error(`envelope is sealed to key id ${toHex(header.kid)}, but this secret key has key id ${ownKid}`);
  }

  const C = header.chunkSize;
  const fullChunk = C + 1 + N_T;
  const minChunk = 1 + N_T;
  const encEnd = headerLength + N_ENC;
  if (envelope.length < encEnd + minChunk) {
    throw new Error(`envelope too short: ${envelope.length} bytes, need at least ${encEnd + minChunk}`);
  }
  const enc = envelope.slice(headerLength, encEnd);

  let ctx;
  try {
    ctx = await suite.createRecipientContext({ recipientKey, enc, info: hpkeInfo(envelope.subarray(0, headerLength)) });
  } catch (e) {
    throw new Error(`HPKE setup failed (invalid enc): ${e.message}`);
  }

  const pieces = [];
  let at = encEnd;
  for (let index = 0; ; index++) {
    const remaining = envelope.length - at;
    const last = remaining <= fullChunk;
    const ct = envelope.subarray(at, at + (last ? remaining : fullChunk));
    // An empty last piece only arises for an empty inner plaintext, which is
    // never valid (it is at least 4096 bytes); after full chunks the spec says
    // "there is no empty chunk after it".
    if (last && index > 0 && ct.length === minChunk) {
      throw new Error(`chunk ${index}: empty last chunk after a full one is not allowed`);
    }
    let pt;
    try {
      pt = new Uint8Array(await ctx.open(ct));
    } catch {
      throw new Error(
        `chunk ${index} does not decrypt: the envelope was changed, reordered, cut inside a chunk, or sealed to another key`,
      );
    }
    const flag = pt[0];
    if (flag !== FLAG_MORE && flag !== FLAG_LAST) throw new Error(`chunk ${index}: invalid flag 0x${flag.toString(16)}`);
    if (last && flag === FLAG_MORE) throw new Error(`chunk ${index}: last chunk has flag 0x00: envelope cut at a chunk boundary`);
    if (!last && flag === FLAG_LAST) throw new Error(`chunk ${index}: flag 0x01 before the end of the envelope`);
    pieces.push(pt.subarray(1));
    if (last) break;
    at += fullChunk;
  }
  const inner = concat(pieces);

  // Inner plaintext: L ‖ manifest ‖ files ‖ zeros.
  if (inner.length < 4) throw new Error(`inner plaintext is ${inner.length} bytes, too short for L`);
  const L = new DataView(inner.buffer, inner.byteOffset, 4).getUint32(0);
  if (L > MAX_MANIFEST) throw new Error(`manifest length L = ${L} exceeds ${MAX_MANIFEST}`);
  if (4 + L > inner.length) throw new Error(`manifest length L = ${L} runs past the inner plaintext`);
  let text;
  try {
    text = utf8Strict.decode(inner.subarray(4, 4 + L));
  } catch {
    throw new Error("manifest is not valid UTF-8");
  }
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    throw new Error(`manifest is not valid JSON: ${e.message}`);
  }
  checkExactKeys(manifest, ["fields", "files"], "manifest");
  if (!Array.isArray(manifest.fields)) throw new Error("manifest.fields must be an array");
  if (!Array.isArray(manifest.files)) throw new Error("manifest.files must be an array");
  manifest.fields.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`manifest.fields[${i}] must be a [name, value] pair`);
    checkString(pair[0], `manifest.fields[${i}][0]`);
    checkString(pair[1], `manifest.fields[${i}][1]`);
  });
  manifest.files.forEach((file, i) => {
    const what = `manifest.files[${i}]`;
    checkExactKeys(file, ["field", "name", "type", "size", "sha256"], what);
    for (const key of ["field", "name", "type"]) checkString(file[key], `${what}.${key}`);
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new Error(`${what}.size must be a non-negative integer`);
    if (typeof file.sha256 !== "string" || !SHA256_HEX_RE.test(file.sha256)) {
      throw new Error(`${what}.sha256 must be 64 lower-case hex digits`);
    }
  });

  const n = 4 + L + manifest.files.reduce((sum, f) => sum + f.size, 0);
  if (n > inner.length) throw new Error(`manifest announces ${n} bytes of content, inner plaintext has ${inner.length}`);
  const expected = paddedLength(n);
  if (inner.length !== expected) {
    throw new Error(`inner plaintext is ${inner.length} bytes, padding rule requires max(4096, Padmé(${n})) = ${expected}`);
  }
  const nonZero = inner.subarray(n).findIndex((b) => b !== 0);
  if (nonZero !== -1) throw new Error(`padding byte at inner offset ${n + nonZero} is not zero`);

  let fileAt = 4 + L;
  const files = manifest.files.map((file, i) => {
    const bytes = inner.slice(fileAt, fileAt + file.size);
    fileAt += file.size;
    if (toHex(sha256(bytes)) !== file.sha256) throw new Error(`files[${i}] (${file.name}): SHA-256 does not match the manifest`);
    return { ...file, bytes };
  });

  return {
    header: { ...header, kid: toHex(header.kid), submissionId: toHex(header.submissionId) },
    enc: toHex(enc),
    fields: manifest.fields,
    files,
  };
}

// ----------------------------------------------------------- command line

async function main(args) {
  const [command, ...rest] = args;
  if (command === "keygen" && rest.length === 0) {
    console.log(JSON.stringify(await generateKeyPair(), null, 2));
  } else if (command === "seal" && rest.length === 2) {
    const [publicKey, outFile] = rest;
    const input = JSON.parse(readFileSync(0, "utf8"));
    const envelope = await sealEnvelope({
      ...input,
      publicKey,
      files: (input.files ?? []).map(({ base64, ...meta }) => ({
        ...meta,
        bytes: new Uint8Array(Buffer.from(base64, "base64")),
      })),
    });
    writeFileSync(outFile, envelope);
  } else if (command === "open" && rest.length === 2) {
    const [envelopeFile, secretKey] = rest;
    const opened = await openEnvelope(new Uint8Array(readFileSync(envelopeFile)), secretKey);
    opened.files = opened.files.map(({ bytes, ...meta }) => ({ ...meta, base64: Buffer.from(bytes).toString("base64") }));
    console.log(JSON.stringify(opened, null, 2));
  } else {
    throw new Error(
      "usage: node hpke-core.mjs keygen | seal <publicKey> <out-file> < input.json | open <envelope-file> <secretKey>",
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`hpke-core: ${e.message}\n`);
    process.exit(1);
  });
}
