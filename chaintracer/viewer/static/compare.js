/* chaintracer viewer: two or more sessions side by side: summary metrics, settings, outputs for the same input. */
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
    fmtTime,
    hashFor,
    breadcrumb,
    pager,
    emptyRow,
    scalar,
    source,
  } = CT;

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
    const data = await source.compare(ids, filters);
    if (!isCurrent()) return;
    const sessions = data.sessions;
    const sids = sessions.map((x) => x.id);
    const colHead = (extra) =>
      h(
        "tr",
        {},
        h("th", { text: extra }),
        sessions.map((x, i) =>
          h(
            "th",
            {},
            link(hashFor(["session", x.id]), x.name),
            i === 0 ? h("span", { class: "sub", text: " baseline" }) : null,
            h("div", { class: "sub mono", text: fmtTime(x.ended_at) }),
          ),
        ),
      );

    // Summary metrics, with the change against the first session.
    const lowerIsBetter = /latency|error|failed|incomplete/;
    const metricRows = data.metrics.map((row) => {
      const base = row.values[sids[0]];
      return h(
        "tr",
        {},
        h("th", { text: row.key }),
        sids.map((id, i) => {
          const v = row.values[id];
          let delta = null;
          if (i > 0 && typeof v === "number" && typeof base === "number" && v !== base) {
            const pct = base ? ((v - base) / Math.abs(base)) * 100 : null;
            const worse = lowerIsBetter.test(row.key) ? v > base : false;
            const better = lowerIsBetter.test(row.key) ? v < base : false;
            delta = h("span", {
              class: "delta" + (worse ? " bad" : better ? " good" : ""),
              text:
                pct === null ? " (new)" : " " + (pct > 0 ? "+" : "") + pct.toFixed(pct > -10 && pct < 10 ? 1 : 0) + "%",
            });
          }
          return h(
            "td",
            { class: "num" },
            row.key.includes("ms")
              ? fmtMs(v)
              : typeof v === "number"
                ? Number.isInteger(v)
                  ? fmtInt(v)
                  : String(v)
                : "–",
            delta,
          );
        }),
      );
    });

    // Settings: the differing ones first; the rest behind a toggle.
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const settingRows = data.settings.map((row) => {
      const values = sids.map((id) => row.values[id]);
      const differs = values.some((v) => !same(v, values[0]));
      return { row: row, differs: differs, values: values };
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
            h("th", { class: "mono", text: r.row.key }),
            r.values.map((v) => h("td", {}, scalar(v))),
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

    // Outputs for the same input.
    const groupRows = data.groups.map((g) => {
      const outputs = sids.map((id) => (g.cells[id] || []).map((c) => c.output));
      const present = outputs.filter((o) => o.length);
      const differs = present.some((o) => !same(o, present[0]));
      return h(
        "tr",
        { class: differs ? "diff-row" : "" },
        h(
          "td",
          { class: "io" },
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
            cells
              .slice(0, 3)
              .map((c) =>
                h(
                  "div",
                  { class: "cmp-cell" + (c.status === "error" ? " bad-cell" : "") },
                  h("pre", { class: "text small", text: c.output }),
                  h(
                    "div",
                    { class: "cmp-meta" },
                    statusPill(c.status),
                    " ",
                    fmtMs(c.latency_ms),
                    c.tokens ? " · " + fmtInt(c.tokens) + " tok" : "",
                    " · ",
                    link(hashFor(["session", id, "trace", String(c.seq)]), "#" + c.seq),
                  ),
                ),
              ),
            cells.length > 3
              ? h("div", { class: "sub", text: "+ " + (cells.length - 3) + " more with this input" })
              : null,
          );
        }),
      );
    });
    const reload = (offset) => {
      location.hash = hashFor(["compare"], Object.assign({}, filters, { ids: sids.join(","), offset: offset }));
    };

    append(view, [
      breadcrumb(link("#/", "Sessions"), "Compare"),
      h("h1", {}, "Comparing " + sessions.length + " sessions"),
      h(
        "section",
        { class: "cmp-section" },
        h("h2", { text: "Summary" }),
        h(
          "table",
          { class: "data cmp", id: "compare-metrics" },
          h("thead", {}, colHead("metric")),
          h("tbody", {}, metricRows),
        ),
      ),
      h(
        "section",
        { class: "cmp-section" },
        h("div", { class: "section-head" }, h("h2", { text: "Settings (" + differing.length + " differ)" }), toggle),
        h("table", { class: "data cmp", id: "compare-settings" }, h("thead", {}, colHead("setting")), settingsBody),
      ),
      h(
        "section",
        { class: "cmp-section" },
        h("h2", { text: "Outputs for the same input" }),
        h("p", {
          class: "muted",
          text:
            fmtInt(data.total_groups) +
            " inputs appear in two or more of these sessions (matched on the input preview).",
        }),
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
        data.total_groups > data.limit
          ? pager({ offset: data.offset, limit: data.limit, total: data.total_groups }, reload)
          : null,
      ),
    ]);
  }

  Object.assign(CT, { compareView });
})(window.CT);
