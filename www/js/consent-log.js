// Shows the visitor's consent ID on the consent-log demo page, and the operator's commands for it.
function showConsentId() {
  const id = window.keksdose?.getConsent()?.consentId;
  const out = document.getElementById("consent-id");
  const commands = document.getElementById("commands");
  if (!out || !commands || !id) return;
  out.textContent = id;
  const receipts = "keksdose receipts --db target/demo-inbox.sqlite --tenant musterstadt";
  commands.textContent = [
    `${receipts} --consent-id ${id}`,
    `${receipts} --verify`,
    `${receipts} --format csv-excel --output nachweise.csv`,
  ].join("\n");
}

document.addEventListener("DOMContentLoaded", showConsentId);
for (const name of ["keksdose:consent", "keksdose:change"]) window.addEventListener(name, showConsentId);
