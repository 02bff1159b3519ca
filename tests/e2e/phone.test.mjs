// The first layer on a phone (375 × 740 CSS pixels, touch): with ten services it takes at most
// half of the screen, and its three equal choices are visible without scrolling — measured in
// Chromium, in German and English, light and dark; and axe finds nothing to object to there.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, axeViolations, demoSuite, newPage, ready } from "./harness.mjs";

const suite = demoSuite();

/** The demo config grown to ten services, with the demo's long provider names and addresses. */
function tenServices() {
  const config = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));
  const { categories } = config;
  const like = (service, name, provider, hosts) => ({ ...service, name, provider, hosts });
  categories.necessary.services.csrf = { ...categories.necessary.services.session, name: "Formularschutz", cookies: ["csrf"], storage: [] };
  const { matomo } = categories.analytics.services;
  categories.analytics.services.heatmap = like(matomo, "Heatmap", "Beispiel Analytics GmbH, Musterallee 5, 80331 München", ["heat.localhost"]);
  categories.analytics.services.survey = like(matomo, "Umfrage", "Umfragewerk AG, Hauptstraße 9, 50667 Köln", ["survey.localhost"]);
  const { tracker } = categories.marketing.services;
  categories.marketing.services.retargeting = like(tracker, "Retargeting", "Beispiel Retargeting Inc., 500 Market Street, San Francisco, USA", ["retarget.localhost"]);
  categories.marketing.services.pixel = like(tracker, "Newsletter-Pixel", "Versandhaus Mail GmbH, Postweg 3, 20095 Hamburg", ["mail.localhost"]);
  const { video } = categories.media.services;
  categories.media.services.maps = like(video, "Kartendienst", "Beispiel Karten GmbH, Kartenweg 7, 01067 Dresden", ["maps.localhost"]);
  const count = Object.values(categories).reduce((sum, c) => sum + Object.keys(c.services).length, 0);
  assert.equal(count, 10);
  return JSON.stringify(config);
}

for (const colorScheme of ["light", "dark"]) {
  for (const path of ["/", "/en/"]) {
    test(`phone, ten services, ${path} (${colorScheme}): the first layer takes at most half the screen, its three choices visible`, async () => {
      const context = await suite.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, colorScheme });
      const page = await newPage(context);
      const config = tenServices();
      await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: config }));
      await page.goto(`${suite.server.url}${path}`);
      await ready(page);
      await page.waitForSelector(".kd-banner");
      await page.waitForTimeout(400);
      const layout = await page.evaluate(() => {
        const box = (element) => {
          const { top, bottom, left, right } = element.getBoundingClientRect();
          return { top, bottom, left, right };
        };
        const banner = document.querySelector(".kd-banner");
        return {
          banner: box(banner),
          buttons: [...banner.querySelectorAll(".kd-actions button")].map((button) => ({
            action: button.dataset.keksdoseAction,
            clipped: button.scrollWidth > button.clientWidth || button.scrollHeight > button.clientHeight,
            ...box(button),
            // What is drawn at the button's centre is the button: nothing covers it.
            hit: banner.contains(document.elementFromPoint((box(button).left + box(button).right) / 2, (box(button).top + box(button).bottom) / 2)) &&
              document.elementFromPoint((box(button).left + box(button).right) / 2, (box(button).top + box(button).bottom) / 2).closest("button") === button,
          })),
          purposes: banner.querySelector(".kd-purposes").textContent,
        };
      });
      const height = layout.banner.bottom - layout.banner.top;
      assert.ok(height <= 370, `the banner is ${height} px high (at most 370 of 740)`);
      assert.ok(layout.banner.top >= 0 && layout.banner.bottom <= 740, JSON.stringify(layout.banner));
      assert.deepEqual(layout.buttons.map((b) => b.action), ["accept-all", "reject-all", "settings"]);
      for (const button of layout.buttons) {
        assert.ok(button.top >= layout.banner.top && button.bottom <= layout.banner.bottom && button.bottom <= 740, `${button.action} visible: ${JSON.stringify(button)}`);
        assert.ok(button.hit, `${button.action} is not covered`);
        assert.ok(!button.clipped, `${button.action}: its label fits`);
      }
      // Equal prominence: the same size.
      const size = (b) => `${Math.round(b.right - b.left)}×${Math.round(b.bottom - b.top)}`;
      assert.equal(new Set(layout.buttons.map(size)).size, 1, layout.buttons.map(size).join(", "));
      // It still names the purposes and who receives the data.
      for (const provider of ["Beispiel Retargeting Inc.", "Beispiel Karten GmbH", "Umfragewerk AG"]) assert.ok(layout.purposes.includes(provider), provider);
      assert.deepEqual(await axeViolations(page), []);
      await context.close();
    });
  }
}

test("phone, ten services: the preferences list the services by name per category, details one activation away, and keep their three choices in view", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const page = await newPage(context);
  const config = tenServices();
  await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: config }));
  await page.goto(`${suite.server.url}/`);
  await ready(page);
  await page.click('.kd-banner [data-keksdose-action="settings"]');
  await page.waitForSelector(".kd-dialog");
  await page.waitForTimeout(400);
  const state = () =>
    page.evaluate(() => {
      const dialog = document.querySelector(".kd-dialog");
      const shown = (element) => element.checkVisibility();
      return {
        summaries: [...dialog.querySelectorAll(".kd-more > summary")].map((summary) => summary.textContent),
        serviceSwitchesShown: [...dialog.querySelectorAll("[data-keksdose-service]")].filter(shown).length,
        buttons: [...dialog.querySelectorAll(":scope > .kd-actions button")].map((button) => {
          const { top, bottom } = button.getBoundingClientRect();
          const hit = document.elementFromPoint(button.getBoundingClientRect().left + 5, (top + bottom) / 2)?.closest("button");
          return { action: button.dataset.keksdoseAction, visible: top >= 0 && bottom <= innerHeight && hit === button };
        }),
      };
    });
  let seen = await state();
  assert.deepEqual(seen.summaries, ["Sitzung, Formularschutz", "Matomo, Heatmap, Umfrage", "Werbe-Tracker, Retargeting, Newsletter-Pixel", "Videoportal, Kartendienst"]);
  assert.equal(seen.serviceSwitchesShown, 0, "services collapsed");
  assert.deepEqual(seen.buttons, [
    { action: "accept-all", visible: true },
    { action: "reject-all", visible: true },
    { action: "save", visible: true },
  ]);
  // By keyboard: the second category's services open with Enter on their summary.
  await page.focus(".kd-category:nth-of-type(2) .kd-more > summary");
  await page.keyboard.press("Enter");
  seen = await state();
  assert.equal(seen.serviceSwitchesShown, 3, "Matomo, Heatmap and Umfrage shown");
  assert.deepEqual(await axeViolations(page), []);
  // Scrolled to the end, the choices are still in view.
  await page.evaluate(() => (document.querySelector(".kd-dialog").scrollTop = 1e6));
  seen = await state();
  assert.ok(seen.buttons.every((button) => button.visible), JSON.stringify(seen.buttons));
  await context.close();
});
