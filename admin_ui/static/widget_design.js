// The widget design panel's live preview: the real widget (LoyaltyWidget.preview from
// /widget/loyalty.js) drawn with sample data from the form's current values, on every input.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("widget-form");
  const stage = document.getElementById("widget-preview");
  if (!form || !stage || !window.LoyaltyWidget) return;
  const sample = JSON.parse(document.getElementById("preview-sample").textContent);
  const mode = document.getElementById("preview-mode");
  const localeSelect = document.getElementById("preview-locale");
  let uploaded = null;

  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const logo = () => {
    if (form.elements.remove_logo.checked) return null;
    return uploaded || value("logo") || document.getElementById("w-logo-current").value || null;
  };
  const texts = (locale) => {
    const found = {};
    for (const key of ["title", "launcher", "signed_out_title", "signed_out_body", "cta"]) {
      const v = value(`texts.${locale}.${key}`);
      if (v) found[key] = v;
    }
    return found;
  };
  const draw = () => {
    const locale = localeSelect.value;
    const design = {
      accent: value("accent"), accent_text: value("accent_text"), background: value("background"),
      text: value("text"), shape: value("shape"), position: value("position"), logo: logo(),
      sign_up_url: value("sign_up_url") || "#",
    };
    window.LoyaltyWidget.preview(stage, {
      ...sample, design, locale, texts: texts(locale), signedOut: mode.value === "out",
    });
  };
  form.elements.logo_file.addEventListener("change", () => {
    const file = form.elements.logo_file.files[0];
    if (!file) { uploaded = null; draw(); return; }
    const reader = new FileReader();
    reader.onload = () => { uploaded = String(reader.result); draw(); };
    reader.readAsDataURL(file);
  });
  form.addEventListener("input", draw);
  form.addEventListener("change", draw);
  mode.addEventListener("change", draw);
  localeSelect.addEventListener("change", draw);
  draw();
});
