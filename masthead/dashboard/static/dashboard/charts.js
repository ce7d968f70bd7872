// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID"> with the vendored Chart.js.
(function () {
  "use strict";
  var colours = ["#2e1f5e", "#e9b04d", "#007d7e", "#cd4444", "#5c6bc0", "#8d6e63", "#43a047"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var kind = canvas.dataset.kind || "line";
    var datasets = Object.keys(data.lines).map(function (name, i) {
      return { label: name, data: data.lines[name], borderColor: colours[i % colours.length],
               backgroundColor: colours[i % colours.length], tension: 0.2, pointRadius: 0, borderWidth: 2 };
    });
    var stacked = kind === "stacked";
    var chart = new window.Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: stacked, ticks: { maxTicksLimit: 12 } }, y: { stacked: stacked, beginAtZero: true } }
      }
    });
    canvas.dataset.points = String(datasets.reduce(function (n, d) { return n + d.data.length; }, 0));
    canvas.chart = chart;
  }

  function drawAll() { document.querySelectorAll("canvas[data-chart]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
