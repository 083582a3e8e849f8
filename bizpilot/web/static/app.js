/* Draws every <canvas class="chart" data-chart='{...}'> with the bundled Chart.js (no inline scripts, no CDN). */
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
