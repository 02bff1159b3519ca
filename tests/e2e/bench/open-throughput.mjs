// Benchmark (not a test): `keksdose open` over directories of envelopes — many small form
// submissions, 1 MB and 25 MB attachments — sealed to the demo key by the independent
// implementation (interop/hpke-core.mjs). Wall time of the whole command, median of 3 runs.
//   node tests/e2e/bench/open-throughput.mjs [path/to/keksdose]
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../harness.mjs";
import { sealEnvelope } from "../interop/hpke-core.mjs";

const binary = process.argv[2] ?? join(ROOT, "target", "release", "keksdose");
const key = join(ROOT, "tests", "fixtures", "demo-secret.key");
const publicKey = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8")).seal.keys[0].publicKey;

const SETS = [
  ["1000 form submissions, no attachment", 1000, 0],
  ["50 submissions with 1 MB", 50, 1024 * 1024],
  ["2 submissions with 25 MB", 2, 25 * 1024 * 1024],
];

const scratch = mkdtempSync(join(tmpdir(), "keksdose-open-bench-"));
try {
  console.log(`keksdose open (${binary}), median of 3 runs`);
  for (const [label, count, size] of SETS) {
    const dir = join(scratch, String(size));
    mkdirSync(dir);
    for (let i = 0; i < count; i++) {
      const files = size ? [{ field: "anhang", name: `scan-${i}.pdf`, type: "application/pdf", bytes: randomBytes(size) }] : [];
      const envelope = await sealEnvelope({
        publicKey,
        tenant: "musterstadt",
        formId: "contact",
        origin: "https://www.musterstadt.example",
        fields: [["name", `Person ${i}`], ["nachricht", "Guten Tag, ".repeat(20)]],
        files,
      });
      writeFileSync(join(dir, `${String(i).padStart(5, "0")}.kdseal`), envelope);
    }
    const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const times = [];
    for (let run = 0; run < 3; run++) {
      const start = process.hrtime.bigint();
      const result = spawnSync(binary, ["open", "--key", key, dir], { maxBuffer: 1 << 30 });
      if (result.status !== 0) throw new Error(result.stderr.toString());
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const seconds = times.sort((a, b) => a - b)[1];
    console.log(
      `${label.padEnd(40)} ${(bytes / 1e6).toFixed(1).padStart(7)} MB in ${seconds.toFixed(2)} s: ` +
        `${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ${(count / seconds).toFixed(0)} submissions/s`,
    );
    rmSync(dir, { recursive: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
