// The script report.html runs after the inlined Chart.js: it reads the chart series embedded as JSON (built by
// charts.ts) and draws the three charts, with animation off so they are complete as soon as the page has loaded.
// Plain browser JavaScript kept as a string (bundled into the page as is); tests/eval/report-html.test.ts runs it
// in headless Chromium.

export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var PALETTE = [[36, 87, 166], [214, 69, 65], [46, 139, 87], [230, 145, 56], [128, 90, 184], [23, 162, 184], [140, 86, 75], [227, 119, 194]];
  function color(i, alpha) {
    var c = PALETTE[i % PALETTE.length];
    return 'rgba(' + c[0] + ', ' + c[1] + ', ' + c[2] + ', ' + alpha + ')';
  }
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent || 'null') : null;
  }
  /** Replaces a chart's canvas with a note (used when drawing fails). */
  function showProblem(canvasId, message) {
    var canvas = document.getElementById(canvasId);
    var box = canvas && canvas.parentNode;
    if (!box) return;
    var note = document.createElement('p');
    note.className = 'no-data';
    note.textContent = message;
    box.parentNode.replaceChild(note, box);
  }

  /** Draws each bar's 95% interval as a vertical line with caps; the interval rides in dataset.ci. */
  var ciPlugin = {
    id: 'umweltCi95',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        if (!chart.isDatasetVisible(i) || !ds.ci) return;
        chart.getDatasetMeta(i).data.forEach(function (bar, j) {
          var ci = ds.ci[j];
          if (!ci) return;
          var top = y.getPixelForValue(ci.high);
          var bottom = y.getPixelForValue(ci.low);
          var half = Math.max(2, Math.min(7, (bar.width || 8) / 4));
          ctx.save();
          ctx.strokeStyle = 'rgba(20, 24, 33, 0.85)';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(bar.x, top);
          ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - half, top);
          ctx.lineTo(bar.x + half, top);
          ctx.moveTo(bar.x - half, bottom);
          ctx.lineTo(bar.x + half, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  /** Log-axis tick labels at powers of ten only (0.01, 0.1, 1, 10, ...); the other grid lines stay unlabelled. */
  function decadeLabel(value) {
    var v = Number(value);
    var exponent = Math.log10(v);
    if (!(v > 0) || Math.abs(exponent - Math.round(exponent)) > 1e-6) return '';
    return String(Number(v.toPrecision(1)));
  }

  function baseOptions() {
    return { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: 'top' } } };
  }

  function successConfig(d) {
    var options = baseOptions();
    options.scales = { y: { min: 0, max: 1, title: { display: true, text: 'success rate (bars: 95% Wilson interval)' } } };
    options.plugins.tooltip = { callbacks: { label: function (item) { return item.dataset.tips[item.dataIndex]; } } };
    return {
      type: 'bar',
      data: {
        labels: d.labels,
        datasets: d.series.map(function (s, i) {
          return { label: s.planner, data: s.rates, ci: s.ci, tips: s.tips, backgroundColor: color(i, 0.7), borderColor: color(i, 1), borderWidth: 1, maxBarThickness: 90 };
        }),
      },
      options: options,
      plugins: [ciPlugin],
    };
  }

  function histogramConfig(d) {
    var options = baseOptions();
    options.interaction = { mode: 'nearest', intersect: false };
    var x = { type: d.logX ? 'logarithmic' : 'linear', title: { display: true, text: d.xTitle } };
    if (d.logX) x.ticks = { autoSkip: false, maxRotation: 0, callback: decadeLabel };
    else if (d.integerX) x.ticks = { precision: 0 };
    options.scales = { x: x, y: { beginAtZero: true, title: { display: true, text: d.yTitle } } };
    options.plugins.tooltip = { callbacks: { title: function () { return ''; }, label: function (item) { return item.raw.tip; } } };
    return {
      type: 'line',
      data: {
        datasets: d.series.map(function (s, i) {
          return {
            label: s.planner + ' (n = ' + s.total + ')',
            data: s.points,
            stepped: 'before', // Chart.js 'before': along at the previous point's height, then up or down
            fill: 'origin',
            borderColor: color(i, 1),
            backgroundColor: color(i, 0.15),
            borderWidth: 2,
            pointRadius: 0,
            pointHitRadius: 6,
          };
        }),
      },
      options: options,
    };
  }

  function draw(canvasId, spec, build) {
    if (!spec || spec.kind !== 'chart' || !document.getElementById(canvasId)) return;
    try {
      new Chart(document.getElementById(canvasId), build(spec.data));
    } catch (e) {
      showProblem(canvasId, 'This chart could not be drawn: ' + (e && e.message ? e.message : String(e)));
      console.error(e);
    }
  }

  var charts = readJson('chart-data');
  if (!charts) return;
  if (typeof Chart === 'undefined') {
    ['chart-success', 'chart-latency', 'chart-steps'].forEach(function (id) { showProblem(id, 'Chart.js did not load: the charts cannot be drawn.'); });
    console.error('report: Chart.js did not load');
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  draw('chart-success', charts.success, successConfig);
  draw('chart-latency', charts.latency, histogramConfig);
  draw('chart-steps', charts.steps, histogramConfig);
})();
`;
