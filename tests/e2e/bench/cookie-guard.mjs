// Benchmark (not a test): the cost of a `document.cookie` write through keksdose's guard against
// the browser's own setter, in the same page of headless Chromium. Rounds alternate between the
// variants; the figures are medians over rounds, so a noisy machine shifts all of them alike.
//   node tests/e2e/bench/cookie-guard.mjs
import { launch, newPage, ready, startServer } from "../harness.mjs";

const WRITES = 2000;
const ROUNDS = 25;

const server = await startServer();
const browser = await launch();
try {
  const page = await newPage(await browser.newContext());
  await page.goto(`${server.url}/`);
  await ready(page);
  const result = await page.evaluate(
    ({ writes, rounds }) => {
      const native = Object.getOwnPropertyDescriptor(Document.prototype, "cookie").set;
      const variants = {
        // The browser's setter, bypassing the guard.
        unguarded: (i) => native.call(document, `PHPSESSID=b${i}; path=/`),
        // Through the guard, allowed (a necessary cookie): decision + the same native write.
        "guarded, allowed": (i) => (document.cookie = `PHPSESSID=b${i}; path=/`),
        // Through the guard, refused (no consent): decision only, nothing written.
        "guarded, blocked": (i) => (document.cookie = `_ga=b${i}; path=/`),
      };
      const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        for (const [name, write] of Object.entries(variants)) {
          const start = performance.now();
          for (let i = 0; i < writes; i++) write(i);
          samples[name].push(((performance.now() - start) * 1000) / writes);
        }
      }
      const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    },
    { writes: WRITES, rounds: ROUNDS },
  );
  const base = result.unguarded;
  console.log(`document.cookie writes, median of ${ROUNDS} rounds x ${WRITES} writes (Chromium ${browser.version()})`);
  for (const [name, micros] of Object.entries(result)) {
    console.log(`${name.padEnd(18)} ${micros.toFixed(2).padStart(7)} µs/write   ${(micros / base).toFixed(2)}x unguarded`);
  }
} finally {
  await browser.close();
  await server.stop();
}
