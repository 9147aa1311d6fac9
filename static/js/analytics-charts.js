// Statistics charts: the data comes from the page's json_script block (#chart-data);
// ECharts is vendored (static/vendor/echarts). Without JavaScript the table below says it all.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var isRate = data.kind !== "volume";
  var unit = data.unit || "";
  var charts = [];
  var MAX_BARS = 30;

  // A rate's axis runs to 100 %, unless every value and the target are small (the plans'
  // 2 % first-aid target): then it fits them, or the bars would lie flat on the axis.
  function rateAxis(points) {
    var top = data.target === null ? 0 : data.target;
    points.forEach(function (p) { if (p.value !== null && p.value > top) top = p.value; });
    var axis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    if (top <= 40) axis.max = niceCeil(top * 1.15);  // the target line too must lie inside the axis
    return axis;
  }

  function niceCeil(x) {
    if (!(x > 0)) return 1;
    var step = Math.pow(10, Math.floor(Math.log10(x)));
    var nice = [1, 2, 2.5, 5, 10].map(function (m) { return m * step; }).filter(function (v) { return v >= x; })[0];
    return Math.min(100, nice);
  }

  function fmt(v) { return v === null || v === undefined ? "—" : v + (isRate ? "%" : (unit ? " " + unit : "")); }

  function tooltip(points) {
    return {
      trigger: "axis",
      renderMode: "richText",  // drawn on the canvas: no HTML with inline styles (CSP)
      formatter: function (items) {
        var p = points[items[0].dataIndex];
        var line = p.label + "\n" + fmt(p.value);
        if (isRate) line += "  (" + p.n + "/" + p.d + ")";
        return line;
      }
    };
  }

  function targetLine() {
    if (!isRate || data.target === null) return undefined;
    return { silent: true, symbol: "none", lineStyle: { color: "#1e7b34", type: "dashed" },
      label: { formatter: data.labels.target + " " + data.target + "%", position: "insideEndTop" },
      data: [{ yAxis: data.target }] };
  }

  function make(el, option) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  }

  var trendEl = document.querySelector('[data-chart="trend"]');
  if (trendEl) {
    if (!data.trend.length) { trendEl.classList.add("empty"); trendEl.textContent = data.labels.none; }
    else make(trendEl, {
      animation: false,
      grid: { left: 44, right: 16, top: 24, bottom: 28 },
      tooltip: tooltip(data.trend),
      xAxis: { type: "category", data: data.trend.map(function (p) { return p.label; }) },
      yAxis: isRate ? rateAxis(data.trend) : { type: "value" },
      series: [{ type: "line", name: data.labels.value, connectNulls: false, symbolSize: 7,
        itemStyle: { color: "#1d5fbf" }, data: data.trend.map(function (p) { return p.value; }),
        markLine: targetLine() }]
    });
  }

  var barsEl = document.querySelector('[data-chart="bars"]');
  if (barsEl) {
    var bars = data.bars;
    if (bars.length > MAX_BARS) {
      // Too many to draw: the ones that need attention (the lowest rates, the largest volumes),
      // and a note saying so; the table below has every row.
      bars = bars.slice().sort(function (a, b) {
        if (a.value === null) return 1;
        if (b.value === null) return -1;
        return isRate ? a.value - b.value : b.value - a.value;
      }).slice(0, MAX_BARS);
      var note = document.createElement("p");
      note.className = "muted chart-note";
      note.setAttribute("data-chart-note", "");
      note.textContent = data.labels.shown.replace("{n}", MAX_BARS).replace("{total}", data.bars.length);
      barsEl.parentNode.insertBefore(note, barsEl.nextSibling);
    }
    if (!bars.length) { barsEl.classList.add("empty"); barsEl.textContent = data.labels.none; }
    else {
      barsEl.classList.add(bars.length <= 6 ? "rows-s" : bars.length <= 14 ? "rows-m" : "rows-l");
      make(barsEl, {
        animation: false,
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        tooltip: tooltip(bars),
        yAxis: { type: "category", inverse: true, data: bars.map(function (p) { return p.label; }),
          axisLabel: { width: 110, overflow: "truncate" } },
        xAxis: isRate ? rateAxis(bars) : { type: "value" },
        series: [{ type: "bar", name: data.labels.value, barMaxWidth: 22,
          data: bars.map(function (p) {
            var good = !isRate || data.target === null || p.value === null || p.value >= data.target;
            return { value: p.value, itemStyle: { color: good ? "#1e7b34" : "#b42318" } };
          }),
          label: { show: true, position: "right", formatter: function (x) { return fmt(x.value); } },
          markLine: targetLine() && { silent: true, symbol: "none", lineStyle: { color: "#1e7b34", type: "dashed" },
            label: { show: false }, data: [{ xAxis: data.target }] } }]
      });
    }
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
