/* chaintracer viewer: sessions side by side against a baseline the user picks: metrics, settings, outputs.
 *
 * Any number of sessions fits: each table scrolls sideways inside its own box with its first
 * column pinned, and the page itself never scrolls sideways. Numbers show their change against
 * the baseline (green better, red worse); texts show the words added and removed.
 */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    statusPill,
    link,
    fmtInt,
    fmtMs,
    fmtNum,
    fmtCost,
    fmtTime,
    hashFor,
    breadcrumb,
    pager,
    emptyRow,
    scalar,
    diffNodes,
    source,
  } = CT;

  // Which way is better, per metric row: -1 lower is better, 0 neither (a count of work done).
  const LOWER_IS_BETTER = /latency|error|failed|incomplete|tokens|cost/;

  async function compareView(view, ids, params, isCurrent) {
    if (ids.length < 2) {
      append(view, [
        breadcrumb(link("#/", "Sessions"), "Compare"),
        h(
          "div",
          { class: "empty-state" },
          h("p", { text: "Select two or more sessions in the sessions list, then press “Compare selected”." }),
        ),
      ]);
      return;
    }
    const filters = Object.assign({ offset: 0 }, params);
    delete filters.ids;
    delete filters.baseline;
    const data = await source.compare(ids, filters);
    if (!isCurrent()) return;
    const given = data.sessions;
    const base = given.find((x) => x.id === params.baseline) || given[0];
    const sessions = [base, ...given.filter((x) => x !== base)]; // the baseline's column comes first
    const sids = sessions.map((x) => x.id);
    const at = (extra) => hashFor(["compare"], Object.assign({ ids: given.map((x) => x.id).join(","), baseline: base.id }, filters, extra));
    const colHead = (extra) =>
      h(
        "tr",
        {},
        h("th", { class: "pin", text: extra }),
        sessions.map((x) =>
          h(
            "th",
            { "data-session": x.id, class: x === base ? "baseline" : null },
            link(hashFor(["session", x.id]), x.name),
            h("div", { class: "sub mono", text: fmtTime(x.ended_at) }),
            x === base
              ? h("span", { class: "pill pill-base", text: "baseline" })
              : h("a", { class: "set-base", href: at({ baseline: x.id }), text: "use as baseline" }),
          ),
        ),
      );
    const scroller = (table) => h("div", { class: "cmp-scroll" }, table);

    const metricRows = data.metrics
      .filter((row) => sids.some((id) => row.values[id] !== null && row.values[id] !== undefined))
      .map((row) => {
        const baseValue = row.values[base.id];
        return h(
          "tr",
          { "data-metric": row.key },
          h("th", { class: "pin", text: row.key }),
          sids.map((id) => {
            const v = row.values[id];
            return h(
              "td",
              { class: "num" },
              formatMetric(row.key, v),
              id !== base.id ? delta(row.key, baseValue, v) : null,
            );
          }),
        );
      });

    // Settings: the differing ones first; the rest behind a toggle. Texts show their word changes.
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const settingRows = data.settings.map((row) => {
      const values = sids.map((id) => row.values[id]);
      return { row: row, differs: values.some((v) => !same(v, values[0])), values: values };
    });
    const differing = settingRows.filter((r) => r.differs);
    const settingsBody = h("tbody", {});
    let showAll = false;
    const paintSettings = () => {
      const shown = showAll ? settingRows : differing;
      replace(
        settingsBody,
        ...shown.map((r) =>
          h(
            "tr",
            { class: r.differs ? "diff" : "" },
            h("th", { class: "mono pin", text: r.row.key }),
            r.values.map((v, i) => h("td", {}, settingValue(r.values[0], v, i > 0 && r.differs))),
          ),
        ),
        shown.length ? null : emptyRow(sids.length + 1, "No setting differs."),
      );
    };
    paintSettings();
    const toggle = h(
      "label",
      { class: "toggle" },
      h("input", {
        type: "checkbox",
        onchange: (ev) => {
          showAll = ev.target.checked;
          paintSettings();
        },
      }),
      " show the " + (settingRows.length - differing.length) + " unchanged settings",
    );

    // Outputs for the same input, each against the baseline's.
    const groupRows = data.groups.map((g) => {
      const outputs = sids.map((id) => (g.cells[id] || []).map((c) => c.output));
      const present = outputs.filter((o) => o.length);
      const differs = present.some((o) => !same(o, present[0]));
      const baseCell = (g.cells[base.id] || [])[0];
      return h(
        "tr",
        { class: differs ? "diff-row" : "" },
        h(
          "td",
          { class: "io pin" },
          h("pre", { class: "text small", text: g.input }),
          differs
            ? h("span", { class: "pill pill-diff", text: "outputs differ" })
            : h("span", { class: "pill pill-same", text: "same output" }),
        ),
        sids.map((id) => {
          const cells = g.cells[id] || [];
          if (!cells.length) return h("td", { class: "muted", text: "not in this session" });
          return h(
            "td",
            { class: "io" },
            cells.slice(0, 3).map((c) => outputCell(id, c, id !== base.id && baseCell ? baseCell.output : null)),
            cells.length > 3 ? h("div", { class: "sub", text: "+ " + (cells.length - 3) + " more with this input" }) : null,
          );
        }),
      );
    });

    const picker = h(
      "label",
      { class: "base-pick" },
      "Baseline ",
      CT.select(
        "baseline",
        given.map((x) => [x.id, x.name]),
        base.id,
        (id) => (location.hash = at({ baseline: id })),
      ),
    );
    append(view, [
      breadcrumb(link("#/", "Sessions"), "Compare"),
      h("div", { class: "page-head row" }, h("h1", {}, "Comparing " + sessions.length + " sessions"), picker),
      h(
        "section",
        { class: "cmp-section" },
        h("h2", { text: "Summary" }),
        scroller(
          h(
            "table",
            { class: "data cmp", id: "compare-metrics" },
            h("thead", {}, colHead("metric")),
            h("tbody", {}, metricRows),
          ),
        ),
      ),
      h(
        "section",
        { class: "cmp-section" },
        h("div", { class: "section-head" }, h("h2", { text: "Settings (" + differing.length + " differ)" }), toggle),
        scroller(
          h("table", { class: "data cmp", id: "compare-settings" }, h("thead", {}, colHead("setting")), settingsBody),
        ),
      ),
      h(
        "section",
        { class: "cmp-section" },
        h("h2", { text: "Outputs for the same input" }),
        h("p", {
          class: "muted",
          text:
            fmtInt(data.total_groups) +
            " inputs appear in two or more of these sessions (matched on the input preview). Words added since the baseline are green, removed ones struck through.",
        }),
        scroller(
          h(
            "table",
            { class: "data cmp outputs", id: "compare-outputs" },
            h("thead", {}, colHead("input")),
            h(
              "tbody",
              {},
              groupRows.length ? groupRows : emptyRow(sids.length + 1, "No input is shared by these sessions."),
            ),
          ),
        ),
        data.total_groups > data.limit
          ? pager({ offset: data.offset, limit: data.limit, total: data.total_groups }, (offset) => {
              location.hash = at({ offset: offset });
            })
          : null,
      ),
    ]);
  }

  function formatMetric(key, v) {
    if (typeof v !== "number") return "–";
    if (key.includes(" ms")) return fmtMs(v);
    if (key === "cost") return fmtCost(v);
    return Number.isInteger(v) ? fmtInt(v) : fmtNum(v);
  }

  // "+12 (+5.0%)" against the baseline: green when better, red when worse, grey when neither.
  function delta(key, base, v) {
    if (typeof v !== "number" || typeof base !== "number") return null;
    if (v === base) return h("div", { class: "delta same", text: "=" });
    const lower = LOWER_IS_BETTER.test(key);
    const judged = lower || key.startsWith("mean ");
    const better = lower ? v < base : v > base;
    const diff = v - base;
    const pct = base ? (diff / Math.abs(base)) * 100 : null;
    const shown = key.includes(" ms") ? fmtMs(Math.abs(diff)) : key === "cost" ? fmtCost(Math.abs(diff)) : fmtNum(Math.abs(diff));
    return h("div", {
      class: "delta" + (judged ? (better ? " good" : " bad") : ""),
      title: judged ? (better ? "better than the baseline" : "worse than the baseline") : "changed",
      text:
        (diff > 0 ? "+" : "−") +
        shown +
        (pct === null ? "" : " (" + (pct > 0 ? "+" : "") + pct.toFixed(Math.abs(pct) < 10 ? 1 : 0) + "%)"),
    });
  }

  // Prompts may be a template or chat messages: compared as the text a person reads.
  function asText(value) {
    if (typeof value === "string") return value;
    if (Array.isArray(value) && value.length && value.every((m) => Array.isArray(m) || (m && typeof m === "object"))) {
      return value
        .map((m) => (Array.isArray(m) ? m.join(": ") : (m.role || m.type || "") + ": " + (m.content || m.template || JSON.stringify(m))))
        .join("\n");
    }
    return null;
  }

  function settingValue(base, v, showDiff) {
    const text = asText(v);
    if (text === null) return scalar(v);
    const baseText = asText(base);
    if (showDiff && baseText !== null) return h("div", { class: "pre diff-text" }, diffNodes(baseText, text));
    return h("span", { class: "pre", text: text });
  }

  function outputCell(sid, c, baseOutput) {
    return h(
      "div",
      { class: "cmp-cell" + (c.status === "error" ? " bad-cell" : "") },
      baseOutput !== null && baseOutput !== c.output
        ? h("pre", { class: "text small diff-text" }, diffNodes(baseOutput, c.output))
        : h("pre", { class: "text small", text: c.output }),
      h(
        "div",
        { class: "cmp-meta" },
        statusPill(c.status),
        " ",
        fmtMs(c.latency_ms),
        c.tokens ? " · " + fmtInt(c.tokens) + " tok" : "",
        " · ",
        link(hashFor(["session", sid, "trace", String(c.number)]), "#" + c.number),
      ),
    );
  }

  Object.assign(CT, { compareView });
})(window.CT);
