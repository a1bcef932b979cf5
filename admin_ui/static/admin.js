// Back office partial updates, in plain JavaScript (no build step, no dependency).
//  - a[data-partial="URL"]: fetch URL and replace the closest [data-partial-target] with it
//    (the link's href is the full-page fallback);
//  - form[data-preview="URL"]: on input, POST the form to URL (CSRF token included) and put
//    the answer into the element named by data-preview-target: a live preview.
"use strict";

async function swapPartial(link) {
  const target = link.closest("[data-partial-target]");
  const response = await fetch(link.dataset.partial, { headers: { "X-Partial": "1" }, credentials: "same-origin" });
  if (!response.ok) { window.location.href = link.href; return; }
  const holder = document.createElement("div");
  holder.innerHTML = await response.text();
  const fresh = holder.querySelector("[data-partial-target]");
  if (target && fresh) { target.replaceWith(fresh); } else { window.location.href = link.href; }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-partial]");
  if (!link) return;
  event.preventDefault();
  swapPartial(link);
});

function wirePreview(form) {
  const target = document.getElementById(form.dataset.previewTarget);
  let timer = null;
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    const body = new URLSearchParams(new FormData(form));
    const response = await fetch(form.dataset.preview, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRF-Token": form.querySelector("input[name=_csrf]").value },
    });
    if (mine === seq && target) { target.innerHTML = await response.text(); }
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-preview]").forEach(wirePreview);
});
