// Renders the pictures the README shows: the first layer and the preferences of the demo site, in
// German, light and dark, on a desktop (1280 × 800) and a phone (375 × 740), into
// docs/screenshots/. Run by `.ci/screenshots` (after a build); not a test.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, launch, newPage, ready, startServer } from "./harness.mjs";

const OUT = join(ROOT, "docs", "screenshots");
const DEVICES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
};

mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await launch();
try {
  for (const [device, options] of Object.entries(DEVICES)) {
    for (const colorScheme of ["light", "dark"]) {
      const context = await browser.newContext({ ...options, colorScheme, reducedMotion: "reduce" });
      const page = await newPage(context);
      await page.goto(`${server.url}/`);
      await ready(page);
      await page.waitForSelector(".kd-banner");
      const shot = async (view) => {
        const path = join(OUT, `${view}-${device}-${colorScheme}.png`);
        await page.screenshot({ path });
        console.log(path);
      };
      await shot("banner");
      await page.click('.kd-banner [data-keksdose-action="settings"]');
      await page.waitForSelector(".kd-dialog");
      await shot("preferences");
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
