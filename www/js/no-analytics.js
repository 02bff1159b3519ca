// Runs only after the visitor refused statistics (data-category="!analytics").
window.kdDemo = window.kdDemo || {};
window.kdDemo.optOutRuns = (window.kdDemo.optOutRuns || 0) + 1;
