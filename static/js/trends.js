// papersift trends page: draw the keyword series and the papers-per-category chart with the
// vendored Chart.js from the JSON the page embeds. The tables beside them carry the same data.
(function () {
  "use strict";
  var COLORS = ["#b3261e", "#1a5fb4", "#2e7d32", "#a15c00", "#6a1b9a", "#00838f", "#ad1457",
                "#4e342e", "#546e7a", "#827717"];

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function textColor() {
    return getComputedStyle(document.body).getPropertyValue("color") || "#1d232a";
  }

  function seriesChart(report) {
    var canvas = document.getElementById("trend-chart");
    if (!canvas || !report) return null;
    var terms = Object.keys(report.terms);
    if (!terms.length) return null;
    var months = report.terms[terms[0]].map(function (r) { return r.month; });
    var datasets = terms.map(function (term, i) {
      var rows = report.terms[term];
      return {
        label: term,
        data: rows.map(function (r) { return r.fraction === null ? null : 100 * r.fraction; }),
        rows: rows,
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length],
        borderWidth: 2, pointRadius: months.length > 60 ? 0 : 2, pointHoverRadius: 4,
        tension: 0, spanGaps: false
      };
    });
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: months, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "% of papers", color: textColor() },
               ticks: { color: textColor() } },
          x: { ticks: { color: textColor(), maxRotation: 0, autoSkip: true } }
        },
        plugins: {
          legend: { labels: { color: textColor() } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var r = ctx.dataset.rows[ctx.dataIndex];
                if (r.fraction === null) return ctx.dataset.label + ": no papers";
                return ctx.dataset.label + ": " + (100 * r.fraction).toFixed(2) + "% (" +
                  r.count + " of " + r.papers + " papers)";
              }
            }
          }
        }
      }
    });
  }

  function categoryChart(totals) {
    var canvas = document.getElementById("category-chart");
    if (!canvas || !totals) return null;
    var names = Object.keys(totals.categories);
    var datasets = names.map(function (name, i) {
      return { label: name, data: totals.categories[name],
               backgroundColor: name === "other" ? "#9aa3ad" : COLORS[i % COLORS.length] };
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: totals.months, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true, ticks: { color: textColor(), maxRotation: 0, autoSkip: true } },
                  y: { stacked: true, title: { display: true, text: "papers", color: textColor() },
                       ticks: { color: textColor() } } },
        plugins: { legend: { labels: { color: textColor() } } }
      }
    });
  }

  function init() {
    if (typeof window.Chart !== "function") return;
    window.papersift = window.papersift || {};
    window.papersift.trendCharts = {
      series: seriesChart(readJSON("trend-data")),
      categories: categoryChart(readJSON("category-data"))
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
