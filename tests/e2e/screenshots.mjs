// Renders the pictures the README shows: the first layer and the preferences of the demo site, in
// German, light and dark, on a desktop (1280 × 800) and a phone (375 × 740), and the first layer
// in each other layout (`banner.layout`), into docs/screenshots/. Run by `.ci/screenshots`
// (after a build); not a test.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, launch, newPage, ready, startServer } from "./harness.mjs";

const OUT = join(ROOT, "docs", "screenshots");
const DEVICES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
};

const DEMO = readFileSync(join(ROOT, "www", "keksdose.json"), "utf8");

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
    for (const layout of ["bar", "cloud"]) {
      const context = await browser.newContext({ ...options, reducedMotion: "reduce" });
      const page = await newPage(context);
      const config = JSON.stringify({ ...JSON.parse(DEMO), banner: { layout } });
      await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: config }));
      await page.goto(`${server.url}/`);
      await ready(page);
      await page.waitForSelector(".kd-banner");
      const path = join(OUT, `banner-${layout}-${device}-light.png`);
      await page.screenshot({ path });
      console.log(path);
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
