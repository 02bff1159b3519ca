// (e) Behaves like a tag manager: after the page has loaded it adds an analytics script and a
// tracking pixel from another origin (stats.localhost, served by the same demo server).
window.kdDemo = window.kdDemo || {};
window.addEventListener("load", () => {
  const origin = `${location.protocol}//stats.localhost:${location.port}`;
  const script = document.createElement("script");
  script.src = `${origin}/third-party/analytics.js`;
  script.async = true;
  document.head.appendChild(script);
  const pixel = new Image();
  pixel.src = `${origin}/third-party/pixel.gif?page=${encodeURIComponent(location.pathname)}`;
  window.kdDemo.tagManagerRan = true;
});
