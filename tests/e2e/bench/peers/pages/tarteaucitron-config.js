// tarteaucitron 1.x set up as its README shows: init() right after tarteaucitron.min.js, custom
// services defined on tarteaucitron.services and pushed to tarteaucitron.job. At runtime it loads
// tarteaucitron.services.min.js, lang/tarteaucitron.de.min.js and css/tarteaucitron.min.css from
// its own directory.
tarteaucitron.init({
  privacyUrl: "/datenschutz.html",
  bodyPosition: "bottom",
  hashtag: "#tarteaucitron",
  cookieName: "tarteaucitron",
  orientation: "bottom",
  groupServices: false,
  showDetailsOnClick: true,
  serviceDefaultState: "wait",
  showAlertSmall: false,
  showTitleBanner: false,
  cookieslist: false,
  cookieslistEmbed: false,
  showIcon: true,
  iconPosition: "BottomRight",
  adblocker: false,
  DenyAllCta: true,
  AcceptAllCta: true,
  highPrivacy: true,
  alwaysNeedConsent: false,
  handleBrowserDNTRequest: false,
  removeCredit: false,
  moreInfoLink: true,
  useExternalCss: false,
  useExternalJs: false,
  mandatory: true,
  mandatoryCta: true,
  // No Google, Bing or Piano service on this page.
  googleConsentMode: false,
  bingConsentMode: false,
  pianoConsentMode: false,
  softConsentMode: false,
  dataLayer: false,
  serverSide: false,
  partnersList: false,
});

tarteaucitron.services.benchstats = {
  key: "benchstats",
  type: "analytic",
  name: "Matomo (Besucherstatistik)",
  uri: "/datenschutz.html",
  needConsent: true,
  cookies: ["_pk_id.1"],
  js: function () {
    "use strict";
    tarteaucitron.addScript("http://stats.bench.test:__PORT__/analytics.js");
  },
};

tarteaucitron.services.benchvideo = {
  key: "benchvideo",
  type: "video",
  name: "Videoportal",
  uri: "/datenschutz.html",
  needConsent: true,
  cookies: [],
  js: function () {
    "use strict";
    document.querySelectorAll("iframe.bench-video[data-src]").forEach(function (frame) {
      frame.src = frame.getAttribute("data-src");
    });
  },
};

(tarteaucitron.job = tarteaucitron.job || []).push("benchstats");
(tarteaucitron.job = tarteaucitron.job || []).push("benchvideo");
