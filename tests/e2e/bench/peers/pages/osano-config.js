// Osano cookieconsent 3 set up as its documentation shows: initialise() on window load, type
// "opt-in". It shows the banner and stores the choice; blocking is the site's job, so the
// callbacks insert the analytics script and load the frame once the visitor has consented.
(function () {
  var enabled = false;
  function enable() {
    if (enabled) return;
    enabled = true;
    var script = document.createElement("script");
    script.src = "http://stats.bench.test:__PORT__/analytics.js";
    document.head.appendChild(script);
    document.querySelectorAll("iframe.bench-video[data-src]").forEach(function (frame) {
      frame.src = frame.getAttribute("data-src");
    });
  }

  window.addEventListener("load", function () {
    window.cookieconsent.initialise(
      {
        type: "opt-in",
        position: "bottom",
        palette: {
          popup: { background: "#0b4f6c", text: "#ffffff" },
          button: { background: "#ffffff", text: "#0b4f6c" },
        },
        content: {
          message:
            "Wir verwenden technisch notwendige Cookies. Mit Ihrer Einwilligung zusätzlich eine Besucherstatistik (Matomo) und eingebettete Videos.",
          allow: "Alle akzeptieren",
          deny: "Nur notwendige",
          link: "Datenschutz",
          href: "/datenschutz.html",
          policy: "Cookie-Einstellungen",
        },
        onInitialise: function () {
          if (this.options.type === "opt-in" && this.hasConsented()) enable();
        },
        onStatusChange: function () {
          if (this.options.type === "opt-in" && this.hasConsented()) enable();
        },
      },
      function (popup) {
        document.querySelectorAll("a.bench-preferences").forEach(function (link) {
          link.addEventListener("click", function (event) {
            event.preventDefault();
            popup.revokeChoice();
          });
        });
      },
    );
  });
})();
