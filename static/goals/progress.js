// A goal's progress by week from use check-ins, with the client's target as a dashed line.
// The table beside the chart carries the same numbers for screen readers.
(function () {
  "use strict";
  var canvas = document.getElementById("progress-chart");
  var node = document.getElementById("progress-data");
  if (!canvas || !node || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(node.textContent);
  var labels = data.points.map(function (p) { return p.x; });
  var datasets = [
    {
      label: data.label,
      data: data.points.map(function (p) { return p.y; }),
      borderColor: "#1d4f5e",
      backgroundColor: "#1d4f5e",
      pointRadius: 4,
      tension: 0,
    },
  ];
  if (data.target !== null) {
    datasets.push({
      label: "target",
      data: labels.map(function () { return data.target; }),
      borderColor: "#6c757d",
      borderDash: [6, 4],
      pointRadius: 0,
    });
  }
  var y = { min: 0 };
  if (data.max !== null) {
    y.max = data.max;
  }
  new Chart(canvas, {
    type: "line",
    data: { labels: labels, datasets: datasets },
    options: { animation: false, responsive: true, scales: { y: y } },
  });
})();
