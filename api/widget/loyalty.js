/* Loyalty widget for the web shop. Plain JavaScript: no framework, no build step.
 *
 *   <script src="https://LOYALTY-ENGINE/widget/loyalty.js" defer></script>
 *   <loyalty-widget token="SHOPPER-JWT" locale="nb"></loyalty-widget>
 *
 * or LoyaltyWidget.init({ token, locale }). Snippets anywhere on the page:
 *   <loyalty-points></loyalty-points>             the balance
 *   <loyalty-points show="next"></loyalty-points> points to the next reward
 * Products the shop marks with data-loyalty-sku="SKU" earn a product view when seen.
 * The only secret it holds is the shopper's token; everything is rendered in a Shadow DOM
 * with DOM calls (never innerHTML), so neither the shop's CSS nor any text can leak in.
 * docs/widget.md has the options.
 */
(() => {
  "use strict";
  if (window.LoyaltyWidget) return;

  const SCRIPT = document.currentScript;
  const BASE = ((SCRIPT && SCRIPT.dataset.api) || (SCRIPT ? new URL(SCRIPT.src, location.href).origin : location.origin)).replace(/\/$/, "");

  // ---- texts (English and Norwegian bokmål); marketing's texts from the design override ----
  const EN = {
    title: "Rewards", launcher: "points", open: "Open rewards", close: "Close",
    balance: "Your points", pending: "{n} pending until your order is confirmed",
    expires: "{n} expire on {date}", toNext: "{n} to your next reward", ready: "You can unlock a reward now",
    tier: "Level: {name}", tierNext: "{n} to {name}",
    rewards: "Rewards to unlock", unlock: "Unlock", confirm: "Spend {n}?", yes: "Yes, unlock", no: "Cancel",
    missing: "{n} more needed", code: "Your code", copy: "Copy", copied: "Copied",
    coupons: "Your coupons", noCoupons: "No coupons yet.", until: "valid until {date}",
    campaigns: "Running now", campaignUntil: "until {date}", multiplier: "{x}× points", bonus: "+{n} per order",
    earn: "Ways to earn", purchase: "Shop: {n} per {amount}", done: "{u} of {c} done",
    cap_day: "{c}× a day", cap_month: "{c}× a month", cap_day1: "once a day", cap_month1: "once a month", cap_year: "once a year", cap_ever: "once",
    w_visit: "Visit the shop", w_product_view: "Look at featured products", w_notification_open: "Open our notifications",
    w_account_created: "Create an account", w_birthday: "On your birthday", w_newsletter_signup: "Join the newsletter",
    w_referral: "Refer a friend",
    refer: "Refer a friend", referBody: "Share your link. When your friend's first order is confirmed, you get {mine} and your friend gets {theirs}.",
    share: "Share", friends: "Friends rewarded: {n}", nothing: "a welcome",
    signed_out_title: "Join {program}", signed_out_body: "Earn points on every order and turn them into discounts.",
    cta: "Sign up or log in", how: "How it works", threshold: "At {n} you get a coupon.",
    error: "Your points could not be loaded. Please try again later.", blocked: "Your membership is paused.",
    earned: "+{n}", earned_visit: "+{n} for visiting", earned_product_view: "+{n} for looking at this product", unlocked: "Unlocked! Your code is ready.", failed: "That did not work. Please try again.",
    pts: (n) => (n === 1 ? "1 point" : `${n} points`),
  };
  const NB = {
    title: "Fordeler", launcher: "poeng", open: "Åpne fordeler", close: "Lukk",
    balance: "Dine poeng", pending: "{n} venter til ordren er bekreftet",
    expires: "{n} utløper {date}", toNext: "{n} til neste belønning", ready: "Du kan løse inn en belønning nå",
    tier: "Nivå: {name}", tierNext: "{n} til {name}",
    rewards: "Belønninger", unlock: "Løs inn", confirm: "Bruke {n}?", yes: "Ja, løs inn", no: "Avbryt",
    missing: "{n} mangler", code: "Din kode", copy: "Kopier", copied: "Kopiert",
    coupons: "Dine rabatter", noCoupons: "Ingen rabatter ennå.", until: "gyldig til {date}",
    campaigns: "Kampanjer nå", campaignUntil: "til {date}", multiplier: "{x}× poeng", bonus: "+{n} per ordre",
    earn: "Slik tjener du poeng", purchase: "Handle: {n} per {amount}", done: "{u} av {c} gjort",
    cap_day: "{c}× per dag", cap_month: "{c}× per måned", cap_day1: "én gang per dag", cap_month1: "én gang per måned", cap_year: "én gang i året", cap_ever: "én gang",
    w_visit: "Besøk butikken", w_product_view: "Se på utvalgte produkter", w_notification_open: "Åpne varslene våre",
    w_account_created: "Opprett en konto", w_birthday: "På bursdagen din", w_newsletter_signup: "Meld deg på nyhetsbrevet",
    w_referral: "Verv en venn",
    refer: "Verv en venn", referBody: "Del lenken din. Når vennens første ordre er bekreftet, får du {mine} og vennen din {theirs}.",
    share: "Del", friends: "Vervede venner: {n}", nothing: "en velkomst",
    signed_out_title: "Bli med i {program}", signed_out_body: "Tjen poeng på hvert kjøp og gjør dem om til rabatter.",
    cta: "Bli medlem eller logg inn", how: "Slik fungerer det", threshold: "Ved {n} får du en rabattkode.",
    error: "Vi fikk ikke hentet poengene dine. Prøv igjen senere.", blocked: "Medlemskapet ditt er satt på pause.",
    earned: "+{n}", earned_visit: "+{n} for besøket", earned_product_view: "+{n} for å se på dette produktet", unlocked: "Løst inn! Koden din er klar.", failed: "Det gikk ikke. Prøv igjen.",
    pts: (n) => `${n} poeng`,
  };
  const CUSTOM = ["title", "launcher", "signed_out_title", "signed_out_body", "cta"];

  function fill(template, vars) {
    return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  }

  class Locale {
    constructor(tag, custom) {
      this.tag = tag || "en";
      const base = /^(nb|no|nn)\b/i.test(this.tag) ? NB : EN;
      this.t = { ...base };
      for (const key of CUSTOM) if (custom && custom[key]) this.t[key] = custom[key];
      this.num = new Intl.NumberFormat(this.tag);
      this.day = new Intl.DateTimeFormat(this.tag, { day: "numeric", month: "long", year: "numeric" });
    }
    text(key, vars = {}) { return fill(this.t[key] ?? key, vars); }
    n(value) { return this.num.format(value || 0); }
    points(value) { return this.t.pts(value || 0).replace(/^-?\d+/, (d) => this.n(Number(d))); }
    date(value) {
      if (!value) return "";
      const only = /^\d{4}-\d{2}-\d{2}$/.exec(value);
      const d = only ? new Date(+value.slice(0, 4), +value.slice(5, 7) - 1, +value.slice(8, 10)) : new Date(value);
      return this.day.format(d);
    }
    money(minor, currency) {
      const f = new Intl.NumberFormat(this.tag, { style: "currency", currency });
      return f.format(minor / 10 ** f.resolvedOptions().maximumFractionDigits);
    }
  }

  // ---- talking to the engine ----
  class AuthError extends Error {}
  class HttpError extends Error { constructor(status, body) { super(`HTTP ${status}`); this.status = status; this.body = body; } }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function today() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return h.toString(16).padStart(8, "0");
  }
  function randomId() {
    const a = new Uint8Array(8);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  /** Event ids are the day and the thing seen: a reload or a retry sends the same id, so the
   *  engine counts it once (its caps decide the rest). */
  const visitId = () => `web-visit-${today()}`;
  const viewId = (sku) => `web-pv-${today()}-${sku.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 24)}-${hash(sku)}`;

  class Store {
    constructor(base) {
      this.base = base;
      this.token = null;
      this.locale = null;
      this.state = { status: "loading" };
      this.listeners = new Set();
      this.seen = new Set();
      this.generation = 0;
    }
    subscribe(fn) { this.listeners.add(fn); fn(this.state); return () => this.listeners.delete(fn); }
    set(patch) { this.state = { ...this.state, ...patch }; for (const fn of this.listeners) fn(this.state); }

    async request(path, { method = "GET", body, headers = {}, retries = 0, auth = true } = {}) {
      for (let attempt = 0; ; attempt++) {
        let response;
        try {
          const h = { ...headers };
          if (auth) h.authorization = `Bearer ${this.token}`;
          if (body !== undefined) h["content-type"] = "application/json";
          response = await fetch(this.base + path, {
            method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
            mode: "cors", credentials: "omit", cache: "no-store",
          });
        } catch (err) {
          if (attempt < retries) { await sleep(400 * 3 ** attempt); continue; }
          throw err;
        }
        if (response.status === 401) throw new AuthError("token");
        if ((response.status >= 500 || response.status === 429) && attempt < retries) {
          await sleep(400 * 3 ** attempt);
          continue;
        }
        const data = response.status === 204 ? null : await response.json().catch(() => null);
        if (!response.ok) throw new HttpError(response.status, data);
        return data;
      }
    }

    async start(token, locale) {
      this.token = token || null;
      this.locale = locale || document.documentElement.lang || navigator.language || "en";
      const mine = ++this.generation;
      const config = await this.request(`/widget/config?locale=${encodeURIComponent(this.locale)}`, { auth: false, retries: 2 })
        .catch(() => null);
      if (mine !== this.generation) return;
      this.set({ config, loc: new Locale(config ? config.locale : this.locale, config && config.texts) });
      if (!this.token) { this.set({ status: "signed-out" }); return; }
      try {
        await this.event({ type: "visit", id: visitId() }, false);
        await this.refresh();
        if (mine === this.generation) this.watchProducts();
      } catch (err) {
        this.fail(err);
      }
    }

    fail(err) {
      if (err instanceof AuthError) {
        this.set({ status: "signed-out", expired: Boolean(this.token) });
        document.dispatchEvent(new CustomEvent("loyalty:token-expired", { detail: { reason: "unauthorized" } }));
      } else {
        this.set({ status: "error" });
      }
    }

    async refresh() {
      const [me, rewards, coupons, ways, referral] = await Promise.all([
        this.request("/v1/me"),
        this.request("/v1/me/rewards"),
        this.request("/v1/me/coupons"),
        this.request("/v1/me/ways-to-earn").catch((e) => { if (e instanceof AuthError) throw e; return null; }),
        this.request("/v1/me/referral").catch((e) => { if (e instanceof AuthError) throw e; return null; }),
      ]);
      this.set({ status: "signed-in", me, rewards, coupons, ways, referral, expired: false });
    }

    /** Report one activity; a retry reuses the id, so it earns at most once. */
    async event(body, announce = true) {
      const answer = await this.request("/v1/me/events", { method: "POST", body: { channel: "web", ...body }, retries: 2 })
        .catch((err) => { if (err instanceof AuthError) throw err; return null; });
      if (answer && answer.outcome === "earned") {
        if (this.state.me) {
          const me = { ...this.state.me, balance: { ...this.state.me.balance, available: answer.available } };
          this.set({ me });
        }
        if (announce) this.set({ toast: { key: "earned", n: answer.points, type: body.type, at: Date.now() } });
        if (this.state.status === "signed-in") this.refresh().catch((e) => this.fail(e));
      }
      return answer;
    }

    watchProducts() {
      if (this.watching) return;
      this.watching = true;
      const view = (el) => {
        const sku = (el.dataset.loyaltySku || "").trim();
        if (!sku || sku.length > 64 || this.seen.has(sku)) return;
        this.seen.add(sku);
        this.event({ type: "product_view", id: viewId(sku), sku }).catch((e) => this.fail(e));
      };
      const io = "IntersectionObserver" in window
        ? new IntersectionObserver((entries) => {
          for (const e of entries) if (e.isIntersecting) { io.unobserve(e.target); view(e.target); }
        }, { threshold: 0.5 })
        : null;
      const scan = (root) => {
        const found = root.querySelectorAll ? root.querySelectorAll("[data-loyalty-sku]") : [];
        for (const el of [...(root.matches && root.matches("[data-loyalty-sku]") ? [root] : []), ...found]) {
          if (io) io.observe(el); else view(el);
        }
      };
      scan(document);
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) scan(n);
      }).observe(document.documentElement, { childList: true, subtree: true });
    }

    async unlock(reward) {
      const key = `web-unlock-${reward.id}-${randomId()}`;
      const answer = await this.request(`/v1/me/rewards/${reward.id}/unlock`, {
        method: "POST", headers: { "idempotency-key": key }, retries: 2,
      });
      const unlocked = { ...(this.state.unlocked || {}), [reward.id]: answer.coupon };
      this.set({ unlocked, toast: { key: "unlocked", at: Date.now() } });
      await this.refresh();
      return answer;
    }
  }

  // ---- the view: a launcher and a panel in a Shadow DOM ----
  const CSS = `
:host{all:initial}
.lw{--a:#1f5f8b;--at:#fff;--bg:#fff;--tx:#1b1f24;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--tx)}
.lw *{box-sizing:border-box}
.launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;min-height:52px;padding:0 20px;border:0;border-radius:999px;background:var(--a);color:var(--at);font:600 16px/1 inherit;font-family:inherit;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.22)}
.lw[data-pos=bottom-left] .launcher{right:auto;left:20px}
.lw[data-shape=square] .launcher{border-radius:10px}
.lw[data-shape=circle] .launcher{width:64px;height:64px;padding:0;justify-content:center;flex-direction:column;gap:2px;font-size:15px}
.lw[data-shape=circle] .launcher .unit{font-size:10px;font-weight:500}
.launcher img{height:26px;width:auto;max-width:60px;border-radius:4px}
.lw[data-shape=circle] .launcher img{display:none}
.launcher:focus-visible,button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.launcher:focus-visible{outline-color:var(--tx)}
.panel{position:fixed;bottom:88px;right:20px;z-index:2147483001;width:380px;max-width:calc(100vw - 24px);max-height:min(640px,calc(100vh - 108px));display:flex;flex-direction:column;background:var(--bg);color:var(--tx);border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.28);overflow:hidden}
.panel[hidden]{display:none}
.lw[data-pos=bottom-left] .panel{right:auto;left:20px}
.contained .launcher,.contained .panel{position:absolute}
.contained .panel{max-height:calc(100% - 104px)}
header{display:flex;align-items:center;gap:10px;padding:14px 16px;background:var(--a);color:var(--at)}
header img{height:30px;width:auto;max-width:90px;border-radius:4px}
h2{margin:0;font-size:18px;flex:1}
h3{margin:18px 0 8px;font-size:14px;text-transform:uppercase;letter-spacing:.04em;opacity:.75}
.close{background:transparent;border:0;color:inherit;font-size:26px;line-height:1;width:36px;height:36px;border-radius:8px;cursor:pointer}
.body{padding:4px 16px 18px;overflow-y:auto}
.big{font-size:38px;font-weight:700;margin:10px 0 0}
.lead{font-size:22px;font-weight:700;margin:12px 0 4px}
.muted{opacity:.72;font-size:13px;margin:2px 0}
.bar{height:10px;border-radius:5px;background:rgba(127,127,127,.2);overflow:hidden;margin:10px 0 4px}
.bar i{display:block;height:100%;background:var(--a);border-radius:5px}
ul{list-style:none;margin:0;padding:0}
li.card{border:1px solid rgba(127,127,127,.28);border-radius:10px;padding:10px 12px;margin:0 0 8px}
.row{display:flex;align-items:center;justify-content:space-between;gap:8px;flex-wrap:wrap}
.name{font-weight:600}
button.act,a.act{display:inline-flex;align-items:center;justify-content:center;min-height:40px;padding:0 14px;border-radius:8px;border:0;background:var(--a);color:var(--at);font:600 14px/1 inherit;font-family:inherit;cursor:pointer;text-decoration:none}
button.ghost{background:transparent;color:var(--tx);border:1px solid rgba(127,127,127,.5)}
.code{display:flex;gap:6px;align-items:center;margin-top:8px}
.code input{flex:1;min-width:0;font:600 15px/1 ui-monospace,monospace;padding:10px;border:1px dashed var(--a);border-radius:8px;background:transparent;color:var(--tx)}
.tier{display:inline-block;margin-top:8px;padding:3px 10px;border-radius:999px;background:var(--a);color:var(--at);font-size:13px;font-weight:600}
.toast{position:fixed;bottom:88px;right:20px;z-index:2147483002;background:var(--tx);color:var(--bg);padding:10px 14px;border-radius:10px;font-size:14px;box-shadow:0 4px 16px rgba(0,0,0,.25)}
.contained .toast{position:absolute}
.lw[data-pos=bottom-left] .toast{right:auto;left:20px}
.toast:empty{display:none}
.panel:not([hidden])~.toast{bottom:auto;top:16px}
@media (max-width:480px){
.panel{left:8px;right:8px;bottom:80px;width:auto;max-width:none;max-height:calc(100vh - 96px)}
.lw[data-pos=bottom-left] .panel{left:8px}
.launcher{bottom:14px;right:14px}
.lw[data-pos=bottom-left] .launcher{left:14px}
}`;

  let sheet = null;
  function styles(root) {
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS;
      root.append(style);
    }
  }

  /** h("p", {class: "x"}, "text", child): DOM without innerHTML, so no text can become markup. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c);
    return el;
  }

  const DESIGN_VARS = { accent: "--a", accent_text: "--at", background: "--bg", text: "--tx" };
  const SAFE_LOGO = /^(https:\/\/|data:image\/(png|jpeg|gif|webp|svg\+xml);base64,)/;

  class View {
    constructor(host, store, { contained = false, launcher = true } = {}) {
      this.store = store;
      this.root = host.shadowRoot || host.attachShadow({ mode: "open" });
      styles(this.root);
      this.wrap = h("div", { class: `lw${contained ? " contained" : ""}`, part: "widget" });
      this.launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "lw-panel", part: "launcher", onclick: () => this.toggle() });
      this.panel = h("section", { class: "panel", id: "lw-panel", role: "dialog", "aria-labelledby": "lw-title", hidden: true, part: "panel" });
      this.toast = h("div", { class: "toast", role: "status", "aria-live": "polite" });
      this.panel.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.stopPropagation(); this.toggle(false); } });
      this.wrap.append(...(launcher ? [this.launcher] : []), this.panel, this.toast);
      this.root.append(this.wrap);
      this.confirming = null;
      this.copied = null;
      this.unsubscribe = store.subscribe((s) => this.render(s));
    }

    toggle(open = this.panel.hidden, focus = true) {
      this.panel.hidden = !open;
      this.launcher.setAttribute("aria-expanded", String(open));
      if (!focus) return;
      if (open) (this.panel.querySelector(".close") || this.panel).focus();
      else this.launcher.focus();
    }

    applyDesign(design) {
      const d = design || {};
      for (const [key, name] of Object.entries(DESIGN_VARS)) {
        if (/^#[0-9a-fA-F]{6}$/.test(d[key] || "")) this.wrap.style.setProperty(name, d[key]);
      }
      this.wrap.dataset.shape = ["pill", "circle", "square"].includes(d.shape) ? d.shape : "pill";
      this.wrap.dataset.pos = d.position === "bottom-left" ? "bottom-left" : "bottom-right";
    }

    logo(design) {
      const src = design && design.logo;
      return src && SAFE_LOGO.test(src) ? h("img", { src, alt: "" }) : null;
    }

    render(s) {
      if (!s.loc) return;
      const loc = s.loc;
      const design = s.config && s.config.design;
      this.applyDesign(design);
      const focusKey = this.root.activeElement && this.root.activeElement.dataset ? this.root.activeElement.dataset.key : null;
      const available = s.me ? s.me.balance.available : null;
      const count = s.status === "signed-in" ? loc.n(available) : "★";
      const label = s.status === "signed-in" ? `${loc.text("open")}, ${loc.points(available)}` : loc.text("open");
      const unit = s.status === "signed-in" ? loc.text("launcher") : loc.text("title");
      this.launcher.replaceChildren(this.logo(design) || "", h("span", { class: "count", text: count }), h("span", { class: "unit", text: unit }));
      this.launcher.setAttribute("aria-label", label);
      const body = h("div", { class: "body" }, ...this.sections(s, loc));
      this.panel.replaceChildren(
        h("header", {}, this.logo(design), h("h2", { id: "lw-title", text: loc.text("title") }),
          h("button", { class: "close", type: "button", "aria-label": loc.text("close"), "data-key": "close", onclick: () => this.toggle(false), text: "×" })),
        body,
      );
      if (focusKey && !this.panel.hidden) {
        const again = this.panel.querySelector(`[data-key="${CSS_ESCAPE(focusKey)}"]`);
        if (again) again.focus();
      }
      this.showToast(s, loc);
    }

    showToast(s, loc) {
      const t = s.toast;
      if (!t || t === this.lastToast) return;
      this.lastToast = t;
      const key = t.key === "earned" && loc.t[`earned_${t.type}`] ? `earned_${t.type}` : t.key;
      const text = loc.text(key, { n: loc.points(t.n || 0) });
      this.toast.textContent = text;
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => { this.toast.textContent = ""; }, 4000);
    }

    sections(s, loc) {
      if (s.status === "loading") return [h("p", { class: "muted", text: "…" })];
      if (s.status === "error") return [h("p", { role: "alert", text: loc.text("error") })];
      if (s.status === "signed-out") return this.signedOut(s, loc);
      return [this.balance(s, loc), this.rewards(s, loc), this.coupons(s, loc), this.campaigns(s, loc), this.ways(s, loc), this.referral(s, loc)];
    }

    signedOut(s, loc) {
      const p = (s.config && s.config.program) || {};
      const design = (s.config && s.config.design) || {};
      const how = [];
      if (p.earn_points) how.push(h("li", { class: "card", text: loc.text("purchase", { n: loc.points(p.earn_points), amount: loc.money(p.rate_unit_minor, p.currency) }) }));
      if (p.threshold_points) how.push(h("li", { class: "card", text: loc.text("threshold", { n: loc.points(p.threshold_points) }) }));
      for (const w of p.ways_to_earn || []) how.push(this.way(w, loc, false));
      const url = design.sign_up_url;
      return [
        h("section", { class: "signed-out", "aria-labelledby": "lw-so" },
          h("p", { class: "lead", id: "lw-so", text: loc.text("signed_out_title", { program: p.name || "" }) }),
          h("p", { text: loc.text("signed_out_body") }),
          url && /^(https?:\/\/|\/)/.test(url) ? h("a", { class: "act cta", href: url, "data-key": "cta", text: loc.text("cta") }) : null),
        how.length ? h("section", {}, h("h3", { text: loc.text("how") }), h("ul", {}, how)) : null,
      ];
    }

    balance(s, loc) {
      const b = s.me.balance;
      const items = [
        h("p", { class: "muted", text: loc.text("balance") }),
        h("p", { class: "big", id: "lw-balance", text: loc.n(b.available) }),
      ];
      if (s.me.blocked) items.push(h("p", { role: "alert", text: loc.text("blocked") }));
      if (b.pending) items.push(h("p", { class: "muted", id: "lw-pending", text: loc.text("pending", { n: loc.points(b.pending) }) }));
      if (b.expires_on && b.expiring_points) items.push(h("p", { class: "muted", id: "lw-expiry", text: loc.text("expires", { n: loc.points(b.expiring_points), date: loc.date(b.expires_on) }) }));
      const goal = this.goal(s);
      if (goal) {
        const pct = Math.max(0, Math.min(100, Math.round((100 * (goal.total - goal.missing)) / goal.total)));
        items.push(h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct), "aria-label": loc.text("toNext", { n: loc.points(goal.missing) }) }, h("i", { style: null })));
        items[items.length - 1].firstChild.style.width = `${pct}%`;
        items.push(h("p", { class: "muted", id: "lw-next", text: goal.missing > 0 ? loc.text("toNext", { n: loc.points(goal.missing) }) : loc.text("ready") }));
      }
      const tier = s.me.tier;
      if (tier && tier.name) {
        items.push(h("span", { class: "tier", id: "lw-tier", text: loc.text("tier", { name: tier.name }) }));
        if (tier.next && tier.next.name) items.push(h("p", { class: "muted", text: loc.text("tierNext", { n: loc.points(tier.next.missing), name: tier.next.name }) }));
      }
      return h("section", { class: "balance", "aria-label": loc.text("balance") }, items);
    }

    /** Progress to the next reward: the program's threshold coupon, else the cheapest reward. */
    goal(s) {
      const b = s.me.balance;
      if (b.next_reward_threshold) return { total: b.next_reward_threshold, missing: b.points_to_next_reward || 0 };
      const items = (s.rewards && s.rewards.items) || [];
      if (!items.length) return null;
      const cheapest = items.reduce((a, r) => (r.points_cost < a.points_cost ? r : a));
      return { total: cheapest.points_cost || 1, missing: cheapest.points_missing };
    }

    rewards(s, loc) {
      const items = (s.rewards && s.rewards.items) || [];
      if (!items.length) return null;
      return h("section", { "aria-labelledby": "lw-rw" }, h("h3", { id: "lw-rw", text: loc.text("rewards") }),
        h("ul", { id: "lw-rewards" }, items.map((r) => this.reward(r, s, loc))));
    }

    reward(r, s, loc) {
      const got = s.unlocked && s.unlocked[r.id];
      const parts = [h("div", { class: "row" }, h("span", { class: "name", text: r.title }), h("span", { class: "muted", text: loc.points(r.points_cost) }))];
      if (r.description) parts.push(h("p", { class: "muted", text: r.description }));
      if (got) {
        parts.push(h("p", { class: "muted", text: loc.text("code") }), this.codeBox(got.code, `rw-${r.id}`, loc));
      } else if (this.confirming === r.id) {
        parts.push(h("div", { class: "row" }, h("span", { text: loc.text("confirm", { n: loc.points(r.points_cost) }) }),
          h("span", {}, h("button", { class: "act confirm", type: "button", "data-key": `yes-${r.id}`, onclick: () => this.unlock(r) , text: loc.text("yes") }), " ",
            h("button", { class: "act ghost", type: "button", "data-key": `no-${r.id}`, onclick: () => { this.confirming = null; this.render(this.store.state); this.focus(`unlock-${r.id}`); }, text: loc.text("no") }))));
      } else if (r.affordable && !s.me.blocked) {
        parts.push(h("button", { class: "act unlock", type: "button", "data-key": `unlock-${r.id}`, "data-reward": String(r.id), onclick: () => { this.confirming = r.id; this.render(this.store.state); this.focus(`yes-${r.id}`); }, text: `${loc.text("unlock")} · ${loc.points(r.points_cost)}` }));
      } else {
        parts.push(h("p", { class: "muted", text: loc.text("missing", { n: loc.points(r.points_missing) }) }));
      }
      return h("li", { class: "card reward", "data-reward": String(r.id) }, parts);
    }

    async unlock(r) {
      if (this.busy) return;
      this.busy = true;
      try {
        await this.store.unlock(r);
        this.confirming = null;
        this.render(this.store.state);
        this.focus(`copy-rw-${r.id}`);
      } catch (err) {
        if (err instanceof AuthError) this.store.fail(err);
        else this.store.set({ toast: { key: "failed", at: Date.now() } });
      } finally {
        this.busy = false;
      }
    }

    focus(key) {
      const el = this.panel.querySelector(`[data-key="${CSS_ESCAPE(key)}"]`);
      if (el) el.focus();
    }

    codeBox(code, key, loc) {
      const input = h("input", { readonly: true, value: code, "aria-label": loc.text("code"), "data-key": `code-${key}` });
      const done = this.copied === key;
      const button = h("button", { class: "act copy", type: "button", "data-key": `copy-${key}`, text: done ? loc.text("copied") : loc.text("copy") });
      button.addEventListener("click", () => this.copy(code, input, key));
      return h("div", { class: "code" }, input, button);
    }

    async copy(text, input, key) {
      try {
        await navigator.clipboard.writeText(text);
      } catch (_) {
        input.select();
        try { document.execCommand("copy"); } catch (_) { /* the code stays selected to copy by hand */ }
      }
      this.copied = key;
      this.render(this.store.state);
      this.focus(`copy-${key}`);
    }

    coupons(s, loc) {
      const items = ((s.coupons && s.coupons.items) || []).filter((c) => c.status === "active");
      return h("section", { "aria-labelledby": "lw-cp" }, h("h3", { id: "lw-cp", text: loc.text("coupons") }),
        items.length ? h("ul", { id: "lw-coupons" }, items.map((c) => h("li", { class: "card coupon" },
          h("div", { class: "row" }, h("span", { class: "name", text: c.title }), c.expires_at ? h("span", { class: "muted", text: loc.text("until", { date: loc.date(c.expires_at) }) }) : null),
          this.codeBox(c.code, `cp-${c.id}`, loc))))
          : h("p", { class: "muted", text: loc.text("noCoupons") }));
    }

    campaigns(s, loc) {
      const items = Array.isArray(s.me.campaigns) ? s.me.campaigns : [];
      if (!items.length) return null;
      return h("section", { "aria-labelledby": "lw-cm", id: "lw-campaigns" }, h("h3", { id: "lw-cm", text: loc.text("campaigns") }),
        h("ul", {}, items.map((c) => h("li", { class: "card" },
          h("div", { class: "row" }, h("span", { class: "name", text: c.name || "" }),
            c.ends_at ? h("span", { class: "muted", text: loc.text("campaignUntil", { date: loc.date(c.ends_at) }) }) : null),
          c.multiplier_pct && c.multiplier_pct !== 100 ? h("p", { class: "muted", text: loc.text("multiplier", { x: loc.n(c.multiplier_pct / 100) }) }) : null,
          c.bonus_points ? h("p", { class: "muted", text: loc.text("bonus", { n: loc.points(c.bonus_points) }) }) : null))));
    }

    way(w, loc, withUsed) {
      const once = w.cap_count === 1 && (w.cap === "day" || w.cap === "month") ? "1" : "";
      const cap = w.type === "referral" ? "" : loc.text(`cap_${w.cap}${once}`, { c: w.cap_count });
      const pts = w.points ? loc.points(w.points) : w.coupon_title || "";
      const done = withUsed && w.used != null && w.cap_count ? loc.text("done", { u: w.used, c: w.cap_count }) : "";
      return h("li", { class: "card way", "data-way": w.type },
        h("div", { class: "row" }, h("span", { class: "name", text: loc.text(`w_${w.type}`) }), h("span", { text: pts })),
        cap || done ? h("p", { class: "muted", text: [cap, done].filter(Boolean).join(" · ") }) : null);
    }

    ways(s, loc) {
      const w = s.ways;
      if (!w) return null;
      const items = [];
      if (w.earn_points) items.push(h("li", { class: "card way", "data-way": "purchase", text: loc.text("purchase", { n: loc.points(w.earn_points), amount: loc.money(w.rate_unit_minor, w.currency) }) }));
      for (const way of w.items.filter((x) => x.type !== "referral")) items.push(this.way(way, loc, true));
      if (!items.length) return null;
      return h("section", { "aria-labelledby": "lw-earn" }, h("h3", { id: "lw-earn", text: loc.text("earn") }), h("ul", { id: "lw-ways" }, items));
    }

    referral(s, loc) {
      const r = s.referral;
      if (!r || !r.enabled) return null;
      const side = (x) => (x.kind === "points" ? loc.points(x.points) : x.kind === "coupon" ? x.coupon.title : loc.text("nothing"));
      const share = navigator.share
        ? h("button", { class: "act ghost", type: "button", "data-key": "share", onclick: () => navigator.share({ url: r.share_link }).catch(() => {}), text: loc.text("share") })
        : null;
      return h("section", { "aria-labelledby": "lw-ref", id: "lw-referral" }, h("h3", { id: "lw-ref", text: loc.text("refer") }),
        h("p", { text: loc.text("referBody", { mine: side(r.rules.referrer), theirs: side(r.rules.friend) }) }),
        this.codeBox(r.share_link, "ref", loc), share,
        r.friends_rewarded ? h("p", { class: "muted", text: loc.text("friends", { n: loc.n(r.friends_rewarded) }) }) : null);
    }
  }

  const CSS_ESCAPE = (v) => (window.CSS && CSS.escape ? CSS.escape(v) : String(v).replace(/["\\]/g, "\\$&"));

  // ---- custom elements and the global API ----
  const store = new Store(BASE);
  let started = false;
  function begin(token, locale) { started = true; store.start(token, locale); }

  class LoyaltyWidgetElement extends HTMLElement {
    static get observedAttributes() { return ["token", "locale"]; }
    connectedCallback() {
      if (!this.view) this.view = new View(this, store, { launcher: this.getAttribute("launcher") !== "none" });
      begin(this.getAttribute("token"), this.getAttribute("locale"));
    }
    attributeChangedCallback() { if (this.view) begin(this.getAttribute("token"), this.getAttribute("locale")); }
    open() { this.view.toggle(true); }
    close() { this.view.toggle(false); }
  }

  class LoyaltyPointsElement extends HTMLElement {
    connectedCallback() {
      this.setAttribute("aria-live", "polite");
      this.off = store.subscribe((s) => {
        if (s.status !== "signed-in" || !s.loc) { this.textContent = ""; return; }
        const b = s.me.balance;
        if (this.getAttribute("show") === "next") {
          const missing = b.points_to_next_reward;
          this.textContent = missing == null ? "" : missing > 0 ? s.loc.text("toNext", { n: s.loc.points(missing) }) : s.loc.text("ready");
        } else {
          this.textContent = s.loc.points(b.available);
        }
      });
    }
    disconnectedCallback() { if (this.off) this.off(); }
  }

  customElements.define("loyalty-widget", LoyaltyWidgetElement);
  customElements.define("loyalty-points", LoyaltyPointsElement);

  window.LoyaltyWidget = {
    /** Start with a token from script (or a new one after `loyalty:token-expired`). */
    init({ token = null, locale = null, launcher = true } = {}) {
      let el = document.querySelector("loyalty-widget");
      const fresh = !el && launcher;
      if (fresh) el = document.createElement("loyalty-widget");
      if (el) { if (locale) el.setAttribute("locale", locale); el.setAttribute("token", token || ""); }
      if (fresh) document.body.append(el);
      else if (!el) begin(token, locale);
      return el;
    },
    setToken(token) { if (started) begin(token, store.locale); },
    /** The back office's live preview: the widget with sample data inside `host`. */
    preview(host, { design = {}, texts = {}, locale = "en", program = {}, me, rewards, coupons, ways, referral, signedOut = false } = {}) {
      if (!host.previewStore) {
        const inner = document.createElement("div");
        inner.className = "lw-host";
        host.append(inner);
        host.previewStore = new Store(BASE);
        host.previewView = new View(inner, host.previewStore, { contained: true });
        host.previewView.toggle(true, false);
      }
      host.previewStore.set({
        status: signedOut ? "signed-out" : "signed-in",
        loc: new Locale(locale, texts), config: { design, program, locale, texts },
        me, rewards, coupons, ways, referral,
      });
      return host.previewView;
    },
  };
})();
