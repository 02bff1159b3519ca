// The banner's look as the operator chooses it (`banner.layout`, `banner.position`,
// `banner.colorScheme`): every layout and position on a desktop and a phone puts the banner where
// it says, keeps the three choices equal, visible and uncovered, and passes axe; the colour scheme
// follows the config, not only the visitor's setting — the embed placeholder's too.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, axeViolations, demoSuite, newPage, ready } from "./harness.mjs";

const suite = demoSuite();
const DEMO = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));
const DEVICES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true },
};

/** Opens `path` with the demo config's `banner` set to `banner`. */
async function visit(banner, options, path = "/") {
  const context = await suite.browser.newContext(options);
  const page = await newPage(context);
  const config = JSON.stringify({ ...DEMO, banner });
  await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: config }));
  await page.goto(`${suite.server.url}${path}`);
  await ready(page);
  await page.waitForSelector(path === "/blocking.html" ? ".kd-embed" : ".kd-banner");
  await page.waitForTimeout(400);
  return { context, page };
}

for (const [layout, position] of [
  ["box", "bottom"],
  ["box", "top"],
  ["box", "bottom-left"],
  ["box", "bottom-right"],
  ["bar", "bottom"],
  ["bar", "top"],
  ["cloud", "bottom"],
  ["cloud", "top"],
]) {
  for (const [device, options] of Object.entries(DEVICES)) {
    test(`layout ${layout}, position ${position}, ${device}: where it says, three equal choices in view, no axe violation`, async () => {
      const { context, page } = await visit({ layout, position }, options);
      const { width, height } = options.viewport;
      const seen = await page.evaluate(() => {
        const banner = document.querySelector(".kd-banner");
        const box = (element) => element.getBoundingClientRect().toJSON();
        return {
          banner: box(banner),
          buttons: [...banner.querySelectorAll(".kd-actions button")].map((button) => {
            const b = box(button);
            const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2)?.closest("button");
            return { ...b, action: button.dataset.keksdoseAction, uncovered: hit === button, clipped: button.scrollWidth > button.clientWidth };
          }),
        };
      });
      const { banner, buttons } = seen;
      assert.ok(banner.top >= 0 && banner.bottom <= height && banner.left >= 0 && banner.right <= width, JSON.stringify(banner));
      if (position === "top") assert.ok(banner.top <= 16, `at the top: ${banner.top}`);
      else assert.ok(banner.bottom >= height - 16, `at the bottom: ${banner.bottom}`);
      if (layout === "bar") assert.equal(banner.width, width, "a bar spans the screen");
      if (device === "desktop" && position === "bottom-left") assert.ok(banner.left <= 16 && banner.right < width / 2, "on the left");
      if (device === "desktop" && position === "bottom-right") assert.ok(banner.right >= width - 16 && banner.left > width / 2, "on the right");
      if (device === "desktop" && layout !== "box") {
        assert.ok(buttons.every((b) => b.left > banner.left + banner.width / 2), "the choices beside the text");
      }
      if (device === "phone") assert.ok(banner.height <= height / 2, `half the screen at most: ${banner.height}`);
      assert.deepEqual(buttons.map((b) => b.action), ["accept-all", "reject-all", "settings"]);
      const size = (b) => `${Math.round(b.width)}×${Math.round(b.height)}`;
      assert.equal(new Set(buttons.map(size)).size, 1, `equal: ${buttons.map(size)}`);
      for (const b of buttons) {
        assert.ok(b.top >= banner.top && b.bottom <= banner.bottom && b.uncovered && !b.clipped, `${b.action}: ${JSON.stringify(b)}`);
      }
      assert.deepEqual(await axeViolations(page), []);
      await context.close();
    });
  }
}

for (const [colorScheme, visitor, background] of [
  ["light", "dark", "rgb(255, 255, 255)"],
  ["dark", "light", "rgb(31, 31, 31)"],
  ["auto", "dark", "rgb(31, 31, 31)"],
  ["auto", "light", "rgb(255, 255, 255)"],
]) {
  test(`colorScheme ${colorScheme} for a visitor who prefers ${visitor}: banner, preferences and placeholder follow the config`, async () => {
    const { context, page } = await visit({ colorScheme }, { colorScheme: visitor }, "/blocking.html");
    const backgrounds = () =>
      page.evaluate(() =>
        [".kd-banner", ".kd-embed", ".kd-dialog"].filter((s) => document.querySelector(s)).map((s) => getComputedStyle(document.querySelector(s)).backgroundColor),
      );
    assert.deepEqual(await backgrounds(), [background, background]);
    await page.click('.kd-banner [data-keksdose-action="settings"]');
    await page.waitForTimeout(400);
    assert.deepEqual(await backgrounds(), [background, background, background]);
    assert.deepEqual(await axeViolations(page), []);
    await context.close();
  });
}
