// tradebind cabinet: the little behaviour the pages have (no build step, no inline script).
"use strict";

function syncPassphrase() {
  const chosen = document.querySelector('input[name="exchange"]:checked');
  const row = document.getElementById("passphrase-row");
  if (!chosen || !row) return;
  const needed = chosen.dataset.passphrase === "yes";
  row.hidden = !needed;
  const input = document.getElementById("passphrase");
  if (input) input.required = needed;
}

function copyButtons() {
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      const text = source.matches("ul") ? [...source.querySelectorAll("code")].map((c) => c.textContent).join("\n") : source.textContent;
      try {
        await navigator.clipboard.writeText(text.trim());
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const row of document.querySelectorAll(".hidden-js")) row.classList.remove("hidden-js");
  for (const radio of document.querySelectorAll('input[name="exchange"]')) radio.addEventListener("change", syncPassphrase);
  syncPassphrase();
  copyButtons();
});
