/* chaintracer viewer: the trace timeline: a waterfall of nested spans, and the selected span's details.
 *
 * The URL holds the trace number and the selected span (#/session/ID/trace/N?span=SPAN_ID): a
 * link opens the same span. With ?q=words (from a search), the spans holding the words are
 * marked, the first one opens, and the words are highlighted in its details.
 */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    kindClass,
    kindBadge,
    statusPill,
    handledPill,
    link,
    fmtInt,
    fmtMs,
    fmtCost,
    parseTs,
    timeCell,
    hashFor,
    setParams,
    breadcrumb,
    searchWords,
    highlightWords,
    treeHits,
    spanDetail,
    source,
  } = CT;

  async function traceView(view, ref, number, params, isCurrent) {
    const data = await source.trace(ref, number);
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
    const words = searchWords(params.q);
    const hits = new Set(words.length ? treeHits(root, words).map((hit) => hit.span_id) : []);
    const errorSpans = spans.filter((x) => x.status === "error").length;
    const handled = root.status !== "error" ? errorSpans : 0;
    const keep = params.q ? { q: params.q } : {};
    const nav = (target, label) =>
      target === null || target === undefined
        ? h("span", { class: "btn btn-small disabled", text: label })
        : h("a", { class: "btn btn-small", href: hashFor(["session", sid, "trace", String(target)], keep), text: label });

    append(view, [
      breadcrumb(link("#/", "Sessions"), link(hashFor(["session", sid]), data.session.name), "Trace #" + data.number),
      h(
        "div",
        { class: "page-head row" },
        h(
          "div",
          {},
          h("h1", { class: "wrap" }, kindBadge(root.kind), " ", root.name, " ", statusPill(root.status), " ", handledPill(handled)),
          h(
            "div",
            { class: "meta" },
            h("span", {}, h("b", { text: "duration " }), fmtMs(root._end - root._start)),
            h("span", {}, h("b", { text: "spans " }), fmtInt(spans.length)),
            h("span", {}, h("b", { text: "error spans " }), fmtInt(errorSpans)),
            h("span", {}, h("b", { text: "tokens " }), fmtInt(tokens && tokens.total ? tokens.total : treeTokens)),
            treeCost(spans),
            h("span", {}, h("b", { text: "started " }), timeCell(root.start_time), " UTC"),
          ),
        ),
        h(
          "div",
          { class: "nav-btns" },
          nav(data.prev, "‹ Previous"),
          h("span", { class: "muted", text: "#" + fmtInt(data.number) + " of " + fmtInt(data.total) }),
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
            class:
              "wf-row" +
              (span === selected ? " selected" : "") +
              (span.status === "error" ? " is-error" : "") +
              (hits.has(span.span_id) ? " has-hit" : ""),
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

    // ``opening``: the span shown when the page opens (the URL is left as it is).
    function selectSpan(span, opening) {
      selected = span;
      for (const row of wfBody.children) row.classList.toggle("selected", row.dataset.spanId === span.span_id);
      spanDetail(detail, span, t0, sid);
      if (!opening) setParams(Object.assign({}, keep, { span: span.span_id })); // a shareable link to this span
      const marks = highlightWords(detail, words);
      if (marks.length && !opening) marks[0].scrollIntoView({ block: "nearest" });
      paintHitNav();
    }

    // "3 spans hold “126”  ‹ ›": steps through the spans a search found in this trace.
    const hitNav = h("div", { class: "hit-nav", id: "hit-nav" });
    const hitList = spans.filter((x) => hits.has(x.span_id));
    function paintHitNav() {
      if (!words.length) return;
      const i = hitList.indexOf(selected);
      const go = (step) => {
        const next = hitList[(i + step + hitList.length) % hitList.length];
        if (next) {
          for (let p = next._parent; p; p = p._parent) collapsed.delete(p.span_id);
          paintRows();
          selectSpan(next);
        }
      };
      replace(
        hitNav,
        h("mark", { text: params.q }),
        " " + fmtInt(hitList.length) + " span" + (hitList.length === 1 ? "" : "s") + " hold it",
        i >= 0 ? " (" + (i + 1) + " of " + hitList.length + ")" : "",
        " ",
        h("button", { class: "btn btn-small", type: "button", disabled: !hitList.length, onclick: () => go(-1), text: "‹" }),
        h("button", { class: "btn btn-small", type: "button", disabled: !hitList.length, onclick: () => go(1), text: "›" }),
        " ",
        h("a", { class: "btn btn-small", href: hashFor(["session", sid, "trace", String(data.number)]), text: "Clear" }),
      );
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
    // Open on the span the link names, else the first search hit, else where the error started
    // (the deepest failed span), else the root.
    const failed = spans.filter((x) => x.status === "error");
    const origin = failed.find((x) => !(x.children || []).some((c) => c.status === "error")) || root;
    const named = params.span ? spans.find((x) => x.span_id === params.span) : null;
    selectSpan(named || hitList[0] || origin, true);

    append(view, [
      words.length ? hitNav : null,
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
    // Once on the page: the selected span's row and the first highlighted word in view.
    setTimeout(() => {
      const row = wfBody.querySelector(".wf-row.selected");
      if (row) row.scrollIntoView({ block: "nearest" });
      const mark = detail.querySelector("mark.search-hit");
      if (mark) mark.scrollIntoView({ block: "nearest" });
    }, 0);
  }

  // The trace's cost: the sum of its model calls' costs; "unknown" when one has no price.
  function treeCost(spans) {
    const costs = spans
      .map((x) => (x.attributes || {}).cost)
      .filter((c) => c && typeof c === "object" && "total" in c)
      .map((c) => c.total);
    if (!costs.length) return null;
    const known = costs.every((c) => typeof c === "number");
    return h("span", {}, h("b", { text: "cost " }), known ? fmtCost(costs.reduce((a, b) => a + b, 0)) : fmtCost(null));
  }

  function niceTicks(total) {
    const raw = total / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => total / x <= 6) || raw;
    const ticks = [];
    for (let t = 0; t <= total + 1e-9 && ticks.length < 12; t += step) ticks.push(t);
    return ticks;
  }

  Object.assign(CT, { traceView });
})(window.CT);
