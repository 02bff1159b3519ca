// Any language the config gives every text for, beside the shipped German and English: chosen
// by `<html lang>`, then the browser; every visitor-facing string in it, service names and
// providers included; right to left where the language is written so; and a text missing in an
// offered language is an error — in `check-config` and in the browser, which then fails closed —
// never a silent fallback to another language.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ROOT, axeViolations, cli, demoSuite, errorText, jar, newPage, ready } from "./harness.mjs";

const suite = demoSuite();
const DEMO = JSON.parse(readFileSync(join(ROOT, "www", "keksdose.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "kd-languages-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The demo config offered also in `languages`, each with `texts[lang]`, and every text the
 * visitor sees given in them as `[lang] …` (category titles and descriptions keksdose ships for
 * German and English only). */
function offeredIn(languages, texts) {
  const config = structuredClone(DEMO);
  const translate = (value) =>
    typeof value === "object" && value !== null
      ? { ...value, ...Object.fromEntries(languages.map((lang) => [lang, `[${lang}] ${value.en}`])) }
      : value;
  for (const [name, category] of Object.entries(config.categories)) {
    for (const field of ["title", "description"]) {
      category[field] = translate(category[field] ?? { en: `${name} ${field}` });
      if (!DEMO.categories[name][field]) delete category[field].en;
    }
    for (const service of Object.values(category.services ?? {})) {
      for (const field of ["name", "provider", "purpose", "retention", "recipients"]) service[field] = translate(service[field]);
    }
  }
  config.texts = { ...config.texts, ...texts };
  return config;
}

/** Every text key, named by check-config when a language gives none of them. */
let keys = [];

test("check-config: a language keksdose does not ship needs every text; each missing one is named", async () => {
  const file = join(dir, "tr-empty.json");
  const config = offeredIn(["tr"], { tr: {} });
  delete config.categories.analytics.services.matomo.purpose.tr;
  writeFileSync(file, JSON.stringify(config));
  const { code, stdout, stderr } = await cli(["check-config", file]);
  const output = stdout + stderr;
  assert.notEqual(code, 0, output);
  assert.match(output, /categories\.analytics\.services\.matomo\.purpose\.tr: missing: the banner is offered in de, en, tr/);
  const missing = output.match(/texts\.tr: missing (.*): keksdose ships texts only for de, en/);
  assert.ok(missing, output);
  keys = missing[1].split(", ");
  assert.ok(keys.includes("acceptAll") && keys.includes("embedNotice") && keys.includes("sealSent"), keys.join());
});

/** Texts of `lang` for every key (the embed notice keeps its `{provider}`). */
const all = (lang) => Object.fromEntries(keys.map((key) => [key, key === "embedNotice" ? `[${lang}] {provider}` : `[${lang}] ${key}`]));

/** Opens `path` with `<html lang="lang">` and `config`, in a context with `options`. */
async function visit(lang, config, { path = "/", options = {} } = {}) {
  const context = await suite.browser.newContext(options);
  const page = await newPage(context);
  await page.route("**/keksdose.json", (route) => route.fulfill({ contentType: "application/json", body: JSON.stringify(config) }));
  await page.route(`**${path === "/" ? "/" : path}`, async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace('<html lang="de">', `<html lang="${lang}">`);
    await route.fulfill({ response, body });
  });
  await page.goto(`${suite.server.url}${path}`);
  await ready(page);
  return { context, page };
}

test("<html lang=tr>: banner, preferences, service names and providers in Turkish; the record says tr", async () => {
  assert.ok(keys.length > 30, "the key names came from check-config");
  const { context, page } = await visit("tr", offeredIn(["tr"], { tr: all("tr") }));
  await page.waitForSelector(".kd-banner:not([hidden])");
  const banner = await page.evaluate(() => {
    const root = document.querySelector(".kd-root");
    return { lang: root.lang, dir: root.dir, language: window.keksdose.language, text: root.querySelector(".kd-banner").innerText };
  });
  assert.deepEqual([banner.lang, banner.dir, banner.language], ["tr", "", "tr"]);
  for (const text of ["[tr] bannerTitle", "[tr] acceptAll", "[tr] rejectAll", "[tr] settings", "[tr] Ad tracker", "[tr] Beispiel Werbenetz Ltd., 1 Example Street, Dublin, Ireland"]) {
    assert.ok(banner.text.includes(text), `${text} in ${banner.text}`);
  }
  for (const other of ["Werbe-Tracker", "Alle akzeptieren", "Accept all", "Irland"]) assert.ok(!banner.text.includes(other), other);
  assert.deepEqual(await axeViolations(page), []);

  await page.click('.kd-banner [data-keksdose-action="settings"]');
  await page.waitForSelector(".kd-dialog:not([hidden])");
  await page.evaluate(() => document.querySelectorAll(".kd-dialog details").forEach((details) => (details.open = true)));
  const dialog = await page.locator(".kd-dialog").innerText();
  for (const text of ["[tr] preferencesTitle", "[tr] Session", "[tr] necessary title", "[tr] provider", "[tr] Until the browser is closed", "[tr] save"]) {
    assert.ok(dialog.includes(text), `${text} in the preferences`);
  }
  assert.deepEqual(await axeViolations(page), []);
  await page.click('.kd-dialog [data-keksdose-action="accept-all"]');
  await page.waitForFunction(() => (localStorage.getItem("kd_consent.records") ?? "").includes('"language":"tr"'));
  await context.close();
});

test("the embed placeholder speaks the page's language", async () => {
  const { context, page } = await visit("tr", offeredIn(["tr"], { tr: all("tr") }), { path: "/blocking.html" });
  await page.waitForSelector(".kd-embed");
  const embed = await page.evaluate(() => {
    const placeholder = document.querySelector(".kd-embed");
    return { lang: placeholder.lang, text: placeholder.innerText };
  });
  assert.equal(embed.lang, "tr");
  assert.match(embed.text, /\[tr\] Video portal/);
  assert.match(embed.text, /\[tr\] Videoportal GmbH, Beispielweg 2, 10115 Berlin, Germany/);
  assert.match(embed.text, /\[tr\] loadOnce/);
  await context.close();
});

test("a page in a language not offered, a browser that prefers English: names and providers in English", async () => {
  const { context, page } = await visit("fr", DEMO, { options: { locale: "en-US" } });
  await page.waitForSelector(".kd-banner:not([hidden])");
  const text = await page.locator(".kd-banner").innerText();
  assert.equal(await page.evaluate(() => document.querySelector(".kd-root").lang), "en");
  assert.match(text, /Accept all/);
  assert.match(text, /Ad tracker \(Beispiel Werbenetz Ltd\., 1 Example Street, Dublin, Ireland\)/);
  for (const german of ["Werbe-Tracker", "Irland", "selbst betrieben", "Alle akzeptieren"]) assert.ok(!text.includes(german), german);
  await context.close();
});

test("Arabic is written right to left; the three choices stay equal", async () => {
  const { context, page } = await visit("ar", offeredIn(["ar"], { ar: all("ar") }));
  await page.waitForSelector(".kd-banner:not([hidden])");
  const seen = await page.evaluate(() => {
    const root = document.querySelector(".kd-root");
    const buttons = [...root.querySelectorAll(".kd-banner .kd-actions button")].map((b) => b.getBoundingClientRect());
    return { lang: root.lang, dir: root.dir, direction: getComputedStyle(root.querySelector(".kd-banner")).direction, buttons: buttons.map((b) => `${Math.round(b.width)}×${Math.round(b.height)}`), firstRight: buttons[0].right > buttons[1].right };
  });
  assert.deepEqual([seen.lang, seen.dir, seen.direction], ["ar", "rtl", "rtl"]);
  assert.equal(new Set(seen.buttons).size, 1, `equal: ${seen.buttons}`);
  assert.ok(seen.firstRight, "the first choice stands on the right, where right-to-left reading starts");
  assert.deepEqual(await axeViolations(page), []);
  await context.close();
});

test("a text missing in an offered language: the browser fails closed and the console names it", async () => {
  const texts = all("tr");
  delete texts.acceptAll;
  const { context, page } = await visit("tr", offeredIn(["tr"], { tr: texts }));
  await page.waitForSelector(".kd-notice");
  assert.equal(await page.locator(".kd-banner").count(), 0, "no banner with a text missing");
  assert.match(errorText(page), /texts\.tr: missing acceptAll: keksdose ships texts only for de, en/);
  await page.evaluate(() => (document.cookie = "_ga=tracked; path=/"));
  assert.equal((await jar(context))._ga, undefined, "nothing that needs consent is written");
  await context.close();
});
