// Shows the decision on the demo page and logs keksdose's events for the tests.
window.kdDemo = window.kdDemo || {};
window.kdDemo.events = [];
for (const name of ["keksdose:consent", "keksdose:change", "keksdose:show", "keksdose:hide"]) {
  window.addEventListener(name, (event) => {
    window.kdDemo.events.push({ type: name, detail: event.detail });
    render();
  });
}

function render() {
  const out = document.getElementById("status");
  if (!out) return;
  const kd = window.keksdose;
  const consent = kd && kd.getConsent();
  const rows = [
    ["Entscheidung / decision", consent ? new Date(consent.decidedAt).toISOString() : "–"],
    ["Statistik / statistics", kd && kd.acceptedCategory("analytics") ? "erlaubt / allowed" : "blockiert / blocked"],
    ["Externe Medien / media", kd && kd.acceptedCategory("media") ? "erlaubt / allowed" : "blockiert / blocked"],
    ["Cookies (document.cookie)", document.cookie || "–"],
  ];
  const list = document.createElement("dl");
  for (const [term, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }
  out.replaceChildren(list);
}

document.addEventListener("DOMContentLoaded", render);
