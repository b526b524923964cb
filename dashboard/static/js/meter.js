// The meter page's charts (uPlot): period presets, custom range and billing period, drag to
// zoom (the resolution follows the visible range, so a year never travels at 1 minute),
// comparison with the previous period or the same period last year, the baseline's expected
// use with its band, the CUSUM of savings, and a CSV of exactly what the chart shows.
(function () {
  "use strict";
  var root = document.getElementById("meter-app");
  if (!root || !window.uPlot) return;
  var T = {};
  try { T = JSON.parse(document.getElementById("pm-i18n").textContent); } catch (e) { /* none */ }
  function t(k) { return T[k] || k; }
  var cfg = root.dataset;
  var tz = cfg.tz;
  var H = 3600e3, D = 86400e3;
  var RES = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  // --- time in the site's zone (the browser may be elsewhere) -----------------------------
  var partsFmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  function parts(ms) {
    var o = {};
    partsFmt.formatToParts(new Date(ms)).forEach(function (p) { o[p.type] = +p.value; });
    return o; // year, month (1-12), day, hour, minute, second
  }
  function offset(ms) { var p = parts(ms); return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000; }
  function local(y, m, d) { // local midnight of y-m-d (m 0-based, may overflow) as UTC ms
    var guess = Date.UTC(y, m, d);
    var ms = guess - offset(guess);
    return guess - offset(ms);
  }
  function dayStart(ms) { var p = parts(ms); return local(p.year, p.month - 1, p.day); }
  function isoDate(ms) { var p = parts(ms); return p.year + "-" + pad(p.month) + "-" + pad(p.day); }
  function isoLocal(ms) { var p = parts(ms); return isoDate(ms) + "T" + pad(p.hour) + ":" + pad(p.minute) + ":" + pad(p.second); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fromDateInput(s) { var a = s.split("-").map(Number); return local(a[0], a[1] - 1, a[2]); }

  // --- periods ------------------------------------------------------------------------------
  var anchor = cfg.last ? Date.parse(cfg.last) : Date.now();
  var billingDay = Math.min(Math.max(parseInt(cfg.billingDay || "1", 10), 1), 28);
  function period(kind, at) {
    var p = parts(at);
    if (kind === "hour") { var h = Math.floor(at / H) * H; return [h, h + H]; }
    if (kind === "day") { var s = local(p.year, p.month - 1, p.day); return [s, local(p.year, p.month - 1, p.day + 1)]; }
    if (kind === "week") { // Monday to Monday
      var d0 = local(p.year, p.month - 1, p.day);
      var dow = (new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() + 6) % 7;
      return [local(p.year, p.month - 1, p.day - dow), local(p.year, p.month - 1, p.day - dow + 7)].map(function (x, i) { return i === 0 ? Math.min(x, d0) : x; });
    }
    if (kind === "month") return [local(p.year, p.month - 1, 1), local(p.year, p.month, 1)];
    if (kind === "year") return [local(p.year, 0, 1), local(p.year + 1, 0, 1)];
    if (kind === "billing") {
      var m = p.day >= billingDay ? p.month - 1 : p.month - 2;
      return [local(p.year, m, billingDay), local(p.year, m + 1, billingDay)];
    }
    throw new Error(kind);
  }
  function shift(range, kind, dir) { // the period before/after (calendar-aware)
    if (kind === "custom") { var span = range[1] - range[0]; return [range[0] + dir * span, range[1] + dir * span]; }
    return period(kind, dir < 0 ? range[0] - 1 : range[1]);
  }
  function lastYear(range) {
    var a = parts(range[0]), b = parts(range[1]);
    function back(p, ms) { return ms - dayStart(ms) === 0 ? local(p.year - 1, p.month - 1, p.day) : ms - 365 * D; }
    return [back(a, range[0]), back(b, range[1])];
  }

  var state = { kind: "day", range: period("day", anchor), compare: "none",
    view: cfg.counter ? "use" : "gauge" };
  if (!cfg.gauge) state.view = "use";

  // --- data -----------------------------------------------------------------------------------
  function resolution(range, px) {
    var span = (range[1] - range[0]) / 1000, points = Math.max(48, Math.min(px, 1500));
    var minimum = parseFloat(cfg.poll || "0");
    for (var i = 0; i < RES.length; i++) if (RES[i] >= minimum && span / RES[i] <= points) return RES[i];
    return RES[RES.length - 1];
  }
  function resLabel(s) { return s % 86400 === 0 ? s / 86400 + "d" : s % 3600 === 0 ? s / 3600 + "h" : s / 60 + "m"; }
  function fetchSeries(quantity, range, res) {
    var u = new URL(cfg.seriesUrl, location.href);
    u.searchParams.set("quantity", quantity);
    u.searchParams.set("start", new Date(range[0]).toISOString());
    u.searchParams.set("end", new Date(range[1]).toISOString());
    u.searchParams.set("resolution", resLabel(res));
    return fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (j) {
        throw new Error((j && (j.detail || j.message)) || r.statusText);
      });
      return r.json();
    }).then(parseSeries);
  }
  function parseSeries(j) { // the API's columns: time (Unix s), mean, min, max, use
    if (j.unit === "W") { // people read kW
      var k = function (a) { return (a || []).map(function (v) { return v == null ? null : v / 1000; }); };
      j.mean = k(j.mean); j.min = k(j.min); j.max = k(j.max); j.unit = "kW";
    }
    if (j.unit === "m3") j.unit = "m³";
    if (j.unit === "m3/h") j.unit = "m³/h";
    return { unit: j.unit || "", kind: j.kind, resolution: j.resolution, t: j.time || [], mean: j.mean || [],
      min: j.min || [], max: j.max || [], use: j.use || [], estimated: j.estimated || [] };
  }
  function fetchBaseline(range) {
    var u = new URL(cfg.baselineUrl, location.href);
    u.searchParams.set("start", isoDate(range[0]));
    u.searchParams.set("end", isoDate(range[1] - 1 + (range[1] === dayStart(range[1]) ? 0 : D)));
    return fetch(u, { credentials: "same-origin" }).then(function (r) { return r.json().then(function (j) { j.ok = r.ok; return j; }); });
  }

  // --- charts ---------------------------------------------------------------------------------
  var mainEl = document.getElementById("chart-main"), baseEl = document.getElementById("chart-baseline"),
    cusumEl = document.getElementById("chart-cusum"), baseBox = document.getElementById("baseline-charts");
  var charts = {};
  function width(el) { return Math.max(280, el.clientWidth || root.clientWidth || 600); }
  function height() { return window.innerWidth < 600 ? 220 : 300; }
  var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 64] }) : null;
  var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : null;
  function fmtNum(v) { return v == null ? "–" : v.toLocaleString(undefined, { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 }); }
  function makeChart(el, name, opts, data) {
    if (charts[name]) { charts[name].destroy(); }
    opts.width = width(el); opts.height = height();
    opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); };
    charts[name] = new uPlot(opts, data, el);
    return charts[name];
  }
  function zoomHooks() {
    return { setSelect: [function (u) {
      if (u.select.width < 8) return;
      var a = u.posToVal(u.select.left, "x") * 1000, b = u.posToVal(u.select.left + u.select.width, "x") * 1000;
      u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
      state.kind = "custom";
      state.range = [Math.floor(a / 60e3) * 60e3, Math.ceil(b / 60e3) * 60e3];
      if (state.range[1] - state.range[0] < H) state.range = [state.range[0], state.range[0] + H];
      load();
    }] };
  }

  function fromZero(u, lo, hi) { // bars of use stand on zero
    var top = hi > 0 ? hi * 1.05 : 1;
    return [Math.min(0, lo == null ? 0 : lo), top];
  }
  var shown = null; // what the main chart draws: {labels, units, data}
  function drawMain(cur, cmp) {
    var off = cmp ? state.range[0] / 1000 - cmp.range[0] / 1000 : 0;
    var isUse = state.view === "use";
    var unit = cur.unit;
    var labels = [t("time")], data = [cur.t], series = [{}];
    var color = "#0b6e4f", cmpColor = "#8a5cc2";
    if (isUse) {
      labels.push(t("use") + " (" + unit + ")"); data.push(cur.use);
      series.push({ label: t("use"), stroke: color, fill: "rgba(11,110,79,.35)", paths: bars, points: { show: false }, value: function (u, v) { return fmtNum(v); } });
    } else {
      labels.push(t("mean") + " (" + unit + ")", t("min") + " (" + unit + ")", t("max") + " (" + unit + ")");
      data.push(cur.mean, cur.min, cur.max);
      series.push({ label: t("mean"), stroke: color, width: 1.5, value: function (u, v) { return fmtNum(v); } },
        { label: t("min"), stroke: "rgba(11,110,79,.3)", width: 1, value: function (u, v) { return fmtNum(v); } },
        { label: t("max"), stroke: "rgba(11,110,79,.3)", width: 1, value: function (u, v) { return fmtNum(v); } });
    }
    if (cmp) {
      var vals = isUse ? cmp.data.use : cmp.data.mean;
      // align the comparison's buckets on this period's by their offset from its start
      var byT = {};
      cmp.data.t.forEach(function (x, i) { byT[Math.round(x + off)] = vals[i]; });
      var aligned = cur.t.map(function (x) { var v = byT[Math.round(x)]; return v === undefined ? null : v; });
      labels.push(cmp.label + " (" + unit + ")"); data.push(aligned);
      series.push({ label: cmp.label, stroke: cmpColor, width: 1.5, dash: [6, 4], paths: isUse ? stepped : undefined, value: function (u, v) { return fmtNum(v); } });
    }
    var opts = { series: series, scales: { x: { time: true }, y: isUse ? { range: fromZero } : {} },
      axes: [{}, { label: unit, size: 60, values: function (u, vs) { return vs.map(fmtNum); } }],
      cursor: { drag: { x: true, y: false, setScale: false } }, hooks: zoomHooks(), legend: { live: true } };
    if (!isUse) opts.bands = [{ series: [3, 2], fill: "rgba(11,110,79,.12)" }];
    makeChart(mainEl, "main", opts, data);
    shown = { labels: labels, data: data };
    root.setAttribute("data-points", String(cur.t.length));
    root.setAttribute("data-compare-points", String(cmp ? data[data.length - 1].filter(function (v) { return v != null; }).length : 0));
  }

  function drawBaseline(j) {
    var note = document.getElementById("baseline-note");
    if (!baseEl) return;
    var usable = j.ok && j.points && j.points.filter(function (p) { return p.savings != null; }).length > 1;
    if (!usable) {
      note.textContent = (j && !j.ok && (j.detail || j.message)) || (j && j.detail) || t("no_baseline");
      baseBox.hidden = true; return;
    }
    baseBox.hidden = false;
    var ts = [], obs = [], exp = [], lo = [], hi = [], cum = [];
    j.points.forEach(function (p) {
      ts.push(Date.parse(p.start) / 1000); obs.push(p.observed); exp.push(p.expected); cum.push(p.cumulative);
      lo.push(p.expected == null || j.band_90 == null ? null : p.expected - j.band_90);
      hi.push(p.expected == null || j.band_90 == null ? null : p.expected + j.band_90);
    });
    note.textContent = j.summary || "";
    var u = j.unit;
    makeChart(baseEl, "baseline", {
      series: [{}, { label: t("metered") + " (" + u + ")", stroke: "#0b6e4f", fill: "rgba(11,110,79,.35)", paths: bars, points: { show: false }, value: function (x, v) { return fmtNum(v); } },
        { label: t("expected") + " (" + u + ")", stroke: "#1f5fae", width: 2, value: function (x, v) { return fmtNum(v); } },
        { label: t("band_low"), stroke: "rgba(31,95,174,.25)", points: { show: false }, value: function (x, v) { return fmtNum(v); } },
        { label: t("band_high"), stroke: "rgba(31,95,174,.25)", points: { show: false }, value: function (x, v) { return fmtNum(v); } }],
      bands: [{ series: [4, 3], fill: "rgba(31,95,174,.12)" }], scales: { x: { time: true }, y: { range: fromZero } },
      axes: [{}, { label: u, size: 60, values: function (x, vs) { return vs.map(fmtNum); } }],
      cursor: { drag: { x: true, y: false, setScale: false } }, hooks: zoomHooks() }, [ts, obs, exp, lo, hi]);
    makeChart(cusumEl, "cusum", {
      series: [{}, { label: t("cusum") + " (" + u + ")", stroke: "#b25e00", width: 2, fill: "rgba(178,94,0,.08)", value: function (x, v) { return fmtNum(v); } }],
      axes: [{}, { label: u, size: 60, values: function (x, vs) { return vs.map(fmtNum); } }],
      cursor: { drag: { x: true, y: false, setScale: false } }, hooks: zoomHooks() }, [ts, cum]);
  }

  // --- the page's state -> requests -------------------------------------------------------------
  var status = document.getElementById("chart-status");
  var seq = 0;
  function load() {
    var my = ++seq;
    var range = state.range;
    // a line can take a point per pixel; a bar needs a few pixels to read (Grafana: max data
    // points = panel width)
    var res = resolution(range, state.view === "use" ? width(mainEl) / 4 : width(mainEl));
    var quantity = state.view === "use" ? cfg.counter : cfg.gauge;
    root.setAttribute("data-resolution", resLabel(res));
    root.setAttribute("data-start", new Date(range[0]).toISOString());
    root.setAttribute("data-end", new Date(range[1]).toISOString());
    document.getElementById("range-label").textContent = label(range) + " · " + t("resolution") + " " + resLabel(res);
    document.getElementById("from").value = isoDate(range[0]);
    document.getElementById("to").value = isoDate(range[1] - 1);
    document.querySelectorAll("[data-kind]").forEach(function (b) { b.classList.toggle("on", b.dataset.kind === state.kind); });
    status.textContent = t("loading");
    root.setAttribute("data-loading", "1");
    var cmpRange = state.compare === "prev" ? shift(range, state.kind, -1) : state.compare === "year" ? lastYear(range) : null;
    var jobs = [fetchSeries(quantity, range, res)];
    if (cmpRange) jobs.push(fetchSeries(quantity, cmpRange, res));
    Promise.all(jobs).then(function (r) {
      if (my !== seq) return;
      var cmp = cmpRange ? { range: cmpRange, data: r[1], label: state.compare === "year" ? t("last_year") : t("previous") } : null;
      drawMain(r[0], cmp);
      status.textContent = "";
      root.removeAttribute("data-loading");
    }).catch(function (e) {
      if (my !== seq) return;
      status.textContent = t("error") + ": " + e.message;
      root.removeAttribute("data-loading");
    });
    if (cfg.baselineUrl) fetchBaseline(range).then(function (j) { if (my === seq) drawBaseline(j); }).catch(function () { /* note stays */ });
  }
  var dateFmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { timeZone: tz, dateStyle: "medium" });
  var timeFmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { timeZone: tz, dateStyle: "medium", timeStyle: "short" });
  function label(range) {
    var whole = range[0] === dayStart(range[0]) && range[1] === dayStart(range[1]);
    if (whole && range[1] - range[0] <= D + H) return dateFmt.format(range[0]);
    if (whole) return dateFmt.format(range[0]) + " – " + dateFmt.format(range[1] - 1);
    return timeFmt.format(range[0]) + " – " + timeFmt.format(range[1]);
  }

  // --- CSV of exactly what the main chart shows (its visible x range) ---------------------------
  function csv() {
    if (!shown) return;
    var u = charts.main, lo = u.scales.x.min, hi = u.scales.x.max;
    var lines = [["time (" + tz + ")"].concat(shown.labels.slice(1)).join(",")];
    shown.data[0].forEach(function (x, i) {
      if (x < lo || x > hi) return;
      var row = [isoLocal(x * 1000)];
      for (var k = 1; k < shown.data.length; k++) { var v = shown.data[k][i]; row.push(v == null ? "" : String(v)); }
      lines.push(row.join(","));
    });
    var blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = cfg.site + "-" + cfg.meter + "-" + isoDate(state.range[0]) + "-" + isoDate(state.range[1] - 1) + ".csv";
    document.body.appendChild(a); a.click(); a.remove();
    root.setAttribute("data-csv-rows", String(lines.length - 1));
    window.pmLastCsv = lines.join("\n");
  }

  // --- controls ---------------------------------------------------------------------------------
  document.querySelectorAll("[data-kind]").forEach(function (b) {
    b.addEventListener("click", function () { state.kind = b.dataset.kind; state.range = period(state.kind, Math.min(state.range[1] - 1, anchor)); load(); });
  });
  document.getElementById("prev").addEventListener("click", function () { state.range = shift(state.range, state.kind, -1); load(); });
  document.getElementById("next").addEventListener("click", function () { state.range = shift(state.range, state.kind, 1); load(); });
  document.getElementById("zoom-out").addEventListener("click", function () {
    var span = state.range[1] - state.range[0], mid = (state.range[0] + state.range[1]) / 2;
    state.kind = "custom"; state.range = [Math.round(mid - span), Math.round(mid + span)]; load();
  });
  document.getElementById("apply-range").addEventListener("click", function () {
    var a = fromDateInput(document.getElementById("from").value), b = fromDateInput(document.getElementById("to").value);
    if (!(b >= a)) { status.textContent = t("bad_range"); return; }
    state.kind = "custom"; state.range = [a, local(parts(b).year, parts(b).month - 1, parts(b).day + 1)]; load();
  });
  document.getElementById("compare").addEventListener("change", function (e) { state.compare = e.target.value; load(); });
  var viewSel = document.getElementById("view");
  if (viewSel) viewSel.addEventListener("change", function (e) { state.view = e.target.value; load(); });
  document.getElementById("billing-day").addEventListener("change", function (e) {
    billingDay = Math.min(Math.max(parseInt(e.target.value, 10) || 1, 1), 28);
    state.kind = "billing"; state.range = period("billing", Math.min(state.range[1] - 1, anchor)); load();
  });
  document.getElementById("csv").addEventListener("click", csv);
  var resizeTimer = null;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(load, 250); });
  load();
})();
