/* chaintracer viewer: full-text search over every span of every session (#/search?q=words). */
(function (CT) {
  "use strict";
  const { append, h, replace, kindBadge, link, fmtInt, hashFor, setParams, pager, searchBox, markedText, source } = CT;

  async function searchView(view, params, isCurrent) {
    const state = Object.assign({ offset: 0 }, params);
    const results = h("div", { class: "table-box", id: "search-results" });
    const paint = async () => {
      setParams(state);
      if (!state.q) {
        replace(results, h("p", { class: "empty-state", text: "Type words to find them in any span: inputs, outputs, errors, attributes, names." }));
        return;
      }
      const data = await source.search(state);
      if (!isCurrent()) return;
      const rows = data.hits.map((hit) => {
        const href = hashFor(["session", hit.session_id, "trace", String(hit.number)], { q: state.q, span: hit.span_id });
        const row = h(
          "tr",
          { class: "clickable", "data-session": hit.session_id, "data-number": hit.number },
          h(
            "td",
            { class: "wrap" },
            link(href, (hit.session_name || "") + " · trace #" + hit.number),
            h("div", { class: "sub" }, kindBadge(hit.kind), " ", hit.span_name),
          ),
          h("td", { class: "muted", text: hit.field }),
          h("td", { class: "snippet" }, markedText(hit.snippet.replace(/\s*\n\s*/g, " · "))),
        );
        row.addEventListener("click", (ev) => ev.target.tagName !== "A" && (location.hash = href));
        return row;
      });
      replace(
        results,
        h(
          "table",
          { class: "data" },
          h("thead", {}, h("tr", {}, h("th", { text: "Where" }), h("th", { text: "Field" }), h("th", { text: "Match" }))),
          h(
            "tbody",
            {},
            rows.length ? rows : h("tr", { class: "empty" }, h("td", { colspan: 3, text: "No span holds “" + state.q + "”." })),
          ),
        ),
        data.total > data.limit
          ? pager(data, (offset) => {
              state.offset = offset;
              paint();
            })
          : null,
      );
      count.textContent = fmtInt(data.total) + " spans";
    };
    const count = h("span", { class: "count" });
    append(view, [
      h("h1", {}, "Search ", count),
      h(
        "div",
        { class: "toolbar" },
        searchBox("q", state.q, "Words in any span of any session", (v) => {
          state.q = v;
          state.offset = 0;
          paint();
        }),
      ),
      results,
    ]);
    await paint();
  }

  Object.assign(CT, { searchView });
})(window.CT);
