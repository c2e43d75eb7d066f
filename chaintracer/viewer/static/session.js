/* chaintracer viewer: one session: summary cards, charts, the trace table with full-text search, settings. */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    kindClass,
    statusPill,
    handledPill,
    sessionStatePill,
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
    breadcrumb,
    pager,
    select,
    searchBox,
    emptyRow,
    card,
    markedText,
    histogram,
    stackedBars,
    chartBox,
    architecture,
    settings,
    PAGE,
    source,
  } = CT;

  async function sessionView(view, ref, tab, params, isCurrent, refresh) {
    const session = await source.session(ref);
    if (!isCurrent()) return;
    if (session.status === "live") refresh(); // its program still records: show what arrives
    const summary = session.summary || {};
    const failed = summary.trace_errors || 0;
    const handled = session.handled_errors || 0;
    const duration = parseTs(session.ended_at) - parseTs(session.started_at);
    append(view, [
      breadcrumb(link("#/", "Sessions"), session.name),
      h(
        "div",
        { class: "page-head" },
        h(
          "h1",
          { class: "wrap" },
          session.name,
          " ",
          failed ? statusPill("error") : handled ? handledPill(handled) : statusPill("ok"),
          sessionStatePill(session.status),
        ),
        h(
          "div",
          { class: "meta" },
          h("span", {}, h("b", { text: "project " }), session.project),
          (session.tags || []).length
            ? h(
                "span",
                {},
                (session.tags || []).map((t) => h("span", { class: "tag", text: t })),
              )
            : null,
          session.group ? h("span", {}, h("b", { text: "group " }), session.group) : null,
          session.job_type ? h("span", {}, h("b", { text: "job " }), session.job_type) : null,
          h("span", {}, h("b", { text: "started " }), timeCell(session.started_at), " UTC · ", fmtMs(duration)),
          h("span", { class: "mono muted", text: session.id }),
        ),
        session.notes ? h("p", { class: "notes", text: session.notes }) : null,
      ),
      summaryCards(summary, handled),
    ]);
    if (!session.stored_traces) {
      append(view, [
        h(
          "div",
          { class: "empty-state", id: "empty-session" },
          h("p", {}, h("b", { text: "This session holds no traces." })),
          h("p", {
            class: "muted",
            text:
              session.status === "live"
                ? "Its program is still running: traces appear here as they finish."
                : "It was flushed before any traced call finished (or every trace was dropped). Settings and architecture are still here.",
          }),
        ),
      ]);
    } else if (tab === "traces") {
      const chartRow = h("div", { class: "chart-row", id: "session-charts" });
      append(view, [chartRow]);
      source.charts(session.id).then((charts) => isCurrent() && paintCharts(chartRow, charts), () => {});
    }
    const tabs = [
      ["traces", "Traces (" + fmtInt(session.stored_traces) + ")"],
      ["architecture", "Architecture"],
      ["settings", "Settings"],
    ];
    const tabBar = h(
      "div",
      { class: "tabs", role: "tablist" },
      tabs.map(([id, label]) =>
        h("a", {
          href: hashFor(["session", session.id, id]),
          class: "tab" + (tab === id ? " active" : ""),
          role: "tab",
          text: label,
        }),
      ),
      h("span", { class: "spacer" }),
      compareWith(session),
    );
    const body = h("div", { class: "tab-body" });
    append(view, [tabBar, body]);
    if (tab === "architecture") architecture(body, session.model);
    else if (tab === "settings") settings(body, session);
    else if (session.stored_traces) await traceTable(body, session, params, isCurrent);
  }

  function summaryCards(summary, handled) {
    const tokens = summary.tokens || {};
    const latency = summary.latency_ms || {};
    const cost = summary.cost;
    const metrics = Object.entries(summary.metrics || {});
    return h(
      "div",
      { class: "cards" },
      card("Traces", fmtInt(summary.traces)),
      card(
        "Failed traces",
        fmtInt(summary.trace_errors),
        summary.trace_errors ? "bad" : "",
        handled ? [handledPill(handled), " inside traces that succeeded"] : "no handled errors",
      ),
      card("Spans", fmtInt(summary.spans), "", fmtInt(summary.errors) + " error · " + fmtInt(summary.incomplete) + " incomplete"),
      card("LLM calls", fmtInt(summary.llm_calls), "", fmtInt(summary.tool_calls) + " tool calls"),
      card("Tokens", fmtInt(tokens.total), "", fmtInt(tokens.prompt) + " prompt · " + fmtInt(tokens.completion) + " completion"),
      cost && typeof cost === "object"
        ? card("Cost", fmtCost(cost.total), cost.total === null ? "unknown" : "", cost.total === null ? "no price for some model" : "")
        : null,
      card("Latency p50", fmtMs(latency.p50), "", "p95 " + fmtMs(latency.p95) + " · max " + fmtMs(latency.max)),
      metrics.length
        ? h(
            "div",
            { class: "card card-wide", "data-card": "Metrics" },
            h("div", { class: "card-label", text: "Metrics (mean over model calls)" }),
            h(
              "dl",
              { class: "metric-grid" },
              metrics.map(([name, value]) => [
                h("dt", { title: name, text: name.replace(/_/g, " ") }),
                h("dd", { text: fmtNum(value) }),
              ]),
            ),
          )
        : null,
    );
  }

  function paintCharts(box, charts) {
    const models = charts.models || [];
    const items = models.map((m) => ({
      label: m.model || "(no model name)",
      prompt: m.prompt,
      completion: m.completion,
      note: fmtInt(m.total) + " tok · " + fmtInt(m.calls) + " calls" + (m.cost === null ? "" : " · " + fmtCost(m.cost)),
    }));
    replace(
      box,
      chartBox("Latency distribution (" + fmtInt(charts.latency.n) + " traces)", histogram(charts.latency, fmtMs, "latency histogram")),
      models.length
        ? chartBox(
            "Tokens by model" + (models.some((m) => m.cost !== null) ? " (and cost)" : ""),
            stackedBars(
              items,
              "tokens by model",
              [
                ["prompt", "prompt", "bar-a"],
                ["completion", "completion", "bar-b"],
              ],
              fmtInt,
            ),
          )
        : chartBox("Tokens by model", h("p", { class: "muted", text: "No model calls in this session." })),
    );
  }

  function compareWith(session) {
    const box = h("span", { class: "compare-with" });
    source.sessions({ project: session.project, limit: 50 }).then(
      (data) => {
        const others = data.sessions.filter((x) => x.id !== session.id);
        if (!others.length) return;
        const options = [["", "Compare with…"], ...others.map((x) => [x.id, x.name + " · " + fmtTime(x.ended_at)])];
        box.appendChild(
          select("compare-with", options, "", (id) => {
            if (id) location.hash = hashFor(["compare"], { ids: session.id + "," + id });
          }),
        );
      },
      () => {},
    );
    return box;
  }

  async function traceTable(body, session, params, isCurrent) {
    const counts = session.status_counts || {};
    const filters = Object.assign({ offset: 0, sort: "seq" }, params);
    const tableBox = h("div", { class: "table-box" });
    const reload = async (changes) => {
      Object.assign(filters, changes);
      setParams(filters);
      fill(await source.traces(session.id, Object.assign({ limit: PAGE }, filters)));
    };
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const statusButtons = h("div", { class: "seg", role: "group", "aria-label": "status" });
    const statuses = [
      ["", "All", total],
      ["ok", "OK", counts.ok || 0],
      ["error", "Failed", counts.error || 0],
      ["incomplete", "Incomplete", counts.incomplete || 0],
    ];
    const paintSeg = () => {
      replace(
        statusButtons,
        ...statuses.map(([value, label, n]) =>
          h(
            "button",
            {
              type: "button",
              class:
                "seg-btn" + ((filters.status || "") === value ? " active" : "") + (value === "error" && n ? " bad" : ""),
              "data-status": value || "all",
              onclick: () => {
                reload({ status: value, offset: 0 });
                paintSeg();
              },
            },
            label + " ",
            h("span", { class: "seg-n", text: fmtInt(n) }),
          ),
        ),
      );
    };
    paintSeg();
    const toolbar = h(
      "div",
      { class: "toolbar" },
      statusButtons,
      searchBox("q", filters.q, "Search every span: inputs, outputs, errors, attributes", (v) =>
        reload({ q: v, offset: 0 }),
      ),
      select(
        "sort",
        [
          ["seq", "In order"],
          ["latency", "Slowest first"],
          ["tokens", "Most tokens first"],
          ["errors", "Most errors first"],
          ["spans", "Most spans first"],
        ],
        filters.sort,
        (v) => reload({ sort: v, offset: 0 }),
      ),
    );

    function fill(data) {
      const withCost = data.rows.some((row) => row.cost !== undefined);
      const columns = ["#", "Trace", "Input", "Output", "Status", "Latency", "Tokens", withCost ? "Cost" : null, "Spans"];
      const shown = columns.filter(Boolean);
      const head = h(
        "tr",
        {},
        shown.map((c, i) => h("th", { class: i >= 5 || i === 0 ? "num" : null, text: c })),
      );
      const tbody = h("tbody", {});
      for (const row of data.rows) tbody.appendChild(traceRow(row, withCost, shown.length));
      if (!data.rows.length)
        tbody.appendChild(
          emptyRow(
            shown.length,
            filters.q
              ? "No span of this session holds “" + filters.q + "”."
              : data.total
                ? "No trace on this page."
                : "No trace matches.",
          ),
        );
      replace(
        tableBox,
        filters.q
          ? h("p", {
              class: "muted search-note",
              text: fmtInt(data.total) + (data.total === 1 ? " trace holds" : " traces hold") + " “" + filters.q + "” in a span.",
            })
          : null,
        h("table", { class: "data traces", id: "trace-table" }, h("thead", {}, head), tbody),
        pager(data, (offset) => reload({ offset: offset })),
      );
    }

    function traceRow(row, withCost, width) {
      const match = row.match;
      const target = { q: filters.q || null, span: match ? match.span_id : null };
      const href = hashFor(["session", session.id, "trace", String(row.number)], target);
      const error = row.status === "error";
      const handled = !error && row.errors ? row.errors : 0;
      const tr = h(
        "tr",
        {
          class:
            "clickable trace-row" +
            (error ? " row-error" : handled ? " row-warn" : row.status === "incomplete" ? " row-incomplete" : ""),
          "data-number": row.number,
          tabindex: "0",
        },
        h("td", { class: "num muted", text: String(row.number) }),
        h(
          "td",
          { class: "name wrap" },
          h("span", { class: "dot " + kindClass(row.kind) }),
          link(href, row.name),
          h("div", { class: "sub", text: String(row.kind).replace("_", " ") }),
        ),
        h("td", { class: "io" }, h("div", { class: "clip", title: row.input, text: row.input })),
        h("td", { class: "io" + (error ? " bad" : "") }, h("div", { class: "clip", title: row.output, text: row.output })),
        h("td", {}, statusPill(row.status), handled ? [" ", handledPill(handled)] : null),
        h("td", { class: "num", text: fmtMs(row.latency_ms) }),
        h("td", { class: "num", text: row.tokens ? fmtInt(row.tokens) : "–" }),
        withCost ? h("td", { class: "num", text: row.cost === undefined ? "–" : fmtCost(row.cost) }) : null,
        h("td", { class: "num", text: fmtInt(row.spans) }),
      );
      const open = () => (location.hash = href);
      tr.addEventListener("click", (ev) => {
        if (ev.target.tagName !== "A") open();
      });
      tr.addEventListener("keydown", (ev) => ev.key === "Enter" && open());
      if (!match) return tr;
      // The first span that holds the words, its field and the words marked in context.
      const hit = h(
        "tr",
        { class: "clickable match-row", "data-number": row.number },
        h(
          "td",
          { colspan: width },
          h(
            "div",
            { class: "match" },
            h("span", { class: "sub" }, "in ", h("b", { text: match.span_name }), " · " + match.field + ": "),
            h("span", { class: "snippet" }, markedText(match.snippet.replace(/\s*\n\s*/g, " · "))),
          ),
        ),
      );
      hit.addEventListener("click", open);
      const group = document.createDocumentFragment();
      group.append(tr, hit);
      return group;
    }

    const first = await source.traces(session.id, Object.assign({ limit: PAGE }, filters));
    if (!isCurrent()) return;
    fill(first);
    append(body, [toolbar, tableBox]);
  }

  Object.assign(CT, { sessionView });
})(window.CT);
