// The client's session-rating totals (0-40) by session, with the clinic's alert threshold as a
// dashed line. The table beside the chart carries the same numbers for screen readers.
(function () {
  "use strict";
  var canvas = document.getElementById("ratings-chart");
  var node = document.getElementById("ratings-data");
  if (!canvas || !node || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(node.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: "total",
          data: data.totals,
          borderColor: "#1d4f5e",
          backgroundColor: "#1d4f5e",
          pointRadius: 4,
          tension: 0,
        },
        {
          label: "threshold",
          data: data.labels.map(function () { return data.threshold; }),
          borderColor: "#6c757d",
          borderDash: [6, 4],
          pointRadius: 0,
        },
      ],
    },
    options: { animation: false, responsive: true, scales: { y: { min: 0, max: 40 } } },
  });
})();
