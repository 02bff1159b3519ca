// Accessibility (BITV 2.0 / WCAG 2.1 AA) and equal prominence of the first-layer choices.
import assert from "node:assert/strict";
import { test } from "node:test";
import { axeViolations as violations, bannerFocused, demoSuite, newPage, ready } from "./harness.mjs";

const suite = demoSuite();

for (const colorScheme of ["light", "dark"]) {
  for (const path of ["/", "/en/"]) {
    test(`R14: axe: zero violations on ${path} (${colorScheme}), banner and preferences`, async () => {
      const context = await suite.browser.newContext({ colorScheme });
      const page = await newPage(context);
      await page.goto(`${suite.server.url}${path}`);
      await ready(page);
      await page.waitForSelector(".kd-banner");
      // Let the entry animation finish so contrast is measured on final colours.
      await page.waitForTimeout(400);
      assert.deepEqual(await violations(page), [], "banner");
      await page.click('.kd-banner [data-keksdose-action="settings"]');
      await page.waitForTimeout(400);
      assert.deepEqual(await violations(page), [], "preferences");
      await context.close();
    });
  }
}

test("R14: axe: zero violations on the embed placeholder", async () => {
  const context = await suite.browser.newContext();
  const page = await newPage(context);
  await page.goto(`${suite.server.url}/blocking.html`);
  await page.waitForSelector(".kd-embed");
  await page.click('.kd-banner [data-keksdose-action="reject-all"]');
  assert.deepEqual(await violations(page, ".kd-embed"), []);
  assert.equal(await page.getAttribute(".kd-embed", "aria-label"), "Stadtfilm Musterstadt");
  await context.close();
});

test("R14: opening the banner and the preferences is announced: a named dialog receives focus", async () => {
  const { context, page } = await suite.visit();
  const announced = (selector) =>
    page.$eval(selector, (dialog) => ({
      role: dialog.getAttribute("role"),
      name: document.getElementById(dialog.getAttribute("aria-labelledby"))?.textContent,
      description: dialog.getAttribute("aria-describedby") && document.getElementById(dialog.getAttribute("aria-describedby"))?.textContent.length > 0,
      modal: dialog.getAttribute("aria-modal"),
      focused: document.activeElement === dialog,
      lang: dialog.closest("[lang]")?.getAttribute("lang"),
    }));
  await bannerFocused(page);
  assert.deepEqual(await announced(".kd-banner"), {
    role: "dialog",
    name: "Datenschutz auf dieser Website",
    description: true,
    modal: "false",
    focused: true,
    lang: "de",
  });
  await page.click('.kd-banner [data-keksdose-action="settings"]');
  assert.deepEqual(await announced(".kd-dialog"), {
    role: "dialog",
    name: "Datenschutz-Einstellungen",
    description: null,
    modal: "true",
    focused: true,
    lang: "de",
  });
  await context.close();
});

test("R5/R6: Accept all, Reject all and Settings are equal buttons", async () => {
  const { context, page } = await suite.visit();
  const styles = await page.$$eval(".kd-banner .kd-actions > *", (buttons) =>
    buttons.map((b) => {
      const s = getComputedStyle(b);
      const r = b.getBoundingClientRect();
      return {
        tag: b.tagName,
        action: b.dataset.keksdoseAction,
        look: [s.fontSize, s.fontWeight, s.fontFamily, s.color, s.backgroundColor, s.borderColor, s.padding].join("|"),
        width: Math.round(r.width),
        height: Math.round(r.height),
      };
    }),
  );
  assert.deepEqual(styles.map((s) => s.action), ["accept-all", "reject-all", "settings"]);
  assert.ok(styles.every((s) => s.tag === "BUTTON"));
  for (const s of styles.slice(1)) {
    assert.equal(s.look, styles[0].look, `${s.action} looks like accept-all`);
    assert.equal(s.width, styles[0].width, `${s.action} is as wide`);
    assert.equal(s.height, styles[0].height, `${s.action} is as high`);
  }
  await context.close();
});

for (const [width, height] of [
  [320, 640],
  [640, 360],
]) {
  test(`R14: reflow at ${width}x${height} CSS px: no horizontal scrolling, every control reachable`, async () => {
    const context = await suite.browser.newContext({ viewport: { width, height } });
    const page = await newPage(context);
    await page.goto(`${suite.server.url}/`);
    await ready(page);
    const fits = () =>
      page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(await fits(), "banner");
    for (const action of ["accept-all", "reject-all", "settings"]) {
      const button = page.locator(`.kd-banner [data-keksdose-action="${action}"]`);
      await button.scrollIntoViewIfNeeded();
      assert.ok(await button.isVisible(), action);
    }
    await page.click('.kd-banner [data-keksdose-action="settings"]');
    assert.ok(await fits(), "preferences");
    const save = page.locator('.kd-dialog [data-keksdose-action="save"]');
    await save.scrollIntoViewIfNeeded();
    await save.click();
    assert.equal(await page.evaluate(() => window.keksdose.validConsent()), true);
    await context.close();
  });
}

test("R14: reduced motion: no animation", async () => {
  const context = await suite.browser.newContext({ reducedMotion: "reduce" });
  const page = await newPage(context);
  await page.goto(`${suite.server.url}/`);
  await ready(page);
  const animation = await page.$eval(".kd-banner", (b) => getComputedStyle(b).animationName);
  assert.equal(animation, "none");
  await context.close();
});
