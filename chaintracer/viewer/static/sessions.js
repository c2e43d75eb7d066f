/* chaintracer viewer: the sessions list: filters, sortable columns, a metric's trend across sessions, compare. */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    sessionStatePill,
    handledPill,
    link,
    fmtInt,
    fmtMs,
    fmtNum,
    fmtCost,
    parseTs,
    fmtTime,
    timeCell,
    hashFor,
    setParams,
    pager,
    select,
    searchBox,
    emptyRow,
    lineChart,
    chartBox,
    source,
  } = CT;

  const compareSelection = new Set(); // sessions ticked for comparison, kept across views

  // Columns: [label, sort key or null, numeric]. Sorting is done by the store (all pages).
  const COLUMNS = [
    ["", null, false],
    ["Name", "name", false],
    ["Project", "project", false],
    ["Tags", null, false],
    ["Group", null, false],
    ["Ended (UTC)", "ended", false],
    ["Traces", "traces", true],
    ["Failed", "failed", true],
    ["Tokens", "tokens", true],
    ["Cost", "cost", true],
    ["Latency p50", "latency", true],
  ];
  // What the trend chart can plot; score and metric means are added from the sessions shown.
  const TREND_METRICS = [
    ["traces", "Traces", (x) => x.traces, fmtInt],
    ["failed", "Failed traces", (x) => x.trace_errors, fmtInt],
    ["tokens", "Tokens", (x) => x.tokens, fmtInt],
    ["cost", "Cost", (x) => (x.cost_tracked ? x.cost : undefined), fmtCost],
    ["latency", "Latency p50", (x) => x.latency_p50, fmtMs],
    ["latency_p95", "Latency p95", (x) => x.latency_p95, fmtMs],
  ];

  async function sessionsView(view, params, isCurrent, refresh) {
    const filters = Object.assign({ offset: 0 }, params);
    const tableBox = h("div", { class: "table-box" });
    const trendBox = h("div", { class: "trend", id: "trend" });
    const compareBtn = h("button", { class: "btn btn-primary", type: "button", id: "compare-btn" });
    const updateCompare = () => {
      compareBtn.textContent = "Compare selected (" + compareSelection.size + ")";
      compareBtn.disabled = compareSelection.size < 2;
    };
    compareBtn.addEventListener("click", () => {
      location.hash = hashFor(["compare"], { ids: [...compareSelection].join(",") });
    });
    updateCompare();
    const first = await source.sessions(filters);
    if (!isCurrent()) return;
    const reload = async (changes) => {
      Object.assign(filters, changes);
      setParams(filters);
      fill(await source.sessions(filters));
      paintTrend();
    };
    const projectOptions = [["", "All projects"], ...first.projects.map((p) => [p, p])];
    const tagOptions = [["", "All tags"], ...first.tags.map((t) => [t, t])];
    const trendSelect = h("span", { class: "trend-pick" });
    const toolbar = h(
      "div",
      { class: "toolbar" },
      select("project", projectOptions, filters.project, (v) => reload({ project: v, offset: 0 })),
      select("tag", tagOptions, filters.tag, (v) => reload({ tag: v, offset: 0 })),
      searchBox("q", filters.q, "Filter by name or id", (v) => reload({ q: v, offset: 0 })),
      select(
        "status",
        [
          ["", "Any outcome"],
          ["error", "With failed traces"],
          ["handled", "With handled errors only"],
          ["ok", "Without errors"],
          ["incomplete", "With incomplete spans"],
        ],
        filters.status,
        (v) => reload({ status: v, offset: 0 }),
      ),
      trendSelect,
      h("span", { class: "spacer" }),
      compareBtn,
    );
    const title = h("h1", {}, "Sessions ", h("span", { class: "count" }));

    function sortHeader(label, key, numeric) {
      const active = (filters.sort || "ended") === key;
      const order = active ? filters.order || "desc" : null;
      const th = h("th", {
        class: (numeric ? "num " : "") + (key ? "sortable" : "") + (active ? " sorted" : ""),
        "data-sort": key,
        "aria-sort": order ? (order === "asc" ? "ascending" : "descending") : null,
        scope: "col",
      });
      if (!key) return append(th, [label]);
      const next = active && order === "desc" ? "asc" : "desc";
      append(th, [
        h(
          "button",
          { type: "button", class: "sort-btn", onclick: () => reload({ sort: key, order: next, offset: 0 }) },
          label,
          h("span", { class: "sort-mark", "aria-hidden": "true", text: order ? (order === "asc" ? " ▲" : " ▼") : "" }),
        ),
      ]);
      return th;
    }

    function fill(data) {
      title.lastChild.textContent = fmtInt(data.total);
      const withCost = data.sessions.some((x) => x.cost_tracked);
      const columns = COLUMNS.filter(([label]) => label !== "Cost" || withCost);
      const head = h(
        "tr",
        {},
        columns.map(([label, key, numeric]) => sortHeader(label, key, numeric)),
      );
      const body = h("tbody", {});
      for (const x of data.sessions) body.appendChild(sessionRow(x, withCost));
      if (!data.sessions.length) {
        body.appendChild(
          emptyRow(
            columns.length,
            data.total === 0 && !filters.q && !filters.project && !filters.tag && !filters.status
              ? "No sessions in this store yet: run a traced program (e.g. make demo), then refresh."
              : "No session matches these filters.",
          ),
        );
      }
      replace(
        tableBox,
        h("table", { class: "data", id: "sessions-table" }, h("thead", {}, head), body),
        data.total > data.limit ? pager(data, (offset) => reload({ offset: offset })) : null,
      );
      if (data.sessions.some((x) => x.status === "live")) refresh();
    }

    function sessionRow(x, withCost) {
      const href = hashFor(["session", x.id]);
      const box = h("input", { type: "checkbox", "aria-label": "select " + x.name, "data-id": x.id });
      box.checked = compareSelection.has(x.id);
      box.addEventListener("click", (ev) => ev.stopPropagation());
      box.addEventListener("change", () => {
        if (box.checked) compareSelection.add(x.id);
        else compareSelection.delete(x.id);
        updateCompare();
      });
      const duration = parseTs(x.ended_at) - parseTs(x.started_at);
      // Failed traces are the headline; error spans of traces that succeeded are warnings.
      const handled = x.trace_errors ? 0 : x.errors;
      const row = h(
        "tr",
        {
          class: "clickable" + (x.trace_errors ? " has-errors" : handled ? " has-warnings" : ""),
          "data-session": x.id,
          tabindex: "0",
        },
        h("td", { class: "check" }, box),
        h(
          "td",
          { class: "name wrap" },
          link(href, x.name),
          h("div", { class: "sub mono" }, x.id.slice(0, 12), sessionStatePill(x.status)),
        ),
        h("td", { class: "project wrap", text: x.project }),
        h(
          "td",
          { class: "tags" },
          (x.tags || []).map((t) => h("span", { class: "tag", text: t })),
        ),
        h("td", { class: "group wrap", text: x.group || "" }),
        h("td", { class: "when" }, timeCell(x.ended_at), h("div", { class: "sub", text: "ran " + fmtMs(duration) })),
        h("td", { class: "num", text: fmtInt(x.traces) }),
        h(
          "td",
          {
            class: "num failed" + (x.trace_errors ? " bad" : ""),
            title:
              fmtInt(x.trace_errors) + " failed traces · " + fmtInt(x.errors) + " error spans in all",
          },
          fmtInt(x.trace_errors),
          handled ? h("div", {}, handledPill(handled)) : null,
        ),
        h("td", { class: "num", text: fmtInt(x.tokens) }),
        withCost ? h("td", { class: "num cost", text: x.cost_tracked ? fmtCost(x.cost) : "–" }) : null,
        h(
          "td",
          { class: "num" },
          fmtMs(x.latency_p50),
          h("div", { class: "sub", text: "p95 " + fmtMs(x.latency_p95) }),
        ),
      );
      const open = () => (location.hash = href);
      row.addEventListener("click", open);
      row.addEventListener("keydown", (ev) => ev.key === "Enter" && open());
      return row;
    }

    // The trend: one metric across every session the filters keep, oldest first.
    async function paintTrend() {
      if (!filters.trend) {
        replace(trendBox);
        return;
      }
      const data = await source.sessions(
        Object.assign({}, filters, { offset: 0, limit: 500, sort: "ended", order: "asc" }),
      );
      const metrics = trendMetrics(data.sessions);
      const chosen = metrics.find(([key]) => key === filters.trend) || metrics[0];
      const [, label, value, fmt] = chosen;
      const points = data.sessions.map((x) => ({
        y: value(x),
        label: x.name + " · " + fmtTime(x.ended_at),
        tick: x.name,
        href: hashFor(["session", x.id]),
      }));
      const shown = points.filter((p) => typeof p.y === "number").length;
      replace(
        trendBox,
        chartBox(
          label + " across " + fmtInt(shown) + " sessions (oldest first" + (data.total > 500 ? ", the last 500" : "") + ")",
          lineChart(points, { label: label + " trend", yfmt: fmt, xlabel: "session, by end time" }),
        ),
      );
    }

    function trendMetrics(sessions) {
      const metrics = TREND_METRICS.slice();
      const names = (field) => [...new Set(sessions.flatMap((x) => Object.keys(x[field] || {})))].sort();
      for (const name of names("scores"))
        metrics.push(["score:" + name, "Score " + name + " (mean)", (x) => (x.scores || {})[name], fmtNum]);
      for (const name of names("metrics"))
        metrics.push(["metric:" + name, name + " (mean)", (x) => (x.metrics || {})[name], fmtNum]);
      return metrics;
    }

    const paintTrendPicker = (sessions) =>
      replace(
        trendSelect,
        select(
          "trend",
          [["", "Plot a trend…"], ...trendMetrics(sessions).map(([key, label]) => [key, label])],
          filters.trend,
          (v) => reload({ trend: v }),
        ),
      );

    fill(first);
    paintTrendPicker(first.sessions);
    append(view, [title, toolbar, trendBox, tableBox]);
    paintTrend();
  }

  Object.assign(CT, { sessionsView });
})(window.CT);
