// Benchmark (not a test): sealing a form with an attachment of 1 KB, 1 MB and 25 MB in headless
// Chromium, against WebCrypto doing the same cryptographic work in the same page (SHA-256 of the
// file, AES-256-GCM in 64 KiB chunks over file slices). keksdose is timed from submit to the
// collector's answer on loopback (read, hash, seal, upload, store); medians of several runs.
//   node tests/e2e/bench/seal-throughput.mjs
import { randomBytes } from "node:crypto";
import { launch, newPage, ready, startServer } from "../harness.mjs";

const SIZES = [
  ["1 KB", 1024, 9],
  ["1 MB", 1024 * 1024, 7],
  ["25 MB", 25 * 1024 * 1024, 5],
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startServer();
const browser = await launch();
try {
  const page = await newPage(await browser.newContext());
  await page.goto(`${server.url}/kontakt.html`);
  await ready(page);
  await page.click('[data-keksdose-action="reject-all"]');
  console.log(`seal throughput, Chromium ${browser.version()}, medians`);
  console.log(`${"attachment".padEnd(11)} ${"keksdose".padStart(22)} ${"WebCrypto".padStart(22)}   ratio`);
  for (const [label, size, runs] of SIZES) {
    const buffer = randomBytes(size);
    const ours = [];
    const theirs = [];
    for (let run = 0; run < runs; run++) {
      for (const [id, value] of [["name", "Bench"], ["vorname", "Mark"], ["email", "b@example.org"], ["betreff", "x"], ["nachricht", "y"]]) {
        await page.fill(`#${id}`, value);
      }
      await page.setInputFiles("#anhang", { name: "bench.bin", mimeType: "application/octet-stream", buffer });
      // WebCrypto first, on the very File the form holds (submitting resets the form).
      theirs.push(
        await page.evaluate(async () => {
          const file = document.querySelector("#anhang").files[0];
          const start = performance.now();
          const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
          await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
          const iv = new Uint8Array(12);
          for (let at = 0; at < file.size; at += 65536) {
            const chunk = await file.slice(at, at + 65536).arrayBuffer();
            new DataView(iv.buffer).setUint32(8, at / 65536);
            await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, chunk);
          }
          return performance.now() - start;
        }),
      );
      ours.push(
        await page.evaluate(
          () =>
            new Promise((resolve, reject) => {
              const line = () => document.querySelector("[data-keksdose-status]");
              if (line()) line().textContent = "";
              const form = document.querySelector("form");
              const start = performance.now();
              const observer = new MutationObserver(() => {
                const now = line()?.textContent ?? "";
                if (/übermittelt/.test(now)) {
                  observer.disconnect();
                  resolve(performance.now() - start);
                } else if (/Nicht/.test(now)) {
                  observer.disconnect();
                  reject(new Error(now));
                }
              });
              observer.observe(form, { subtree: true, childList: true, characterData: true });
              form.requestSubmit();
            }),
        ),
      );
    }
    const rate = (ms) => `${((size / 1e6) / (ms / 1000)).toFixed(1)} MB/s (${ms.toFixed(1)} ms)`;
    const [a, b] = [median(ours), median(theirs)];
    console.log(`${label.padEnd(11)} ${rate(a).padStart(22)} ${rate(b).padStart(22)}   ${(a / b).toFixed(2)}x`);
  }
} finally {
  await browser.close();
  await server.stop();
}
