// Runs right after keksdose.js: the API must already be there and answer synchronously.
window.kdDemo = window.kdDemo || {};
window.kdDemo.probe = {
  apiPresent: typeof window.keksdose === "object" && window.keksdose !== null,
  validConsent: window.keksdose ? window.keksdose.validConsent() : null,
  analytics: window.keksdose ? window.keksdose.acceptedCategory("analytics") : null,
  necessary: window.keksdose ? window.keksdose.acceptedCategory("necessary") : null,
};
