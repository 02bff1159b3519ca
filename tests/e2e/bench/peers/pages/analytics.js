// The "analytics" payload of the peer benchmark, served as http://stats.bench.test:PORT/analytics.js:
// it must only run after consent. Records when it first ran and writes a Matomo-style cookie.
if (window.__activated === undefined) window.__activated = performance.now();
document.cookie = "_pk_id.1=bench; path=/";
