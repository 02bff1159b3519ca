// Demo "analytics": what a tracker does when it runs — count the run and set its cookie.
window.kdDemo = window.kdDemo || {};
window.kdDemo.analyticsRuns = (window.kdDemo.analyticsRuns || 0) + 1;
document.cookie = "_pk_id.1=" + Math.random().toString(16).slice(2) + "; path=/; max-age=34186669; SameSite=Lax";
