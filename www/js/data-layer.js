// Shows Google's dataLayer on the Consent Mode demo page, one command per line.
function showDataLayer() {
  const out = document.getElementById("data-layer");
  if (!out) return;
  out.textContent = (window.dataLayer || [])
    .map((entry) => JSON.stringify(Array.from(entry)))
    .join("\n");
}

document.addEventListener("DOMContentLoaded", showDataLayer);
for (const name of ["keksdose:consent", "keksdose:change", "keksdose:show"]) window.addEventListener(name, showDataLayer);
