/* chaintracer viewer: the sessions list and the session page (summary, trace table, settings). */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    kindClass,
    statusPill,
    sessionStatePill,
    link,
    fmtInt,
    fmtMs,
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
    flatten,
    scalar,
    architecture,
    PAGE,
    source,
  } = CT;

  const compareSelection = new Set(); // sessions ticked for comparison, kept across views

  async function sessionsView(view, params, isCurrent) {
    const filters = Object.assign({ offset: 0 }, params);
    const tableBox = h("div", { class: "table-box" });
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
    };
    const projectOptions = [["", "All projects"], ...first.projects.map((p) => [p, p])];
    const tagOptions = [["", "All tags"], ...first.tags.map((t) => [t, t])];
    const toolbar = h(
      "div",
      { class: "toolbar" },
      select("project", projectOptions, filters.project, (v) => reload({ project: v, offset: 0 })),
      select("tag", tagOptions, filters.tag, (v) => reload({ tag: v, offset: 0 })),
      searchBox("q", filters.q, "Filter by name or id", (v) => reload({ q: v, offset: 0 })),
      select(
        "status",
        [
          ["", "Any status"],
          ["error", "With errors"],
          ["ok", "Without errors"],
          ["incomplete", "With incomplete spans"],
        ],
        filters.status,
        (v) => reload({ status: v, offset: 0 }),
      ),
      h("span", { class: "spacer" }),
      compareBtn,
    );
    const title = h("h1", {}, "Sessions ", h("span", { class: "count" }));

    function fill(data) {
      title.lastChild.textContent = fmtInt(data.total);
      const columns = [
        "",
        "Name",
        "Project",
        "Tags",
        "Group",
        "Ended (UTC)",
        "Traces",
        "Errors",
        "Tokens",
        "Latency p50",
      ];
      const numeric = new Set([6, 7, 8, 9]);
      const head = h(
        "tr",
        {},
        columns.map((c, i) => h("th", { class: numeric.has(i) ? "num" : null, text: c })),
      );
      const body = h("tbody", {});
      for (const x of data.sessions) {
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
        const row = h(
          "tr",
          { class: "clickable" + (x.errors ? " has-errors" : ""), "data-session": x.id, tabindex: "0" },
          h("td", { class: "check" }, box),
          h(
            "td",
            { class: "name", title: x.name },
            link(href, x.name),
            h("div", { class: "sub mono" }, x.id.slice(0, 12), sessionStatePill(x.status)),
          ),
          h("td", { class: "project", title: x.project, text: x.project }),
          h(
            "td",
            { class: "tags" },
            (x.tags || []).map((t) => h("span", { class: "tag", text: t })),
          ),
          h("td", { class: "group", title: x.group || "", text: x.group || "" }),
          h("td", { class: "when" }, timeCell(x.ended_at), h("div", { class: "sub", text: "ran " + fmtMs(duration) })),
          h("td", { class: "num", text: fmtInt(x.traces) }),
          h(
            "td",
            {
              class: "num" + (x.errors ? " bad" : ""),
              title: fmtInt(x.errors) + " error spans in " + fmtInt(x.trace_errors) + " failed traces",
            },
            fmtInt(x.errors),
          ),
          h("td", { class: "num", text: fmtInt(x.tokens) }),
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
        body.appendChild(row);
      }
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
    }

    fill(first);
    append(view, [title, toolbar, tableBox]);
  }

  async function sessionView(view, ref, tab, params, isCurrent) {
    const session = await source.session(ref);
    if (!isCurrent()) return;
    const summary = session.summary || {};
    const tokens = summary.tokens || {};
    const latency = summary.latency_ms || {};
    const counts = session.status_counts || {};
    const duration = parseTs(session.ended_at) - parseTs(session.started_at);
    append(view, [
      breadcrumb(link("#/", "Sessions"), session.name),
      h(
        "div",
        { class: "page-head" },
        h(
          "h1",
          {},
          session.name,
          " ",
          summary.errors ? statusPill("error") : statusPill("ok"),
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
      h(
        "div",
        { class: "cards" },
        card("Traces", fmtInt(summary.traces)),
        card("Failed traces", fmtInt(summary.trace_errors), summary.trace_errors ? "bad" : ""),
        card(
          "Spans",
          fmtInt(summary.spans),
          "",
          fmtInt(summary.errors) + " errors · " + fmtInt(summary.incomplete) + " incomplete",
        ),
        card("LLM calls", fmtInt(summary.llm_calls), "", fmtInt(summary.tool_calls) + " tool calls"),
        card(
          "Tokens",
          fmtInt(tokens.total),
          "",
          fmtInt(tokens.prompt) + " prompt · " + fmtInt(tokens.completion) + " completion",
        ),
        card("Latency p50", fmtMs(latency.p50), "", "p95 " + fmtMs(latency.p95) + " · max " + fmtMs(latency.max)),
        Object.keys(summary.metrics || {}).length
          ? card(
              "Metrics (mean)",
              String(Object.keys(summary.metrics).length),
              "",
              Object.entries(summary.metrics)
                .slice(0, 3)
                .map(([k, v]) => k + " " + v)
                .join(" · "),
            )
          : null,
      ),
    ]);
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
    else await traceTable(body, session, counts, params, isCurrent);
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

  async function traceTable(body, session, counts, params, isCurrent) {
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
      ["error", "Errors", counts.error || 0],
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
                "seg-btn" +
                ((filters.status || "") === value ? " active" : "") +
                (value === "error" && n ? " bad" : ""),
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
      searchBox("q", filters.q, "Search inputs and outputs", (v) => reload({ q: v, offset: 0 })),
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
      const columns = ["#", "Trace", "Input", "Output", "Status", "Latency", "Tokens", "Spans"];
      const head = h(
        "tr",
        {},
        columns.map((c, i) => h("th", { class: i >= 5 || i === 0 ? "num" : null, text: c })),
      );
      const tbody = h("tbody", {});
      for (const row of data.rows) {
        const href = hashFor(["session", session.id, "trace", String(row.seq)]);
        const error = row.status === "error";
        const tr = h(
          "tr",
          {
            class:
              "clickable trace-row" + (error ? " row-error" : row.status === "incomplete" ? " row-incomplete" : ""),
            "data-seq": row.seq,
            tabindex: "0",
          },
          h("td", { class: "num muted", text: String(row.seq) }),
          h(
            "td",
            { class: "name" },
            h("span", { class: "dot " + kindClass(row.kind) }),
            link(href, row.name),
            h("div", { class: "sub", text: String(row.kind).replace("_", " ") }),
          ),
          h("td", { class: "io" }, h("div", { class: "clip", title: row.input, text: row.input })),
          h(
            "td",
            { class: "io" + (error ? " bad" : "") },
            h("div", { class: "clip", title: row.output, text: row.output }),
          ),
          h(
            "td",
            {},
            statusPill(row.status),
            row.errors && !error ? h("span", { class: "sub bad", text: " " + row.errors + " err" }) : null,
          ),
          h("td", { class: "num", text: fmtMs(row.latency_ms) }),
          h("td", { class: "num", text: row.tokens ? fmtInt(row.tokens) : "–" }),
          h("td", { class: "num", text: fmtInt(row.spans) }),
        );
        const open = () => (location.hash = href);
        tr.addEventListener("click", (ev) => {
          if (ev.target.tagName !== "A") open();
        });
        tr.addEventListener("keydown", (ev) => ev.key === "Enter" && open());
        tbody.appendChild(tr);
      }
      if (!data.rows.length)
        tbody.appendChild(emptyRow(columns.length, data.total ? "No trace on this page." : "No trace matches."));
      replace(
        tableBox,
        h("table", { class: "data traces", id: "trace-table" }, h("thead", {}, head), tbody),
        pager(data, (offset) => reload({ offset: offset })),
      );
    }

    const first = await source.traces(session.id, Object.assign({ limit: PAGE }, filters));
    if (!isCurrent()) return;
    fill(first);
    append(body, [toolbar, tableBox]);
  }

  function settings(body, session) {
    const rows = [];
    for (const key of [
      "id",
      "project",
      "name",
      "entity",
      "tags",
      "group",
      "job_type",
      "notes",
      "started_at",
      "ended_at",
    ]) {
      rows.push(["session." + key, session[key]]);
    }
    for (const [key, value] of Object.entries(flatten(session.config || {}, "config"))) rows.push([key, value]);
    for (const [key, value] of Object.entries(flatten(session.exports || {}, "exports"))) rows.push([key, value]);
    append(body, [
      h(
        "table",
        { class: "data kv", id: "settings-table" },
        h(
          "tbody",
          {},
          rows.map(([k, v]) => h("tr", {}, h("th", { class: "mono", text: k }), h("td", {}, scalar(v)))),
        ),
      ),
    ]);
  }

  Object.assign(CT, { sessionsView, sessionView });
})(window.CT);
