// perfplan's chart renderer: line and point charts on a canvas, written for
// the HTML report (report.js builds the options from #perfplan-charts). It
// draws linear and log10 scales, an optional second y axis on the right,
// series with gaps, points, fills and bands between two series, markers,
// and a legend under the chart that reads out the values nearest the
// pointer. No dependencies, no build step.
//
//   var c = new PerfplanChart(el, opts); c.setSize(width);
//
// opts: width, height (CSS pixels, the canvas), xs, x, y, y2 (axes: label,
// log, zero, fmt (value → text), whole (integer ticks only), base (1024
// or 60: ticks at multiples of its powers)), series (label, color, width,
// dash, points, line, span, fill, axis (2: y2), data, fmt), bands ([upper,
// lower, fill]), markers (x, y, label, color, scale), and the hooks
// beforeSeries(chart) and afterSeries(chart), called with the canvas in
// device pixels, around the drawing of the series and markers. chart.bbox
// is the plotting area in device pixels and chart.valToPos(v, scale, true)
// a value's position there.
var PerfplanChart = (function () {
  "use strict";
  var FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
  var LABEL_FONT = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
  var TEXT = "#4a5263", GRID = "#e7e9ee", MINOR = "#f3f4f6", FRAME = "#c9ced8";
  var MANTISSAS = [1, 2, 2.5, 5, 10];

  function finite(v) { return v != null && isFinite(v); }
  function tidy(v) { return parseFloat(v.toPrecision(12)); }

  // niceAtLeast returns the smallest nice step ≥ raw: 1, 2, 2.5 or 5 times
  // a power of ten; with base 1024 and an axis whose values reach mag ≥
  // 1024, times the power of 1024 the labels are written in (KiB, MiB…);
  // with base 60 and values past two minutes, times minutes or hours.
  function niceAtLeast(raw, base, mag) {
    var scale = 1;
    if (base && mag >= (base === 60 ? 120 : base)) {
      scale = Math.pow(base, Math.floor(Math.log(mag) / Math.log(base) + 1e-9));
      raw /= scale;
    }
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (var i = 0; i < MANTISSAS.length; i++) {
      // Not 0.25 or 0.025: the formats round them (0.25s shows as 0.3s).
      if (MANTISSAS[i] === 2.5 && p < 1) continue;
      if (MANTISSAS[i] * p >= raw * (1 - 1e-9)) return tidy(MANTISSAS[i] * p) * scale;
    }
    return 10 * p * scale;
  }

  // Scale maps values of one axis to pixels along a length.
  function Scale(axis, lo, hi) {
    this.log = !!axis.log;
    this.min = lo;
    this.max = hi;
  }
  Scale.prototype.frac = function (v) {
    if (this.log) return (Math.log10(v) - Math.log10(this.min)) / (Math.log10(this.max) - Math.log10(this.min));
    return (v - this.min) / (this.max - this.min);
  };

  // range returns an axis' [min, max] for its values: a log axis snaps to
  // whole decades; a linear one pads by 5% (or, with zero, keeps 0 and
  // leaves 5% above the largest value).
  function range(axis, values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) {
      if (!finite(v) || (axis.log && v <= 0)) return;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    });
    if (axis.log) {
      if (lo > hi) return [1, 10];
      lo = Math.pow(10, Math.floor(Math.log10(lo) + 1e-9));
      hi = Math.pow(10, Math.ceil(Math.log10(hi) - 1e-9));
      return hi > lo ? [lo, hi] : [lo, lo * 10];
    }
    if (lo > hi) return [0, 1];
    if (axis.exact) {
      // A single x: the range from 0 to twice it, with it in the middle.
      if (lo < hi) return [lo, hi];
      return lo > 0 ? [0, 2 * lo] : lo < 0 ? [2 * lo, 0] : [-1, 1];
    }
    if (axis.zero) return [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1];
    if (lo === hi) {
      var d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      return [lo - d, hi + d];
    }
    var pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  }

  // linearTicks returns tick values every step inside [min, max].
  function linearTicks(min, max, step) {
    var out = [];
    for (var k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) out.push(tidy(k * step));
    return out;
  }

  // Chart draws opts in el.
  function Chart(el, opts) {
    this.el = el;
    this.opts = opts;
    this.height = opts.height || 230;
    this.width = opts.width || 560;
    this.hover = -1;
    el.textContent = "";
    var wrap = document.createElement("div");
    wrap.className = "pc-plot";
    wrap.style.position = "relative";
    this.canvas = document.createElement("canvas");
    this.canvas.style.display = "block";
    wrap.appendChild(this.canvas);
    this.cursor = document.createElement("div");
    this.cursor.className = "pc-cursor";
    this.cursor.style.cssText = "position:absolute;width:0;border-left:1px dashed #8c95a6;pointer-events:none;display:none";
    wrap.appendChild(this.cursor);
    el.appendChild(wrap);
    this.ctx = this.canvas.getContext("2d");
    this.legend(el);
    var self = this;
    this.canvas.addEventListener("mousemove", function (e) {
      var r = self.canvas.getBoundingClientRect();
      self.pointAt(e.clientX - r.left, e.clientY - r.top);
    });
    this.canvas.addEventListener("mouseleave", function () { self.pointAt(-1, -1); });
    this.draw();
  }

  // legend builds the legend: the x axis' read-out, then a swatch and a
  // label per series, each with its read-out.
  Chart.prototype.legend = function (el) {
    var o = this.opts, lg = document.createElement("div");
    lg.className = "pc-legend";
    this.readouts = [];
    var xi = document.createElement("span");
    xi.className = "pc-item pc-x";
    xi.appendChild(document.createTextNode((o.x.label || "x") + " "));
    this.xReadout = document.createElement("b");
    xi.appendChild(this.xReadout);
    xi.style.visibility = "hidden";
    this.xItem = xi;
    lg.appendChild(xi);
    var self = this, seen = {};
    o.series.forEach(function (s) {
      // Series drawn alike under one label (a band's two edges) share an
      // entry.
      var key = [s.label, s.color, s.dash, s.points].join("|");
      if (seen[key]) {
        self.readouts.push(null);
        return;
      }
      seen[key] = true;
      var it = document.createElement("span");
      it.className = "pc-item";
      var sw = document.createElement("i");
      sw.className = "pc-swatch";
      if (s.points) {
        sw.style.cssText = "background:" + s.color + ";border-radius:50%;width:8px;height:8px";
      } else {
        sw.style.borderTop = Math.max(2, Math.round(s.width || 1.5)) + "px " + (s.dash ? "dashed " : "solid ") + s.color;
      }
      it.appendChild(sw);
      it.appendChild(document.createTextNode(s.label));
      var v = document.createElement("b");
      it.appendChild(v);
      self.readouts.push(v);
      lg.appendChild(it);
    });
    el.appendChild(lg);
  };

  // setSize redraws the chart at a new width (and height).
  Chart.prototype.setSize = function (width, height) {
    this.width = width;
    if (height) this.height = height;
    this.draw();
  };

  // valToPos returns a value's position along the scale ("x", "y" or
  // "y2") in CSS pixels, or with canvasPixels in device pixels.
  Chart.prototype.valToPos = function (v, scale, canvasPixels) {
    var p = this.plot, s = this.scales[scale], px;
    if (!s || !finite(v) || (s.log && v <= 0)) return NaN;
    if (scale === "x") px = p.left + s.frac(v) * p.width;
    else px = p.top + (1 - s.frac(v)) * p.height;
    return canvasPixels ? px * this.dpr : px;
  };

  // ticks chooses an axis' ticks: the densest nice step (linear) or the
  // densest of 1-2-5 and whole decades (log) whose labels neither overlap
  // nor repeat; minor holds a log axis' unlabelled lines.
  Chart.prototype.ticks = function (axis, scale, length, vertical) {
    var ctx = this.ctx, fmt = axis.fmt || String;
    function labelled(vals) {
      return vals.map(function (v) { return { v: v, text: fmt(v), at: scale.frac(v) * length }; });
    }
    function fits(ts) {
      for (var i = 1; i < ts.length; i++) {
        if (ts[i].text === ts[i - 1].text) return false;
        var gap = Math.abs(ts[i].at - ts[i - 1].at);
        var need = vertical ? 16 : (ctx.measureText(ts[i].text).width + ctx.measureText(ts[i - 1].text).width) / 2 + 14;
        if (gap < need) return false;
      }
      return true;
    }
    var ts;
    if (scale.log) {
      var d0 = Math.round(Math.log10(scale.min)), d1 = Math.round(Math.log10(scale.max));
      var perDecade = length / Math.max(1, d1 - d0);
      var levels = [[1, 2, 5]];
      for (var every = 1; every <= d1 - d0; every++) levels.push(every);
      for (var l = 0; l < levels.length; l++) {
        var vals = [];
        for (var d = d0; d <= d1; d++) {
          var p = Math.pow(10, d);
          if (typeof levels[l] === "number") {
            if ((d - d0) % levels[l] === 0) vals.push(p);
          } else {
            levels[l].forEach(function (m) { if (m === 1 || d < d1) vals.push(tidy(m * p)); });
          }
        }
        ts = labelled(vals);
        if (fits(ts)) break;
      }
      ts.minor = [];
      if (perDecade >= 60) {
        for (var dd = d0; dd < d1; dd++) {
          for (var m = 2; m <= 9; m++) ts.minor.push(scale.frac(m * Math.pow(10, dd)) * length);
        }
      }
      return ts;
    }
    var span = scale.max - scale.min, mag = Math.max(Math.abs(scale.min), Math.abs(scale.max));
    var step = niceAtLeast(span * (vertical ? 24 : 50) / Math.max(length, 1), axis.base, mag);
    for (var tries = 0; tries < 40; tries++) {
      if (axis.whole && step < 1) step = 1;
      if (!axis.whole || step === Math.round(step)) {
        ts = labelled(linearTicks(scale.min, scale.max, step));
        if (fits(ts)) break;
      }
      step = niceAtLeast(step * 1.0001, axis.base, mag);
    }
    ts.minor = [];
    return ts;
  };

  // layout fixes the scales, the ticks and the plotting area for the
  // chart's size.
  Chart.prototype.layout = function () {
    var o = this.opts, ctx = this.ctx, self = this;
    var top = 10, bottom = 38;
    var plotH = this.height - top - bottom;
    var byAxis = { y: [], y2: [] };
    o.series.forEach(function (s) { byAxis[s.axis === 2 ? "y2" : "y"] = byAxis[s.axis === 2 ? "y2" : "y"].concat(s.data); });
    this.scales = {};
    var xr = range({ log: o.x.log, exact: true }, o.xs);
    this.scales.x = new Scale(o.x, xr[0], xr[1]);
    ctx.font = FONT;
    var side = function (name) {
      var axis = o[name];
      if (!axis) return 0;
      var r = range(axis, byAxis[name]);
      var s = self.scales[name] = new Scale(axis, r[0], r[1]);
      if (!axis.log) {
        // Widen a linear range to whole ticks, so that the top and the
        // bottom lines are labelled.
        var t = self.ticks(axis, s, plotH, true);
        if (t.length >= 2) {
          var step = t[1].v - t[0].v;
          s.min = Math.min(s.min, tidy(Math.floor(s.min / step + 1e-9) * step));
          s.max = Math.max(s.max, tidy(Math.ceil(s.max / step - 1e-9) * step));
        }
      }
      var ticks = self.ticks(axis, s, plotH, true);
      self["ticks_" + name] = ticks;
      var w = 0;
      ticks.forEach(function (t) { w = Math.max(w, ctx.measureText(t.text).width); });
      return Math.ceil(w) + 8 + (axis.label ? 18 : 0);
    };
    var left = Math.max(side("y"), 40);
    var right = o.y2 ? Math.max(side("y2"), 40) : 12;
    var plotW = this.width - left - right;
    var xt = this.ticks(o.x, this.scales.x, plotW, false);
    if (!o.y2 && xt.length) {
      // Room for the half of the last x label that passes the plot.
      var last = xt[xt.length - 1];
      var over = last.at + ctx.measureText(last.text).width / 2 + 4 - plotW;
      if (over > 0) {
        right += over;
        plotW -= over;
        xt = this.ticks(o.x, this.scales.x, plotW, false);
      }
    }
    this.ticks_x = xt;
    this.plot = { left: left, top: top, width: Math.max(plotW, 10), height: Math.max(plotH, 10) };
    var dpr = this.dpr;
    this.bbox = {
      left: Math.round(left * dpr), top: Math.round(top * dpr),
      width: Math.round(this.plot.width * dpr), height: Math.round(this.plot.height * dpr),
    };
  };

  // crisp returns the CSS pixel coordinate of a 1px line nearest v, on a
  // whole device pixel.
  Chart.prototype.crisp = function (v) {
    return (Math.round(v * this.dpr - 0.5) + 0.5) / this.dpr;
  };

  // draw draws the whole chart.
  Chart.prototype.draw = function () {
    var o = this.opts, ctx = this.ctx;
    this.dpr = window.devicePixelRatio || 1;
    var dpr = this.dpr;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = this.width + "px";
    this.canvas.style.height = this.height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.layout();
    this.drawAxes();
    this.hook("beforeSeries");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    var p = this.plot;
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.left - 4, p.top - 4, p.width + 8, p.height + 8);
    ctx.clip();
    var self = this;
    var paths = o.series.map(function (s) { return self.segments(s); });
    (o.bands || []).forEach(function (b) { self.drawBand(o.series[b[0]], o.series[b[1]], b[2]); });
    o.series.forEach(function (s, i) { self.drawSeries(s, paths[i]); });
    ctx.restore();
    this.drawMarkers();
    this.hook("afterSeries");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.cursor.style.top = p.top + "px";
    this.cursor.style.height = p.height + "px";
    if (this.hover >= 0) this.show(this.hover);
  };

  Chart.prototype.hook = function (name) {
    if (!this.opts[name]) return;
    this.ctx.save();
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.opts[name](this);
    this.ctx.restore();
  };

  // drawAxes draws the grid, the frame, the tick labels and the axis
  // labels.
  Chart.prototype.drawAxes = function () {
    var o = this.opts, ctx = this.ctx, p = this.plot, self = this;
    ctx.lineWidth = 1 / this.dpr;
    ctx.font = FONT;
    ctx.fillStyle = TEXT;
    function line(x0, y0, x1, y1, color) {
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    }
    var xt = this.ticks_x, yt = this.ticks_y;
    xt.minor.forEach(function (at) { var x = self.crisp(p.left + at); line(x, p.top, x, p.top + p.height, MINOR); });
    yt.minor.forEach(function (at) { var y = self.crisp(p.top + p.height - at); line(p.left, y, p.left + p.width, y, MINOR); });
    xt.forEach(function (t) { var x = self.crisp(p.left + t.at); line(x, p.top, x, p.top + p.height, GRID); });
    yt.forEach(function (t) { var y = self.crisp(p.top + p.height - t.at); line(p.left, y, p.left + p.width, y, GRID); });
    ctx.strokeStyle = FRAME;
    ctx.strokeRect(this.crisp(p.left), this.crisp(p.top), Math.round(p.width), Math.round(p.height));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    xt.forEach(function (t) {
      line(self.crisp(p.left + t.at), p.top + p.height, self.crisp(p.left + t.at), p.top + p.height + 4, FRAME);
      ctx.fillText(t.text, p.left + t.at, p.top + p.height + 6);
    });
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    yt.forEach(function (t) { ctx.fillText(t.text, p.left - 6, p.top + p.height - t.at); });
    if (this.ticks_y2) {
      ctx.textAlign = "left";
      this.ticks_y2.forEach(function (t) { ctx.fillText(t.text, p.left + p.width + 6, p.top + p.height - t.at); });
    }
    ctx.font = LABEL_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    if (o.x.label) ctx.fillText(o.x.label, p.left + p.width / 2, this.height - 2);
    ctx.textBaseline = "top";
    var mid = p.top + p.height / 2;
    if (o.y.label) {
      ctx.save();
      ctx.translate(2, mid);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(o.y.label, 0, 0);
      ctx.restore();
    }
    if (o.y2 && o.y2.label) {
      ctx.save();
      ctx.translate(this.width - 2, mid);
      ctx.rotate(Math.PI / 2);
      ctx.fillText(o.y2.label, 0, 0);
      ctx.restore();
    }
  };

  // segments returns a series' runs of consecutive points in CSS pixels:
  // a gap (null, or ≤ 0 on a log scale) ends a run unless the series spans
  // gaps.
  Chart.prototype.segments = function (s) {
    var xs = this.opts.xs, scale = s.axis === 2 ? "y2" : "y", out = [], run = [];
    for (var i = 0; i < xs.length; i++) {
      var x = this.valToPos(xs[i], "x"), y = this.valToPos(s.data[i], scale);
      if (isFinite(x) && isFinite(y)) {
        run.push([x, y]);
      } else if (!s.span && run.length) {
        out.push(run);
        run = [];
      }
    }
    if (run.length) out.push(run);
    return out;
  };

  function trace(ctx, run, reverse) {
    for (var k = 0; k < run.length; k++) {
      var pt = run[reverse ? run.length - 1 - k : k];
      if (k === 0 && !reverse) ctx.moveTo(pt[0], pt[1]);
      else ctx.lineTo(pt[0], pt[1]);
    }
  }

  // drawSeries draws a series' fill, line and points.
  Chart.prototype.drawSeries = function (s, runs) {
    var ctx = this.ctx, p = this.plot;
    var n = 0;
    runs.forEach(function (r) { n += r.length; });
    if (s.fill) {
      var base = this.valToPos(0, s.axis === 2 ? "y2" : "y");
      if (!isFinite(base)) base = p.top + p.height;
      base = Math.min(Math.max(base, p.top), p.top + p.height);
      ctx.fillStyle = s.fill;
      runs.forEach(function (r) {
        ctx.beginPath();
        trace(ctx, r);
        ctx.lineTo(r[r.length - 1][0], base);
        ctx.lineTo(r[0][0], base);
        ctx.closePath();
        ctx.fill();
      });
    }
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width || 1.5;
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    if (!s.points) {
      ctx.setLineDash(s.dash ? [6, 4] : []);
      runs.forEach(function (r) {
        if (r.length < 2) return;
        ctx.beginPath();
        trace(ctx, r);
        ctx.stroke();
      });
      ctx.setLineDash([]);
    }
    // Points: a points-only series; a sparse line's points (unless it is
    // only a line); a point alone between gaps, which no line shows.
    var sparse = !s.line && n > 0 && p.width / n >= 12;
    runs.forEach(function (r) {
      r.forEach(function (pt) {
        if (!(s.points || sparse || r.length === 1)) return;
        ctx.beginPath();
        ctx.arc(pt[0], pt[1], s.points ? 3 : 2.5, 0, 2 * Math.PI);
        if (s.points) {
          ctx.fill();
        } else {
          ctx.fillStyle = "#fff";
          ctx.fill();
          ctx.lineWidth = 1.5;
          ctx.stroke();
          ctx.fillStyle = s.color;
        }
      });
    });
  };

  // drawBand fills between two series over each run of x values where
  // both have one.
  Chart.prototype.drawBand = function (upper, lower, fill) {
    if (!upper || !lower) return;
    var ctx = this.ctx, xs = this.opts.xs, self = this, run = [];
    ctx.fillStyle = fill;
    function flush() {
      if (run.length >= 2) {
        ctx.beginPath();
        trace(ctx, run.map(function (q) { return [q[0], q[1]]; }));
        trace(ctx, run.map(function (q) { return [q[0], q[2]]; }), true);
        ctx.closePath();
        ctx.fill();
      }
      run = [];
    }
    for (var i = 0; i < xs.length; i++) {
      var x = self.valToPos(xs[i], "x");
      var hi = self.valToPos(upper.data[i], upper.axis === 2 ? "y2" : "y");
      var lo = self.valToPos(lower.data[i], lower.axis === 2 ? "y2" : "y");
      if (isFinite(x) && isFinite(hi) && isFinite(lo)) run.push([x, hi, lo]);
      else flush();
    }
    flush();
  };

  // drawMarkers draws each marker: a dashed vertical line at x with its
  // label at the top (staggered over three lines), or with y a circle at
  // (x, y) with its label beside.
  Chart.prototype.drawMarkers = function () {
    var ctx = this.ctx, p = this.plot, self = this;
    ctx.save();
    ctx.font = FONT;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    (this.opts.markers || []).forEach(function (m, i) {
      var x = self.valToPos(m.x, "x");
      if (!isFinite(x) || x < p.left - 1 || x > p.left + p.width + 1) return;
      var color = m.color || "#444";
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1.5;
      if (m.y != null) {
        var y = self.valToPos(m.y, m.scale || "y");
        if (!isFinite(y)) return;
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.stroke();
        if (m.label) {
          var lw = ctx.measureText(m.label).width;
          var lx = x + 7 + lw > p.left + p.width ? x - 7 - lw : x + 7;
          ctx.fillText(m.label, Math.max(p.left + 2, lx), Math.max(p.top + 2, y - 16));
        }
        return;
      }
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, p.top);
      ctx.lineTo(x, p.top + p.height);
      ctx.stroke();
      ctx.setLineDash([]);
      if (m.label) {
        var w = ctx.measureText(m.label).width;
        var tx = x + 4;
        if (tx + w > p.left + p.width) tx = x - 4 - w;
        ctx.fillText(m.label, Math.max(p.left + 2, tx), p.top + 3 + (i % 3) * 13);
      }
    });
    ctx.restore();
  };

  // pointAt shows the values at the x nearest the pointer's (CSS pixels
  // in the canvas), or hides them when it is outside the plot.
  Chart.prototype.pointAt = function (cx, cy) {
    var p = this.plot, xs = this.opts.xs, best = -1, dist = Infinity;
    if (cx >= p.left - 8 && cx <= p.left + p.width + 8 && cy >= p.top - 8 && cy <= p.top + p.height + 8) {
      for (var i = 0; i < xs.length; i++) {
        var d = Math.abs(this.valToPos(xs[i], "x") - cx);
        if (d < dist) { dist = d; best = i; }
      }
    }
    this.hover = best;
    this.show(best);
  };

  // show fills the legend's read-outs with the values at index i, or
  // clears them when i < 0.
  Chart.prototype.show = function (i) {
    var o = this.opts;
    var x = i >= 0 ? this.valToPos(o.xs[i], "x") : NaN;
    if (!isFinite(x)) {
      this.cursor.style.display = "none";
      this.xItem.style.visibility = "hidden";
      this.readouts.forEach(function (r) { if (r) r.textContent = ""; });
      return;
    }
    this.cursor.style.display = "block";
    this.cursor.style.left = Math.round(x) + "px";
    this.xItem.style.visibility = "visible";
    this.xReadout.textContent = (o.x.fmt || String)(o.xs[i]);
    this.readouts.forEach(function (r, k) {
      if (!r) return;
      var s = o.series[k], v = s.data[i];
      r.textContent = finite(v) ? (s.fmt || String)(v) : "–";
    });
  };

  return Chart;
})();
