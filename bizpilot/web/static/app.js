/* Small page behaviours, no inline scripts, nothing from other hosts:
   - charts: draws every <canvas class="chart" data-chart='{...}'> with the bundled Chart.js;
   - imports: follows a running import (progress bar) and reloads its page when the run ends;
   - copy buttons: <button data-copy="element-id"> copies that field's text (the new API key). */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var lang = document.documentElement.lang || "en";
  var money = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var css = getComputedStyle(document.documentElement);
  var accent = (css.getPropertyValue("--accent") || "#1f6feb").trim();
  var negative = (css.getPropertyValue("--negative") || "#d1242f").trim();

  document.querySelectorAll("canvas.chart[data-chart]").forEach(function (canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var datasets = (spec.series || []).map(function (s) {
      if (spec.type === "line") {  // forecasts: history, forecast (dashed) and an interval band (fill: "-1")
        return { label: s.label, data: s.data, borderColor: s.color || accent, borderWidth: s.band ? 0 : 2,
                 borderDash: s.dashed ? [6, 4] : [], backgroundColor: s.band ? "rgba(31,111,235,0.15)" : "transparent",
                 fill: s.fill || false, pointRadius: 0, spanGaps: false };
      }
      return {
        label: s.label,
        data: s.data,
        backgroundColor: s.data.map(function (v) { return v < 0 ? negative : accent; }),
        borderRadius: 3,
        maxBarThickness: 42
      };
    });
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + money.format(ctx.parsed.y); } } }
        },
        scales: {
          y: { ticks: { callback: function (v) { return money.format(v); } } },
          x: { ticks: { autoSkip: true, maxRotation: 0 } }
        }
      }
    });
  });
})();

(function () {
  "use strict";
  var box = document.querySelector("[data-import-run][data-status-url]");
  if (!box || typeof window.fetch !== "function") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress");
  var label = document.getElementById("import-phase");
  var number = new Intl.NumberFormat(document.documentElement.lang || "en");
  var failures = 0;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : m;
    });
  }

  function show(progress) {
    if (!progress) { return; }
    var phase = String(progress.phase || "");
    var text = phase.indexOf("writing ") === 0
      ? fill(box.getAttribute("data-text-writing"), { table: phase.slice(8) })
      : box.getAttribute("data-text-reading");
    if (progress.total > 0) {
      bar.max = progress.total;
      bar.value = Math.min(progress.done || 0, progress.total);
      text += " · " + fill(box.getAttribute("data-text-rows"),
                           { done: number.format(progress.done || 0), total: number.format(progress.total) });
    }
    label.textContent = text;
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      })
      .then(function (run) {
        failures = 0;
        if (run.status !== "running") { window.location.reload(); return; }
        show(run.progress);
        window.setTimeout(poll, 500);
      })
      .catch(function () {
        failures += 1;  // a restarting server or a lost session: back off, then let a reload show what is wrong
        if (failures >= 5) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      });
  }
  window.setTimeout(poll, 300);
})();

(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) { return; }
      var done = function () { button.textContent = button.getAttribute("data-copied") || button.textContent; };
      field.focus();
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) { done(); }
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
