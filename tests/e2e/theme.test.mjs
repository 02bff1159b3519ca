// A theme in the config (`banner.theme`): its colours reach the banner, the buttons and the embed
// placeholder in the scheme it is shown in, under the demo's strict CSP (`style-src 'self'`); the
// three choices stay equal and axe finds nothing; the operator's own custom properties still win;
// and a theme whose contrast is too low fails closed, naming its path in the console.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, axeViolations, demoSuite, errorText, errors, jar, newPage, ready } from "./harness.mjs";

const suite = demoSuite();
const DEMO = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));

const THEME = {
  light: { background: "#FFFBE6", text: "#222", link: "#0050a0", button: "#1a5e20", buttonText: "#fff", focus: "#a00000" },
  dark: { background: "#102030", text: "#f0f0f0", link: "#ffd166", button: "#ffd166", buttonText: "#102030" },
};
/** What the browser computes for the theme's colours, by scheme. */
const COMPUTED = {
  light: { background: "rgb(255, 251, 230)", text: "rgb(34, 34, 34)", link: "rgb(0, 80, 160)", button: "rgb(26, 94, 32)", buttonText: "rgb(255, 255, 255)" },
  dark: { background: "rgb(16, 32, 48)", text: "rgb(240, 240, 240)", link: "rgb(255, 209, 102)", button: "rgb(255, 209, 102)", buttonText: "rgb(16, 32, 48)" },
};

/** Opens `path` with the demo config's `banner` set to `banner`; CSP violations are kept in
 * `window.cspViolations`. */
async function visit(banner, options = {}, path = "/blocking.html") {
  const context = await suite.browser.newContext(options);
  const page = await newPage(context);
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`));
  });
  const config = JSON.stringify({ ...DEMO, banner });
  await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: config }));
  const response = await page.goto(`${suite.server.url}${path}`);
  await ready(page);
  return { context, page, csp: response.headers()["content-security-policy"] };
}

/** The colours of the first layer, its choices and the embed placeholder as computed. */
function seen(page) {
  return page.evaluate(() => {
    const style = (selector) => getComputedStyle(document.querySelector(selector));
    const button = (action) => {
      const element = document.querySelector(`.kd-banner [data-keksdose-action="${action}"]`);
      const s = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      return {
        size: `${Math.round(box.width)}×${Math.round(box.height)}`,
        look: [s.backgroundColor, s.color, s.borderTop, s.borderRadius, s.fontWeight, s.fontSize, s.padding].join(" | "),
      };
    };
    return {
      background: style(".kd-banner").backgroundColor,
      text: style(".kd-banner .kd-text").color,
      link: style(".kd-banner .kd-links a").color,
      embed: [style(".kd-embed").backgroundColor, style(".kd-embed").color],
      buttons: ["accept-all", "reject-all", "settings"].map(button),
    };
  });
}

for (const [colorScheme, visitor, scheme] of [
  ["light", "dark", "light"],
  ["dark", "light", "dark"],
  ["auto", "dark", "dark"],
]) {
  test(`a theme, colorScheme ${colorScheme} for a visitor who prefers ${visitor}: the ${scheme} colours on banner, buttons and placeholder, equal choices, no axe violation, under the strict CSP`, async () => {
    const { context, page, csp } = await visit({ colorScheme, theme: THEME }, { colorScheme: visitor });
    assert.match(csp, /style-src 'self'$/, "no 'unsafe-inline' for styles");
    await page.waitForSelector(".kd-banner");
    await page.waitForTimeout(400);
    const colours = COMPUTED[scheme];
    const found = await seen(page);
    assert.equal(found.background, colours.background);
    assert.equal(found.text, colours.text);
    assert.equal(found.link, colours.link);
    assert.deepEqual(found.embed, [colours.background, colours.text], "the placeholder follows the theme too");
    const [accept, reject, settings] = found.buttons;
    assert.ok(accept.look.startsWith(`${colours.button} | ${colours.buttonText} | `), accept.look);
    assert.deepEqual([reject, settings], [accept, accept], "the three choices are equal in size and style");
    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    assert.deepEqual(errors(page), []);
    await context.close();
  });
}

test("the operator's own custom properties on .kd-root still win over the theme", async () => {
  // A stylesheet added by the test: under the demo's CSP only with the CSP bypassed.
  const { context, page } = await visit({ colorScheme: "light", theme: THEME }, { bypassCSP: true });
  await page.addStyleTag({ content: ".kd-root { --kd-button-bg: #000; --kd-button-radius: 0px; }" });
  await page.waitForSelector(".kd-banner");
  const buttons = await seen(page);
  assert.ok(buttons.buttons[0].look.startsWith("rgb(0, 0, 0) | rgb(255, 255, 255) | "), buttons.buttons[0].look);
  assert.match(buttons.buttons[0].look, / \| 0px \| /);
  assert.equal(new Set(buttons.buttons.map((b) => b.look)).size, 1);
  assert.equal(buttons.background, COMPUTED.light.background, "the rest of the theme stays");
  await context.close();
});

test("a theme whose contrast is too low: no banner, the failure notice, a console error naming banner.theme", async () => {
  const theme = { light: { text: "#999999" }, dark: { button: "#333", buttonText: "#000" } };
  const { context, page } = await visit({ theme }, {}, "/");
  await page.waitForTimeout(400);
  const logged = errorText(page);
  assert.match(logged, /keksdose: invalid config:/);
  assert.match(logged, /banner\.theme\.light\.text: contrast 2\.8:1 with background #ffffff; at least 4\.5:1 is needed \(WCAG 2\.1 AA\)/);
  assert.match(logged, /banner\.theme\.dark\.buttonText: contrast 1\.6:1 with button #333333; at least 4\.5:1 is needed/);
  assert.equal(await page.locator(".kd-banner").count(), 0);
  assert.ok(await page.isVisible(".kd-notice"));
  assert.equal(await page.evaluate(() => window.keksdose.acceptedCategory("analytics")), false);
  assert.equal(await page.evaluate(() => document.documentElement.style.length), 0, "no colour was set");
  assert.deepEqual(await jar(context), {});
  await context.close();
});
