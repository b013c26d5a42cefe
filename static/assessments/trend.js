// Draws a measure's scores over time with its bands shaded. The same numbers are in the table
// beside the chart, which is what screen readers get (the figure is aria-hidden).
(function () {
  "use strict";
  var canvas = document.getElementById("trend-chart");
  var dataNode = document.getElementById("trend-data");
  if (!canvas || !dataNode || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  // Light fills that keep the line readable; darker = more difficulty, whatever the direction.
  var shades = ["#e8f4ea", "#f3f7e3", "#fbf4dd", "#fcebdc", "#f9e0e0"];

  var bandsPlugin = {
    id: "bands",
    beforeDraw: function (chart) {
      var area = chart.chartArea;
      var y = chart.scales.y;
      var ctx = chart.ctx;
      var count = data.bands.length;
      ctx.save();
      data.bands.forEach(function (band, index) {
        var shade = data.higherIsBetter ? shades[count - 1 - index] : shades[index];
        var top = y.getPixelForValue(Math.min(band.high + 0.5, data.max));
        var bottom = y.getPixelForValue(Math.max(band.low - 0.5, 0));
        ctx.fillStyle = shade || shades[shades.length - 1];
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.fillStyle = "#495057";
        ctx.font = "11px sans-serif";
        ctx.fillText(band.label, area.left + 4, top + 12);
      });
      ctx.restore();
    },
  };

  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.points.map(function (p) { return p.x; }),
      datasets: [
        {
          label: data.label,
          data: data.points.map(function (p) { return p.y; }),
          borderColor: "#1d4f5e",
          backgroundColor: "#1d4f5e",
          pointRadius: 4,
          tension: 0,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      scales: { y: { min: 0, max: data.max } },
      plugins: { legend: { display: false } },
    },
    plugins: [bandsPlugin],
  });
})();
