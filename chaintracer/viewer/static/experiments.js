/* chaintracer viewer: experiments: the list; one experiment's variants x scorers, its chart, its examples.
 *
 * Means carry their 95 % bootstrap interval; each variant is compared with the baseline the
 * user picks (paired by example: delta, interval, p-value, wins/losses/ties). In the grid a
 * cell is an improvement or a regression when its score on that example beats or trails the
 * baseline's; a click opens the trace.
 */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    link,
    fmtInt,
    fmtMs,
    fmtNum,
    fmtTime,
    hashFor,
    setParams,
    breadcrumb,
    pager,
    select,
    emptyRow,
    statusPill,
    lineChart,
    chartBox,
    source,
  } = CT;

  const ALPHA = 0.05;

  async function experimentsView(view, isCurrent) {
    const data = await source.experiments();
    if (!isCurrent()) return;
    const body = h("tbody", {});
    for (const x of data.experiments) {
      const href = hashFor(["experiment", x.id]);
      const row = h(
        "tr",
        { class: "clickable", "data-experiment": x.id, tabindex: "0" },
        h("td", { class: "name wrap" }, link(href, x.name), h("div", { class: "sub mono", text: x.id.slice(0, 12) })),
        h("td", { class: "wrap", text: x.project }),
        h("td", {}, x.variants.map((v) => h("span", { class: "tag", text: v }))),
        h("td", { class: "num", text: fmtInt(x.examples) + (x.repetitions > 1 ? " × " + x.repetitions : "") }),
        h("td", { class: "wrap", text: x.scorers.join(", ") }),
        h("td", {}, h("span", { class: "pill pill-" + (x.status === "done" ? "ok" : "incomplete"), text: x.status })),
        h("td", { class: "when", text: fmtTime(x.created_at) }),
      );
      row.addEventListener("click", (ev) => ev.target.tagName !== "A" && (location.hash = href));
      body.appendChild(row);
    }
    if (!data.experiments.length)
      body.appendChild(emptyRow(7, "No experiment in this store: run chaintracer.evaluate(...) (see docs/experiments.md)."));
    append(view, [
      h("h1", {}, "Experiments ", h("span", { class: "count", text: fmtInt(data.experiments.length) })),
      h(
        "div",
        { class: "table-box" },
        h(
          "table",
          { class: "data", id: "experiments-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Name", "Project", "Variants", "Examples", "Scorers", "Status", "Created (UTC)"].map((c) =>
                h("th", { class: c === "Examples" ? "num" : null, text: c }),
              ),
            ),
          ),
          body,
        ),
      ),
    ]);
  }

  async function experimentView(view, ref, params, isCurrent) {
    const data = await source.experiment(ref, { baseline: params.baseline, offset: params.offset });
    if (!isCurrent()) return;
    const x = data.experiment;
    const variants = x.variants;
    const scorers = data.scorers;
    const state = Object.assign({ scorer: scorers[0], show: "all" }, params);
    const go = (changes) => {
      Object.assign(state, changes);
      setParams(state);
    };
    append(view, [
      breadcrumb(link("#/experiments", "Experiments"), x.name),
      h(
        "div",
        { class: "page-head row" },
        h(
          "div",
          {},
          h("h1", { class: "wrap" }, x.name, " ", h("span", { class: "pill pill-" + (x.status === "done" ? "ok" : "incomplete"), text: x.status })),
          h(
            "div",
            { class: "meta" },
            h("span", {}, h("b", { text: "project " }), x.project),
            h("span", {}, h("b", { text: "examples " }), fmtInt(x.examples), x.repetitions > 1 ? " × " + x.repetitions + " repetitions" : ""),
            h("span", {}, h("b", { text: "created " }), fmtTime(x.created_at), " UTC"),
            h("span", { class: "mono muted", text: x.id }),
          ),
        ),
        h(
          "label",
          { class: "base-pick" },
          "Baseline ",
          select("baseline", variants.map((v) => [v, v]), data.baseline, (v) => {
            location.hash = hashFor(["experiment", x.id], Object.assign({}, state, { baseline: v, offset: 0 }));
          }),
        ),
      ),
      summaryTable(data, variants, scorers),
      paramChart(data, state, go),
      sessionsLine(data),
    ]);
    const gridBox = h("section", { class: "cmp-section" });
    append(view, [gridBox]);
    paintGrid(gridBox, data, state, go);
  }

  function summaryTable(data, variants, scorers) {
    const head = h(
      "tr",
      {},
      h("th", { class: "pin", text: "variant" }),
      scorers.map((name) => h("th", { class: "num", text: name })),
    );
    const rows = variants.map((variant) => {
      const params = data.params[variant];
      return h(
        "tr",
        { "data-variant": variant, class: variant === data.baseline ? "baseline-row" : null },
        h(
          "th",
          { class: "pin" },
          h("b", { text: variant }),
          variant === data.baseline ? h("span", { class: "pill pill-base", text: "baseline" }) : null,
          params && typeof params === "object" ? h("div", { class: "sub mono wrap", text: paramsText(params) }) : null,
        ),
        scorers.map((name) => summaryCell((data.summary[variant] || {})[name], variant === data.baseline ? null : ((data.comparisons[variant] || {})[name]))),
      );
    });
    return h(
      "section",
      { class: "cmp-section" },
      h("h2", { text: "Variants × scorers" }),
      h("p", { class: "muted", text: "Mean score with its 95 % bootstrap interval; below, the paired difference with the baseline (same examples), its interval and p-value." }),
      h("div", { class: "cmp-scroll" }, h("table", { class: "data cmp", id: "experiment-summary" }, h("thead", {}, head), h("tbody", {}, rows))),
    );
  }

  function summaryCell(s, c) {
    if (!s || s.n === 0 || s.mean === null) return h("td", { class: "num muted", text: "–" });
    const significant = c && c.p_value !== null && c.p_value < ALPHA && c.delta;
    return h(
      "td",
      { class: "num score-cell" + (significant ? (c.delta > 0 ? " improved" : " regressed") : "") },
      h("div", { class: "score-mean", text: fmtNum(s.mean) }),
      h("div", { class: "sub", text: "[" + fmtNum(s.ci_low) + ", " + fmtNum(s.ci_high) + "] n=" + s.n }),
      c && c.delta !== null
        ? h(
            "div",
            {
              class: "delta" + (significant ? (c.delta > 0 ? " good" : " bad") : ""),
              title: "wins " + c.wins + " · losses " + c.losses + " · ties " + c.ties,
            },
            (c.delta > 0 ? "+" : c.delta < 0 ? "−" : "±") + fmtNum(Math.abs(c.delta)),
            " [" + fmtNum(c.ci_low) + ", " + fmtNum(c.ci_high) + "] p=" + fmtNum(c.p_value),
            significant ? (c.delta > 0 ? " ▲" : " ▼") : "",
          )
        : null,
    );
  }

  function paramsText(params) {
    return Object.entries(params)
      .map(([k, v]) => k + "=" + (typeof v === "string" ? v : JSON.stringify(v)))
      .join(" · ");
  }

  // A score against a numeric variant param (e.g. temperature), each point with its interval.
  function paramChart(data, state, go) {
    const params = Object.keys(data.charts || {});
    if (!params.length) return null;
    const box = h("div", {});
    const param = params.includes(state.param) ? state.param : params[0];
    const paint = () => {
      const p = params.includes(state.param) ? state.param : param;
      const points = (data.charts[p][state.scorer] || []).map((pt) => {
        const s = (data.summary[pt.variant] || {})[state.scorer] || {};
        return { x: pt.param, y: pt.mean, low: s.ci_low, high: s.ci_high, label: pt.variant + " (" + p + "=" + fmtNum(pt.param) + ")" };
      });
      replace(
        box,
        chartBox(
          state.scorer + " against " + p,
          points.length
            ? lineChart(points, { xs: "value", label: state.scorer + " by " + p, xlabel: p })
            : h("p", { class: "muted", text: "No variant has both a numeric " + p + " and a " + state.scorer + " score." }),
          h(
            "div",
            { class: "toolbar" },
            select("chart-scorer", data.scorers.map((n) => [n, n]), state.scorer, (v) => {
              go({ scorer: v });
              paint();
            }),
            params.length > 1
              ? select("chart-param", params.map((n) => [n, n]), p, (v) => {
                  go({ param: v });
                  paint();
                })
              : null,
          ),
        ),
      );
    };
    paint();
    return h("section", { class: "cmp-section", id: "param-chart" }, box);
  }

  function sessionsLine(data) {
    return h(
      "p",
      { class: "muted sessions-line" },
      "Sessions: ",
      data.sessions.map((s, i) => [
        i ? " · " : "",
        link(hashFor(["session", s.session_id]), s.name || s.session_id.slice(0, 12)),
      ]),
    );
  }

  // Score colour buckets: 0 (worst) to 4 (best) on the scorer's range over the examples shown.
  function bucketer(examples, name) {
    const values = examples.flatMap((e) => e.runs.map((r) => r.scores[name])).filter((v) => typeof v === "number");
    const lo = Math.min(0, ...values);
    const hi = Math.max(1, ...values);
    return (v) => (typeof v === "number" ? Math.max(0, Math.min(4, Math.round(((v - lo) / (hi - lo || 1)) * 4))) : null);
  }

  function paintGrid(box, data, state, go) {
    const variants = data.experiment.variants;
    const examples = data.examples;
    const buckets = Object.fromEntries(data.scorers.map((n) => [n, bucketer(examples, n)]));
    const mean = (runs, name) => {
      const v = runs.map((r) => r.scores[name]).filter((x) => typeof x === "number");
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    let regressions = 0;
    let improvements = 0;
    const rows = [];
    for (const ex of examples) {
      const byVariant = Object.fromEntries(variants.map((v) => [v, ex.runs.filter((r) => r.variant === v)]));
      const base = mean(byVariant[data.baseline] || [], state.scorer);
      const verdicts = {};
      for (const v of variants) {
        const m = mean(byVariant[v], state.scorer);
        verdicts[v] = v === data.baseline || base === null || m === null || m === base ? "" : m > base ? "improved" : "regressed";
        if (verdicts[v] === "improved") improvements++;
        if (verdicts[v] === "regressed") regressions++;
      }
      const kinds = Object.values(verdicts);
      if (state.show === "regressed" && !kinds.includes("regressed")) continue;
      if (state.show === "improved" && !kinds.includes("improved")) continue;
      rows.push(
        h(
          "tr",
          { "data-example": ex.index },
          h(
            "td",
            { class: "io pin" },
            h("div", { class: "sub", text: "#" + (ex.index + 1) + (ex.id !== null && ex.id !== undefined ? " · " + String(ex.id) : "") }),
            h("pre", { class: "text small", text: ex.input }),
          ),
          variants.map((v) =>
            h(
              "td",
              { class: "io grid-cell " + verdicts[v], "data-variant": v },
              byVariant[v].length
                ? byVariant[v].map((run) => runCell(run, data.scorers, buckets, data.experiment.repetitions > 1)) : h("span", { class: "muted", text: "not run" }),
            ),
          ),
        ),
      );
    }
    const reload = (offset) => {
      location.hash = hashFor(["experiment", data.experiment.id], Object.assign({}, state, { baseline: data.baseline, offset: offset }));
    };
    replace(
      box,
      h("div", { class: "section-head" }, h("h2", { text: "Examples" })),
      h(
        "div",
        { class: "toolbar" },
        h("span", { class: "muted" }, "Against ", h("b", { text: data.baseline }), " on "),
        select("grid-scorer", data.scorers.map((n) => [n, n]), state.scorer, (v) => {
          go({ scorer: v });
          paintGrid(box, data, state, go);
        }),
        select(
          "grid-show",
          [
            ["all", "All examples"],
            ["regressed", "Regressions (" + regressions + ")"],
            ["improved", "Improvements (" + improvements + ")"],
          ],
          state.show,
          (v) => {
            go({ show: v });
            paintGrid(box, data, state, go);
          },
        ),
        h("span", { class: "legend-item" }, h("span", { class: "swatch-improved" }), " better than the baseline"),
        h("span", { class: "legend-item" }, h("span", { class: "swatch-regressed" }), " worse"),
      ),
      h(
        "div",
        { class: "cmp-scroll" },
        h(
          "table",
          { class: "data cmp outputs", id: "experiment-grid" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { class: "pin", text: "example" }),
              variants.map((v) => h("th", { class: v === data.baseline ? "baseline" : null }, v, v === data.baseline ? h("span", { class: "pill pill-base", text: "baseline" }) : null)),
            ),
          ),
          h("tbody", {}, rows.length ? rows : emptyRow(variants.length + 1, "No example to show.")),
        ),
      ),
      data.total_examples > data.limit ? pager({ offset: data.offset, limit: data.limit, total: data.total_examples }, reload) : null,
    );
  }

  function runCell(run, scorers, buckets, repeated) {
    const href = hashFor(["session", run.session_id, "trace", String(run.number)]);
    const cell = h(
      "div",
      { class: "cmp-cell run" + (run.status === "error" ? " bad-cell" : "") },
      h("pre", { class: "text small", text: run.error ? run.error : run.output }),
      h(
        "div",
        { class: "chips" },
        scorers.map((name) => {
          const v = run.scores[name];
          const b = buckets[name](v);
          return h("span", {
            class: "chip" + (b === null ? " chip-none" : " score-b" + b),
            title: name + ": " + (typeof v === "number" ? fmtNum(v) : "no score"),
            text: name + " " + (typeof v === "number" ? fmtNum(v) : "–"),
          });
        }),
      ),
      h(
        "div",
        { class: "cmp-meta" },
        run.status !== "ok" ? [statusPill(run.status), " "] : null,
        repeated ? "repetition " + run.repetition + " · " : "",
        fmtMs(run.latency_ms),
        run.tokens ? " · " + fmtInt(run.tokens) + " tok" : "",
        " · ",
        link(href, "trace #" + run.number),
      ),
    );
    return cell;
  }

  Object.assign(CT, { experimentsView, experimentView });
})(window.CT);
