// Live values over Server-Sent Events: updates every [data-live] tile without a reload, and
// ticks the "12 s ago" freshness once a second. Strings come translated from the page
// (<script type="application/json" id="pm-i18n">).
(function () {
  "use strict";
  var T = {};
  try { T = JSON.parse(document.getElementById("pm-i18n").textContent); } catch (e) { /* none */ }
  function t(key, n) { return (T[key] || key).replace("{n}", n); }
  var skew = 0; // server clock - browser clock, ms
  var states = {}; // key -> {last: ms, state}

  function ago(seconds) {
    if (seconds < 90) return t("s_ago", Math.round(seconds));
    if (seconds < 5400) return t("min_ago", Math.round(seconds / 60));
    if (seconds < 172800) return t("h_ago", Math.round(seconds / 3600));
    return t("d_ago", Math.round(seconds / 86400));
  }
  function fmt(v) {
    var a = Math.abs(v);
    var d = a >= 1000 ? 0 : a >= 10 ? 1 : 2; // as the server renders it (pages/view.py)
    return v.toLocaleString(document.documentElement.lang || undefined,
      { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function paintAge(el, key) {
    var s = states[key];
    var ageEl = el.querySelector("[data-age]");
    if (!s || !ageEl) return;
    if (s.last === null) { ageEl.textContent = t("never", ""); return; }
    var age = Math.max(0, (Date.now() + skew - s.last) / 1000);
    ageEl.textContent = ago(age);
  }
  function apply(m) {
    var key = m.site + "/" + m.meter;
    states[key] = { last: m.last_time ? Date.parse(m.last_time) : null, state: m.state };
    document.querySelectorAll('[data-live="' + key + '"]').forEach(function (el) {
      el.classList.remove("fresh", "stale", "silent");
      el.classList.add(m.state);
      var badge = el.querySelector("[data-state]");
      if (badge) {
        badge.className = "badge " + m.state;
        badge.textContent = t("state_" + m.state, "");
        badge.hidden = m.state === "fresh";
      }
      var q = el.getAttribute("data-quantity");
      var v = m.values && m.values[q];
      var valEl = el.querySelector("[data-value]");
      var scale = parseFloat(el.getAttribute("data-scale") || "1");
      if (valEl && v) { valEl.textContent = fmt(v.value * scale); valEl.setAttribute("data-raw", String(v.value)); }
      paintAge(el, key);
    });
  }
  function tick() {
    document.querySelectorAll("[data-live]").forEach(function (el) { paintAge(el, el.getAttribute("data-live")); });
  }
  var tiles = document.querySelectorAll("[data-live]");
  if (!tiles.length || !window.EventSource) return;
  tiles.forEach(function (el) {
    var last = el.getAttribute("data-last");
    states[el.getAttribute("data-live")] = { last: last ? Date.parse(last) : null };
  });
  var nowAttr = document.body.getAttribute("data-now");
  if (nowAttr) skew = Date.parse(nowAttr) - Date.now();
  var src = new EventSource(document.body.getAttribute("data-live-url") || "/live");
  src.addEventListener("latest", function (ev) {
    var d = JSON.parse(ev.data);
    skew = Date.parse(d.now) - Date.now();
    d.meters.forEach(apply);
    document.body.setAttribute("data-live-updates", String(1 + Number(document.body.getAttribute("data-live-updates") || 0)));
  });
  src.onerror = function () { document.body.classList.add("live-lost"); };
  src.onopen = function () { document.body.classList.remove("live-lost"); };
  window.addEventListener("pagehide", function () { src.close(); });
  setInterval(tick, 1000);
})();
