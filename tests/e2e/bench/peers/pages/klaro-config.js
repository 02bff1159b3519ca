// Klaro 0.7 configured as its annotated dist/config.js shows: a global klaroConfig, loaded with
// `defer` before klaro.js. Elements with data-name are managed by the service of that name.
var klaroConfig = {
  version: 1,
  elementID: "klaro",
  styling: { theme: ["light", "bottom", "wide"] },
  noAutoLoad: false,
  htmlTexts: true,
  groupByPurpose: true,
  storageMethod: "cookie",
  cookieName: "klaro",
  cookieExpiresAfterDays: 180,
  default: false,
  mustConsent: false,
  acceptAll: true,
  hideDeclineAll: false,
  hideLearnMore: false,
  noticeAsModal: false,
  translations: {
    zz: { privacyPolicyUrl: "/datenschutz.html" },
    de: {
      privacyPolicyUrl: "/datenschutz.html",
      matomo: { description: "Besucherstatistik, selbst betrieben (Cookies _pk_*, 13 Monate)" },
      video: { description: "Eingebettete Videos der Videoportal GmbH" },
      purposes: { analytics: "Besucherstatistik", media: "Medien" },
    },
    en: {
      privacyPolicyUrl: "/datenschutz.html",
      matomo: { description: "Visitor statistics, self-hosted (cookies _pk_*, 13 months)" },
      video: { description: "Embedded videos by Videoportal GmbH" },
      purposes: { analytics: "Visitor statistics", media: "Media" },
    },
  },
  services: [
    {
      name: "matomo",
      title: "Matomo",
      purposes: ["analytics"],
      cookies: [/^_pk_.*$/],
      required: false,
      optOut: false,
      onlyOnce: true,
    },
    {
      name: "video",
      title: "Videoportal",
      purposes: ["media"],
      required: false,
      optOut: false,
    },
  ],
};
