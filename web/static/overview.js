/* 智诊 bureau overview: the dashboard's charts, drawn with the vendored ECharts from data-charts (no inline script). */
(function () {
  "use strict";
  var root = document.getElementById("overview");
  if (!root || !window.echarts) { return; }
  var C = JSON.parse(root.dataset.charts);
  var L = C.labels;
  var yuan = function (fen) { return "¥" + (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); };
  var levelName = function (n) { return L.level.replace("{n}", n); };
  var grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
  var stacked = function (data) {
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, width: 90, overflow: "break", rotate: data.categories.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) { return { type: "bar", stack: "lvl", barMaxWidth: 56, name: levelName(s.level), data: s.counts }; })
    };
  };
  var options = {
    "levels-district": function () { return stacked(C.levels.district); },
    "levels-industry": function () { return stacked(C.levels.industry); },
    "status": function () {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "category", data: C.status.months },
        yAxis: { type: "value", minInterval: 1 },
        series: C.status.series.map(function (s) {
          return { type: "line", stack: "st", areaStyle: {}, name: L.stages[s.stage] || s.stage, data: s.counts, symbol: "none" };
        })
      };
    },
    "spend": function () {
      var names = C.spend.map(function (b) { return b.name; });
      var pick = function (k) { return C.spend.map(function (b) { return b[k]; }); };
      return {
        tooltip: { trigger: "axis", valueFormatter: yuan }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "value", splitNumber: 3, axisLabel: { hideOverlap: true, formatter: function (v) { return (v / 1000000).toLocaleString("zh-CN") + "万"; } } },
        yAxis: { type: "category", data: names },
        series: [
          { type: "bar", name: L.budget, data: pick("budget_fen"), itemStyle: { color: "#c9d6e3" } },
          { type: "bar", name: L.committed, data: pick("committed_fen") },
          { type: "bar", name: L.billed, data: pick("billed_fen") }
        ]
      };
    },
    "league": function () {
      var rows = C.league.slice(0, 15);
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
        series: [
          { type: "bar", barMaxWidth: 18, name: L.assigned, data: rows.map(function (r) { return r.assigned; }) },
          { type: "bar", name: L.completed, data: rows.map(function (r) { return r.completed; }) },
          { type: "bar", name: L.returned, data: rows.map(function (r) { return r.returned; }) }
        ]
      };
    }
  };
  root.querySelectorAll("[data-overview]").forEach(function (el) {
    var make = options[el.dataset.overview];
    if (!make) { return; }
    var chart = echarts.init(el);
    chart.setOption(make());
    el.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
