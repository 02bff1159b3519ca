// vanilla-cookieconsent v3 set up as its "Getting started" shows: a module that imports the UMD
// build and calls CookieConsent.run(). Script tags with data-category are managed by default.
import "/vendor/vanilla-cookieconsent/cookieconsent.umd.js";

CookieConsent.run({
  // Default true: the plugin stops when navigator.webdriver is set, as it is in Chromium driven by
  // Playwright. Visitors' browsers never get here either way.
  hideFromBots: false,
  guiOptions: {
    consentModal: { layout: "box", position: "bottom right", equalWeightButtons: true },
    preferencesModal: { layout: "box", equalWeightButtons: true },
  },
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: {
      autoClear: { cookies: [{ name: /^_pk_/ }] },
      services: { matomo: { label: "Matomo" } },
    },
    media: {
      services: { video: { label: "Videoportal" } },
    },
  },
  language: {
    default: "de",
    autoDetect: "document",
    translations: {
      de: {
        consentModal: {
          title: "Cookies im Bürgerportal",
          description:
            "Wir verwenden technisch notwendige Cookies. Mit Ihrer Einwilligung zusätzlich eine Besucherstatistik (Matomo) und eingebettete Videos.",
          acceptAllBtn: "Alle akzeptieren",
          acceptNecessaryBtn: "Nur notwendige",
          showPreferencesBtn: "Einstellungen",
          footer: '<a href="/datenschutz.html">Datenschutz</a> <a href="/impressum.html">Impressum</a>',
        },
        preferencesModal: {
          title: "Cookie-Einstellungen",
          acceptAllBtn: "Alle akzeptieren",
          acceptNecessaryBtn: "Nur notwendige",
          savePreferencesBtn: "Auswahl speichern",
          closeIconLabel: "Schließen",
          sections: [
            { title: "Notwendig", description: "Für den Betrieb der Seite erforderlich.", linkedCategory: "necessary" },
            {
              title: "Statistik",
              description: "Matomo, selbst betrieben: Besucherstatistik. Cookies _pk_*, 13 Monate.",
              linkedCategory: "analytics",
            },
            { title: "Medien", description: "Videoportal GmbH: eingebettete Videos.", linkedCategory: "media" },
          ],
        },
      },
      en: {
        consentModal: {
          title: "Cookies on the citizens' portal",
          description:
            "We use technically necessary cookies. With your consent also visitor statistics (Matomo) and embedded videos.",
          acceptAllBtn: "Accept all",
          acceptNecessaryBtn: "Necessary only",
          showPreferencesBtn: "Settings",
          footer: '<a href="/datenschutz.html">Privacy</a> <a href="/impressum.html">Imprint</a>',
        },
        preferencesModal: {
          title: "Cookie settings",
          acceptAllBtn: "Accept all",
          acceptNecessaryBtn: "Necessary only",
          savePreferencesBtn: "Save selection",
          closeIconLabel: "Close",
          sections: [
            { title: "Necessary", description: "Required to run the site.", linkedCategory: "necessary" },
            {
              title: "Statistics",
              description: "Matomo, self-hosted: visitor statistics. Cookies _pk_*, 13 months.",
              linkedCategory: "analytics",
            },
            { title: "Media", description: "Videoportal GmbH: embedded videos.", linkedCategory: "media" },
          ],
        },
      },
    },
  },
});
