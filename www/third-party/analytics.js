// Served from stats.localhost: the "analytics" a tag manager loads.
window.kdDemo = window.kdDemo || {};
window.kdDemo.thirdPartyRuns = (window.kdDemo.thirdPartyRuns || 0) + 1;
document.cookie = "_pk_id.9=from-stats-localhost; path=/; max-age=34186669";
localStorage.setItem("matomo_thirdparty", "demo");
