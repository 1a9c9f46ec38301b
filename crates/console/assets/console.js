// The console's only script of its own: htmx settings and the charts. Pages work without
// it (plain forms and links); it makes them quicker and draws the charts.
(function () {
  "use strict";

  if (window.htmx) {
    // Error answers carry a message for the #flash area (the server retargets them).
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
    htmx.config.allowEval = false;
  }

  function yuan(fen) {
    var negative = fen < 0;
    fen = Math.abs(Math.round(fen));
    var text = Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");
    return negative ? "-" + text : text;
  }

  function draw(element) {
    if (!window.echarts || element.dataset.drawn) return;
    var source = document.getElementById(element.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var fen = spec.unit === "fen";
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: spec.title, textStyle: { fontSize: 14 } },
      tooltip: {
        trigger: "axis",
        valueFormatter: fen ? function (v) { return "¥" + yuan(v); } : undefined,
      },
      legend: { bottom: 0, type: "scroll" },
      grid: { top: 40, left: 48, right: 16, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: spec.days },
      yAxis: {
        type: "value",
        minInterval: fen ? 0 : 1,
        axisLabel: fen ? { formatter: function (v) { return yuan(v); } } : {},
      },
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: s.kind,
          data: s.data,
          stack: spec.stacked ? "total" : undefined,
        };
      }),
    });
    element.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
