/* chaintracer viewer: the trace timeline: a waterfall of nested spans, and the selected span's details. */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    kindClass,
    kindBadge,
    statusPill,
    link,
    fmtInt,
    fmtMs,
    parseTs,
    timeCell,
    hashFor,
    breadcrumb,
    kvTable,
    section,
    fact,
    renderValue,
    source,
  } = CT;

  async function traceView(view, ref, seq, isCurrent) {
    const data = await source.trace(ref, seq);
    if (!isCurrent()) return;
    const root = data.tree;
    const sid = data.session.id;
    const spans = [];
    (function walk(span, depth, parent) {
      span._depth = depth;
      span._parent = parent;
      span._start = parseTs(span.start_time);
      span._end = parseTs(span.end_time);
      if (!isFinite(span._end) || span._end < span._start) span._end = span._start;
      spans.push(span);
      for (const child of span.children || []) walk(child, depth + 1, span);
    })(root, 0, null);
    const t0 = Math.min(...spans.map((x) => x._start));
    const t1 = Math.max(...spans.map((x) => x._end));
    const total = Math.max(t1 - t0, 0.001);
    const kinds = [...new Set(spans.map((x) => x.kind))];
    const tokens = (root.attributes || {}).tokens;
    const treeTokens = spans.reduce(
      (n, x) =>
        n +
        (["llm", "chat_model"].includes(x.kind) &&
        x.attributes &&
        x.attributes.tokens &&
        typeof x.attributes.tokens.total === "number"
          ? x.attributes.tokens.total
          : 0),
      0,
    );
    const nav = (target, label) =>
      target === null || target === undefined
        ? h("span", { class: "btn btn-small disabled", text: label })
        : h("a", { class: "btn btn-small", href: hashFor(["session", sid, "trace", String(target)]), text: label });

    append(view, [
      breadcrumb(link("#/", "Sessions"), link(hashFor(["session", sid]), data.session.name), "Trace #" + seq),
      h(
        "div",
        { class: "page-head row" },
        h(
          "div",
          {},
          h("h1", {}, kindBadge(root.kind), " ", root.name, " ", statusPill(root.status)),
          h(
            "div",
            { class: "meta" },
            h("span", {}, h("b", { text: "duration " }), fmtMs(root._end - root._start)),
            h("span", {}, h("b", { text: "spans " }), fmtInt(spans.length)),
            h("span", {}, h("b", { text: "errors " }), fmtInt(spans.filter((x) => x.status === "error").length)),
            h("span", {}, h("b", { text: "tokens " }), fmtInt(tokens && tokens.total ? tokens.total : treeTokens)),
            h("span", {}, h("b", { text: "started " }), timeCell(root.start_time), " UTC"),
          ),
        ),
        h(
          "div",
          { class: "nav-btns" },
          nav(data.prev, "‹ Previous"),
          h("span", { class: "muted", text: fmtInt((data.position || 0) + 1) + " of " + fmtInt(data.total) }),
          nav(data.next, "Next ›"),
        ),
      ),
    ]);

    const legend = h(
      "div",
      { class: "legend", id: "legend" },
      kinds.map((k) =>
        h(
          "span",
          { class: "legend-item" },
          h("span", { class: "swatch " + kindClass(k) }),
          String(k).replace("_", " "),
        ),
      ),
      spans.some((x) => x.status === "error")
        ? h("span", { class: "legend-item" }, h("span", { class: "swatch swatch-error" }), "error")
        : null,
      spans.some((x) => x.status === "incomplete")
        ? h("span", { class: "legend-item" }, h("span", { class: "swatch swatch-incomplete" }), "incomplete")
        : null,
    );

    const collapsed = new Set();
    let selected = null;
    const wfBody = h("div", { class: "wf-body", role: "tree", tabindex: "0" });
    const detail = h("aside", { class: "detail", id: "span-detail" });

    const ticks = niceTicks(total);
    const axis = h(
      "div",
      { class: "wf-axis" },
      ticks.map((t) =>
        h("span", { class: "tick", style: { left: (100 * t) / total + "%" }, text: t === 0 ? "0" : fmtMs(t) }),
      ),
    );
    const grid = () =>
      h(
        "div",
        { class: "wf-grid" },
        ticks.map((t) => h("span", { style: { left: (100 * t) / total + "%" } })),
      );

    function visible() {
      const out = [];
      for (const span of spans) {
        let p = span._parent;
        let hidden = false;
        while (p) {
          if (collapsed.has(p.span_id)) {
            hidden = true;
            break;
          }
          p = p._parent;
        }
        if (!hidden) out.push(span);
      }
      return out;
    }

    function paintRows() {
      const rows = visible().map((span) => {
        const left = (100 * (span._start - t0)) / total;
        const width = Math.max((100 * (span._end - span._start)) / total, 0.25);
        const hasKids = (span.children || []).length > 0;
        const caret = hasKids
          ? h("button", {
              class: "caret",
              type: "button",
              "aria-label": collapsed.has(span.span_id) ? "expand" : "collapse",
              text: collapsed.has(span.span_id) ? "▸" : "▾",
              onclick: (ev) => {
                ev.stopPropagation();
                if (collapsed.has(span.span_id)) collapsed.delete(span.span_id);
                else collapsed.add(span.span_id);
                paintRows();
              },
            })
          : h("span", { class: "caret-space" });
        const bar = h("div", {
          class:
            "bar " +
            kindClass(span.kind) +
            (span.status === "error" ? " error" : "") +
            (span.status === "incomplete" ? " incomplete" : ""),
          style: { left: left + "%", width: width + "%" },
          title: span.name + " · " + span.kind + " · " + fmtMs(span._end - span._start),
        });
        // The duration goes after the bar, else before it, else (a bar spanning the trace) inside it.
        const where = left + width < 82 ? "after" : left > 18 ? "before" : "inside";
        const barLabel = h("span", {
          class: "bar-label " + where,
          style:
            where === "after"
              ? { left: "calc(" + (left + width) + "% + 6px)" }
              : where === "before"
                ? { right: "calc(" + (100 - left) + "% + 6px)" }
                : { right: "calc(" + (100 - left - width) + "% + 6px)" },
          text:
            fmtMs(span._end - span._start) +
            (span.status === "error" ? " · " + ((span.error && span.error.type) || "error") : ""),
        });
        const row = h(
          "div",
          {
            class: "wf-row" + (span === selected ? " selected" : "") + (span.status === "error" ? " is-error" : ""),
            role: "treeitem",
            "data-span-id": span.span_id,
            "data-kind": span.kind,
            "data-status": span.status,
          },
          h(
            "div",
            { class: "wf-label", style: { paddingLeft: 8 + span._depth * 16 + "px" } },
            caret,
            h("span", { class: "dot " + kindClass(span.kind) }),
            h("span", { class: "wf-name", title: span.name, text: span.name }),
            span.status === "error" ? h("span", { class: "err-mark", title: "error", text: "!" }) : null,
          ),
          h("div", { class: "wf-track" }, grid(), bar, barLabel),
        );
        row.addEventListener("click", () => selectSpan(span));
        return row;
      });
      replace(wfBody, ...rows);
    }

    function selectSpan(span) {
      selected = span;
      for (const row of wfBody.children) row.classList.toggle("selected", row.dataset.spanId === span.span_id);
      spanDetail(detail, span, t0, sid);
    }

    wfBody.addEventListener("keydown", (ev) => {
      if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
      ev.preventDefault();
      const list = visible();
      const i = list.indexOf(selected);
      const next = list[Math.max(0, Math.min(list.length - 1, i + (ev.key === "ArrowDown" ? 1 : -1)))];
      if (next) {
        selectSpan(next);
        const row = wfBody.querySelector('[data-span-id="' + CSS.escape(next.span_id) + '"]');
        if (row) row.scrollIntoView({ block: "nearest" });
      }
    });

    paintRows();
    // Open on the span where the error started (the deepest failed span), else the root.
    const failed = spans.filter((x) => x.status === "error");
    const origin = failed.find((x) => !(x.children || []).some((c) => c.status === "error")) || root;
    selectSpan(origin);

    append(view, [
      legend,
      h(
        "div",
        { class: "trace-layout" },
        h(
          "section",
          { class: "wf", id: "timeline", "aria-label": "timeline" },
          h("div", { class: "wf-head" }, h("div", { class: "wf-label", text: "Span" }), axis),
          wfBody,
        ),
        detail,
      ),
    ]);
  }

  function niceTicks(total) {
    const raw = total / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => total / x <= 6) || raw;
    const ticks = [];
    for (let t = 0; t <= total + 1e-9 && ticks.length < 12; t += step) ticks.push(t);
    return ticks;
  }

  function spanDetail(box, span, t0, sid) {
    const attrs = Object.assign({}, span.attributes || {});
    const views = attrs.visualizations;
    delete attrs.visualizations;
    const tokens = attrs.tokens;
    const parts = [
      h("div", { class: "detail-head" }, kindBadge(span.kind), h("h2", { text: span.name }), statusPill(span.status)),
      h(
        "dl",
        { class: "facts" },
        fact("duration", fmtMs(span._end - span._start)),
        fact("starts at", "+" + fmtMs(span._start - t0)),
        attrs.model ? fact("model", String(attrs.model)) : null,
        tokens && typeof tokens === "object"
          ? fact(
              "tokens",
              fmtInt(tokens.total) +
                " (" +
                fmtInt(tokens.prompt) +
                " prompt · " +
                fmtInt(tokens.completion) +
                " completion)",
            )
          : null,
        typeof attrs.time_to_first_token_ms === "number"
          ? fact("first token", fmtMs(attrs.time_to_first_token_ms))
          : null,
        fact("span id", span.span_id, "mono"),
      ),
    ];
    if (span.error) {
      parts.push(
        h(
          "div",
          { class: "error-box", id: "span-error" },
          h(
            "div",
            { class: "error-title" },
            h("strong", { text: (span.error.type || "Error") + ": " }),
            h("span", { text: span.error.message || "" }),
          ),
          span.error.traceback
            ? h(
                "details",
                { class: "traceback" },
                h("summary", { text: "Traceback" }),
                h("pre", { text: span.error.traceback }),
              )
            : null,
        ),
      );
    } else if (span.status === "incomplete") {
      parts.push(
        h("div", {
          class: "warn-box",
          text: "This span never ended: it was closed as incomplete when the session was flushed.",
        }),
      );
    }
    parts.push(section("Inputs", renderValue(span.inputs), "inputs"));
    parts.push(section("Outputs", renderValue(span.outputs), "outputs"));
    const params = attrs.invocation_params;
    delete attrs.invocation_params;
    if (attrs.model !== null && typeof attrs.model !== "object") delete attrs.model; // shown above
    if (tokens && typeof tokens === "object") delete attrs.tokens;
    delete attrs.first_token_time;
    delete attrs.time_to_first_token_ms;
    if (params && typeof params === "object") parts.push(section("Parameters", kvTable(params), "params"));
    if (Object.keys(attrs).length) parts.push(section("Attributes", kvTable(attrs), "attributes"));
    if (span.metrics && Object.keys(span.metrics).length)
      parts.push(section("Metrics", kvTable(span.metrics), "metrics"));
    if (views && typeof views === "object" && Object.keys(views).length)
      parts.push(section("Visualizations", visualizations(views, sid), "visualizations"));
    replace(box, ...parts);
  }

  function visualizations(views, sid) {
    const names = Object.keys(views);
    const frameBox = h("div", { class: "viz-frame" });
    const tabs = h("div", { class: "seg" });
    const show = (name) => {
      for (const b of tabs.children) b.classList.toggle("active", b.dataset.view === name);
      const target = source.artifact(sid, views[name]);
      if (target.missing) {
        replace(frameBox, h("p", { class: "muted", text: "This visualisation is not in the report." }));
        return;
      }
      // sandbox="" : no scripts, no forms, no same-origin access. The server adds a sandbox CSP too.
      const frame = h("iframe", { sandbox: "", title: name, referrerpolicy: "no-referrer", class: "viz" });
      if (target.src) frame.setAttribute("src", target.src);
      else frame.setAttribute("srcdoc", target.srcdoc);
      replace(frameBox, frame);
    };
    names.forEach((name) =>
      tabs.appendChild(
        h("button", { type: "button", class: "seg-btn", "data-view": name, text: name, onclick: () => show(name) }),
      ),
    );
    show(names[0]);
    return h("div", {}, tabs, frameBox);
  }

  Object.assign(CT, { traceView });
})(window.CT);
