/* chaintracer viewer: small SVG charts (no library): a histogram, horizontal bars, a line with points.
 *
 * Each draws into a viewBox that scales with its box; colours come from the stylesheet (classes),
 * so dark mode needs nothing here. Every label is a text node; values show in <title> tooltips.
 */
(function (CT) {
  "use strict";
  const { h, s, fmtInt, fmtNum } = CT;

  const W = 640;
  const PAD = { left: 46, right: 14, top: 12, bottom: 34 };

  function frame(height, label) {
    return s("svg", {
      class: "chart",
      viewBox: "0 0 " + W + " " + height,
      role: "img",
      "aria-label": label,
      preserveAspectRatio: "xMidYMid meet",
    });
  }

  // A round step for about four intervals up to ``value`` (whole steps for counts) and the axis top.
  function niceScale(value, whole) {
    if (!(value > 0)) return { step: 1, top: whole ? 4 : 1 };
    const raw = value / 4;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw);
    if (whole) step = Math.max(1, step === 2.5 * mag ? 5 * mag : Math.ceil(step));
    return { step: step, top: Math.ceil(value / step - 1e-9) * step };
  }

  function niceMax(value) {
    return niceScale(value, false).top;
  }

  // Grid lines and labels every ``step`` from ``lo`` to ``lo + span``.
  function yAxis(svg, height, span, step, fmt, lo) {
    const inner = height - PAD.top - PAD.bottom;
    for (let value = 0; value <= span + 1e-9; value += step) {
      const y = PAD.top + inner - (inner * value) / span;
      svg.appendChild(s("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
      svg.appendChild(
        s("text", { class: "tick", x: PAD.left - 6, y: y + 4, "text-anchor": "end", text: fmt(value + (lo || 0)) }),
      );
    }
  }

  // Trace latencies binned by the API: {edges, counts, scale}. fmt formats an edge (ms).
  function histogram(hist, fmt, label) {
    const height = 190;
    const svg = frame(height, label);
    const counts = hist.counts || [];
    if (!counts.length) return svg;
    const scale = niceScale(Math.max(...counts), true);
    const max = scale.top;
    yAxis(svg, height, max, scale.step, (v) => fmtInt(v));
    const inner = height - PAD.top - PAD.bottom;
    const width = (W - PAD.left - PAD.right) / counts.length;
    counts.forEach((count, i) => {
      const barH = (inner * count) / max;
      const bar = s(
        "rect",
        {
          class: "bar-fill",
          x: PAD.left + i * width + 1,
          y: PAD.top + inner - barH,
          width: Math.max(width - 2, 1),
          height: barH,
          "data-count": count,
        },
        s("title", { text: fmt(hist.edges[i]) + " – " + fmt(hist.edges[i + 1]) + ": " + fmtInt(count) + " traces" }),
      );
      svg.appendChild(bar);
    });
    const step = Math.ceil(counts.length / 6);
    for (let i = 0; i <= counts.length; i += step) {
      svg.appendChild(
        s("text", {
          class: "tick",
          x: PAD.left + i * width,
          y: height - PAD.bottom + 16,
          "text-anchor": i === 0 ? "start" : i + step > counts.length ? "end" : "middle",
          text: fmt(hist.edges[i]),
        }),
      );
    }
    svg.appendChild(
      s("text", {
        class: "axis-label",
        x: W - PAD.right,
        y: height - 4,
        "text-anchor": "end",
        text: "trace latency" + (hist.scale === "log" ? " (log scale)" : ""),
      }),
    );
    return svg;
  }

  // Horizontal bars, one row per item, stacked from ``parts`` ([key, label, class]).
  function stackedBars(items, label, parts, fmt) {
    const row = 26;
    const height = PAD.top + items.length * row + 28;
    const svg = frame(height, label);
    const left = 170;
    const max = niceMax(Math.max(1, ...items.map((it) => parts.reduce((n, [key]) => n + (it[key] || 0), 0))));
    const scale = (W - left - 90) / max;
    items.forEach((it, i) => {
      const y = PAD.top + i * row;
      svg.appendChild(s("text", { class: "tick name", x: left - 8, y: y + 15, "text-anchor": "end", text: it.label }));
      let x = left;
      for (const [key, partLabel, cls] of parts) {
        const value = it[key] || 0;
        if (!value) continue;
        svg.appendChild(
          s(
            "rect",
            { class: cls, x: x, y: y + 3, width: Math.max(value * scale, 1), height: row - 8 },
            s("title", { text: it.label + ": " + fmt(value) + " " + partLabel }),
          ),
        );
        x += value * scale;
      }
      svg.appendChild(s("text", { class: "tick", x: x + 6, y: y + 15, text: it.note || "" }));
    });
    const legendY = height - 8;
    let lx = left;
    for (const [, partLabel, cls] of parts) {
      svg.appendChild(s("rect", { class: cls, x: lx, y: legendY - 9, width: 10, height: 10 }));
      svg.appendChild(s("text", { class: "tick", x: lx + 14, y: legendY, text: partLabel }));
      lx += 24 + partLabel.length * 7;
    }
    return svg;
  }

  /* Points {x, y, label, low?, high?, href?} joined by a line, in the given order. ``xs`` is
   * "index" (evenly spaced, labelled by ``label``) or "value" (a numeric axis). A point with
   * low/high gets an interval whisker. */
  function lineChart(points, options) {
    const height = options.height || 220;
    const svg = frame(height, options.label);
    const valid = points.filter((p) => typeof p.y === "number" && isFinite(p.y));
    if (!valid.length) return svg;
    const ys = valid.flatMap((p) => [p.y, p.low, p.high]).filter((v) => typeof v === "number" && isFinite(v));
    const lo = Math.min(0, ...ys);
    const scale = niceScale(Math.max(...ys) - lo, false);
    const hi = scale.top + lo;
    const inner = height - PAD.top - PAD.bottom;
    const yOf = (v) => PAD.top + inner - (inner * (v - lo)) / (hi - lo || 1);
    yAxis(svg, height, hi - lo, scale.step, options.yfmt || fmtNum, lo);
    const numeric = options.xs === "value";
    const xsValues = valid.map((p) => p.x);
    const xmin = numeric ? Math.min(...xsValues) : 0;
    const xmax = numeric ? Math.max(...xsValues) : Math.max(points.length - 1, 1);
    const width = W - PAD.left - PAD.right - 20;
    const xOf = (p, i) =>
      PAD.left + 10 + (width * ((numeric ? p.x : i) - xmin)) / (xmax - xmin || 1) + (xmax === xmin ? width / 2 : 0);
    const coords = points.map((p, i) => [p, xOf(p, i)]).filter(([p]) => typeof p.y === "number" && isFinite(p.y));
    svg.appendChild(
      s("polyline", { class: "line", points: coords.map(([p, x]) => x + "," + yOf(p.y)).join(" ") }),
    );
    for (const [p, x] of coords) {
      if (typeof p.low === "number" && typeof p.high === "number") {
        svg.appendChild(s("line", { class: "whisker", x1: x, x2: x, y1: yOf(p.low), y2: yOf(p.high) }));
      }
      const dot = s(
        "circle",
        { class: "point" + (p.href ? " clickable" : ""), cx: x, cy: yOf(p.y), r: 4.5, "data-label": p.label },
        s("title", { text: p.label + ": " + (options.yfmt || fmtNum)(p.y) }),
      );
      if (p.href) dot.addEventListener("click", () => (location.hash = p.href));
      svg.appendChild(dot);
    }
    const labelled = numeric ? [...new Set(xsValues)].sort((a, b) => a - b) : null;
    if (numeric) {
      for (const value of labelled) {
        svg.appendChild(
          s("text", {
            class: "tick",
            x: xOf({ x: value }, 0),
            y: height - PAD.bottom + 16,
            "text-anchor": "middle",
            text: fmtNum(value),
          }),
        );
      }
    } else {
      const step = Math.ceil(points.length / 8);
      points.forEach((p, i) => {
        if (i % step) return;
        svg.appendChild(
          s("text", {
            class: "tick",
            x: xOf(p, i),
            y: height - PAD.bottom + 16,
            "text-anchor": "middle",
            text: CT.clip(String(p.tick || p.label), 16),
          }),
        );
      });
    }
    if (options.xlabel) {
      svg.appendChild(
        s("text", { class: "axis-label", x: W - PAD.right, y: height - 4, "text-anchor": "end", text: options.xlabel }),
      );
    }
    return svg;
  }

  function chartBox(title, chart, extra) {
    return h("figure", { class: "chart-box" }, h("figcaption", { text: title }), extra || null, chart);
  }

  Object.assign(CT, { histogram, stackedBars, lineChart, chartBox });
})(window.CT);
