// perfplan's HTML report: draws the charts described in #perfplan-charts
// with uPlot. The tables are rendered by perfplan itself; this script only
// draws. It records every error in the page (#js-errors and the body's
// data-js-errors attribute) and marks each chart it drew: data-points (the
// finite values plotted), data-ink (pixels the series changed on the
// canvas) and data-drawn ("1" when both are positive), which the browser
// test reads from the DOM.
(function () {
  "use strict";
  var errors = [];
  function fail(msg) {
    errors.push(String(msg));
    document.body.setAttribute("data-js-errors", String(errors.length));
    var el = document.getElementById("js-errors");
    if (el) {
      el.hidden = false;
      el.textContent = "Errors while drawing this report:\n" + errors.join("\n");
    }
  }
  window.addEventListener("error", function (e) {
    fail("error: " + e.message + (e.filename ? " at " + e.filename + ":" + e.lineno : ""));
  });
  window.addEventListener("unhandledrejection", function (e) {
    fail("unhandled rejection: " + e.reason);
  });
  var consoleError = console.error;
  console.error = function () {
    fail("console.error: " + Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };

  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"];

  // sig3 prints v with three significant figures, as perfplan's tables do.
  function sig3(v) {
    if (v >= 100) return v.toFixed(0);
    if (v >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function duration(ns) {
    if (ns == null) return "–";
    var neg = ns < 0 ? "-" : "";
    ns = Math.abs(ns);
    if (ns === 0) return "0";
    if (ns < 1e3) return neg + Math.round(ns) + "ns";
    if (ns < 1e6) return neg + sig3(ns / 1e3) + "µs";
    if (ns < 1e9) return neg + sig3(ns / 1e6) + "ms";
    if (ns < 60e9) return neg + sig3(ns / 1e9) + "s";
    var s = Math.round(ns / 1e9);
    return neg + Math.floor(s / 60) + "m" + (s % 60) + "s";
  }
  function rate(r) {
    if (r == null) return "–";
    if (r <= 0) return "0/s";
    if (r < 1e3) return sig3(r) + "/s";
    if (r < 1e6) return sig3(r / 1e3) + "k/s";
    return sig3(r / 1e6) + "M/s";
  }
  function bytes(n) {
    if (n == null) return "–";
    var sign = n < 0 ? "-" : "";
    var v = Math.abs(n), units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return sign + (i === 0 ? v.toFixed(0) : v.toFixed(1)) + units[i];
  }
  function number(v) {
    if (v == null) return "–";
    if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toPrecision(3);
    return String(+v.toPrecision(4));
  }
  // percentile labels the spectrum's x axis, 1/(1-p): 10 is 90%.
  function percentile(x) {
    if (x == null) return "–";
    var p = 100 * (1 - 1 / x);
    if (p <= 0) return "0%";
    var digits = Math.max(0, Math.ceil(-Math.log10(100 - p) + 1e-9));
    return (+p.toFixed(Math.min(digits, 6))) + "%";
  }
  function seconds(s) {
    if (s == null) return "–";
    if (Math.abs(s) < 60) return (+s.toFixed(1)) + "s";
    var m = Math.floor(s / 60);
    return m + "m" + Math.round(s - 60 * m) + "s";
  }
  function formatter(unit) {
    switch (unit) {
      case "ns": return duration;
      case "/s": return rate;
      case "B": return bytes;
      case "B/min": return function (v) { return v == null ? "–" : bytes(v) + "/min"; };
      case "%": return function (v) { return v == null ? "–" : (+v.toFixed(1)) + "%"; };
      case "ratio": return function (v) { return v == null ? "–" : (+(100 * v).toPrecision(3)) + "%"; };
      case "p": return percentile;
      case "s": return seconds;
      case "min": return function (v) { return v == null ? "–" : (+v.toFixed(2)) + "min"; };
      case "run": return function (v) { return v == null ? "–" : "#" + v; };
      case "date": return function (v) { return v == null ? "–" : new Date(v * 1000).toISOString().slice(0, 16).replace("T", " "); };
    }
    return number;
  }
  // ticks formats axis ticks; on a run axis only whole runs are labelled.
  function ticks(unit) {
    var f = formatter(unit);
    return function (u, vals) {
      return vals.map(function (v) {
        if (v == null) return "";
        if (unit === "run" && Math.round(v) !== v) return "";
        return f(v);
      });
    };
  }

  // pixels copies the plotting area into a scratch canvas made for reading
  // back, and returns its pixels; changed counts those that differ.
  var scratch = null;
  function pixels(u) {
    var b = u.bbox;
    if (b.width <= 0 || b.height <= 0) return null;
    if (!scratch) scratch = document.createElement("canvas");
    scratch.width = b.width;
    scratch.height = b.height;
    var c = scratch.getContext("2d", { willReadFrequently: true });
    c.clearRect(0, 0, b.width, b.height);
    c.drawImage(u.ctx.canvas, b.left, b.top, b.width, b.height, 0, 0, b.width, b.height);
    return c.getImageData(0, 0, b.width, b.height).data;
  }
  function changed(before, after) {
    if (!before || !after || before.length !== after.length) return 0;
    var n = 0;
    for (var i = 0; i < after.length; i += 4) {
      if (after[i] !== before[i] || after[i + 1] !== before[i + 1] || after[i + 2] !== before[i + 2] || after[i + 3] !== before[i + 3]) n++;
    }
    return n;
  }

  function drawMarkers(u, markers) {
    if (!markers || !markers.length) return;
    var ctx = u.ctx, b = u.bbox, dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = (11 * dpr) + "px sans-serif";
    ctx.textBaseline = "top";
    markers.forEach(function (m, i) {
      var x = u.valToPos(m.x, "x", true);
      if (!isFinite(x) || x < b.left - 1 || x > b.left + b.width + 1) return;
      var color = m.color || "#444";
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1.5 * dpr;
      if (m.y != null) {
        var y = u.valToPos(m.y, m.scale || "y", true);
        ctx.beginPath();
        ctx.arc(x, y, 5 * dpr, 0, 2 * Math.PI);
        ctx.stroke();
        if (m.label) ctx.fillText(m.label, Math.min(x + 7 * dpr, b.left + b.width - ctx.measureText(m.label).width), y - 14 * dpr);
        return;
      }
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      ctx.setLineDash([]);
      if (m.label) {
        var w = ctx.measureText(m.label).width;
        var tx = x + 4 * dpr;
        if (tx + w > b.left + b.width) tx = x - 4 * dpr - w;
        ctx.fillText(m.label, tx, b.top + 2 * dpr + (i % 3) * 13 * dpr);
      }
    });
    ctx.restore();
  }

  function build(el, spec) {
    var fx = formatter(spec.x.unit);
    var series = [{ label: spec.x.label || "x", value: function (u, v) { return fx(v); } }];
    var scales = { x: { time: false } };
    if (spec.x.log) scales.x.distr = 3;
    scales.y = spec.y.log ? { distr: 3 } : {};
    if (spec.y.zero && !spec.y.log) scales.y.range = function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.05 : 1]; };
    var axes = [
      { values: ticks(spec.x.unit), label: spec.x.label, labelSize: 18, size: 40 },
      { scale: "y", values: ticks(spec.y.unit), label: spec.y.label, labelSize: 18, size: 64 },
    ];
    if (spec.y2) {
      scales.y2 = spec.y2.log ? { distr: 3 } : {};
      if (spec.y2.zero && !spec.y2.log) scales.y2.range = function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.05 : 1]; };
      axes.push({ scale: "y2", side: 1, grid: { show: false }, values: ticks(spec.y2.unit), label: spec.y2.label, labelSize: 18, size: 64 });
    }
    var data = [spec.xs];
    var points = 0;
    spec.series.forEach(function (s, i) {
      var unit = s.axis === 2 ? spec.y2.unit : spec.y.unit;
      var f = formatter(unit);
      var color = s.color || palette[i % palette.length];
      var cfg = {
        label: s.label,
        stroke: color,
        width: s.width || 1.5,
        scale: s.axis === 2 ? "y2" : "y",
        spanGaps: !!s.span,
        value: function (u, v) { return f(v); },
      };
      if (s.dash) cfg.dash = [6, 4];
      if (s.fill) cfg.fill = s.fill;
      if (s.points) {
        cfg.paths = function () { return null; };
        cfg.points = { show: true, size: 6, fill: color, stroke: color };
      } else if (s.line) {
        cfg.points = { show: false };
      }
      series.push(cfg);
      data.push(s.data);
      s.data.forEach(function (v) { if (v != null && isFinite(v)) points++; });
    });
    var bands = (spec.bands || []).map(function (b) {
      return { series: [b[0] + 1, b[1] + 1], fill: "rgba(31,119,180,0.12)" };
    });
    var before = null;
    var width = Math.max(280, el.clientWidth || 560);
    var opts = {
      width: width,
      height: spec.height || 230,
      // Room on the right for the last x tick's label, unless a second y
      // axis is there.
      padding: [12, spec.y2 ? 0 : 28, 0, 0],
      scales: scales,
      axes: axes,
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        drawAxes: [function (u) { before = pixels(u); }],
        draw: [function (u) {
          drawMarkers(u, spec.markers);
          var ink = changed(before, pixels(u));
          el.setAttribute("data-points", String(points));
          el.setAttribute("data-ink", String(ink));
          el.setAttribute("data-drawn", points > 0 && ink > 0 ? "1" : "0");
          if (points > 0 && ink === 0) fail("chart " + el.id + ": " + points + " values but nothing drawn");
        }],
      },
    };
    el.setAttribute("data-drawn", "0");
    var ymax = null;
    if (spec.series.length) {
      spec.series[0].data.forEach(function (v) { if (v != null && (ymax == null || v > ymax)) ymax = v; });
    }
    if (ymax != null) el.setAttribute("data-ymax", String(ymax));
    el.setAttribute("data-series", String(spec.series.length));
    return new uPlot(opts, data, el);
  }

  var charts = [];
  try {
    var specs = JSON.parse(document.getElementById("perfplan-charts").textContent);
    var els = document.querySelectorAll("[data-chart]");
    document.body.setAttribute("data-charts", String(els.length));
    Array.prototype.forEach.call(els, function (el) {
      var spec = specs[el.getAttribute("data-chart")];
      if (!spec) {
        fail("chart " + el.id + ": no data");
        return;
      }
      try {
        charts.push({ el: el, u: build(el, spec) });
      } catch (e) {
        fail("chart " + el.id + ": " + (e && e.stack || e));
      }
    });
  } catch (e) {
    fail("charts: " + (e && e.stack || e));
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      charts.forEach(function (c) {
        c.u.setSize({ width: Math.max(280, c.el.clientWidth), height: c.u.height });
      });
    }, 150);
  });
})();
