/* chaintracer viewer: where the views' data comes from: the viewer's HTTP API, or the JSON embedded in a report.
 *
 * Both sources answer the same calls with the same shapes. Traces are addressed by their number
 * (1-based, in the store's order: what `chaintracer show` prints).
 */
(function (CT) {
  "use strict";
  const { query, PAGE, searchWords } = CT;

  function httpSource() {
    async function get(path, params) {
      const response = await fetch("/api/" + path + query(params), { headers: { Accept: "application/json" } });
      let body = null;
      try {
        body = await response.json();
      } catch (err) {
        body = null;
      }
      if (!response.ok) throw new Error((body && body.error) || "HTTP " + response.status);
      return body;
    }
    const enc = encodeURIComponent;
    return {
      live: true,
      info: () => get("info"),
      sessions: (params) => get("sessions", params),
      session: (id) => get("sessions/" + enc(id)),
      charts: (id) => get("sessions/" + enc(id) + "/charts"),
      traces: (id, params) => get("sessions/" + enc(id) + "/traces", params),
      trace: (id, number) => get("sessions/" + enc(id) + "/traces/" + enc(number)),
      search: (params) => get("search", params),
      compare: (ids, params) => get("compare", Object.assign({ ids: ids.join(",") }, params)),
      experiments: () => get("experiments"),
      experiment: (ref, params) => get("experiments/" + enc(ref), params),
      artifact: (id, ref) => ({ src: "/api/sessions/" + enc(id) + "/artifacts/" + enc(ref) }),
    };
  }

  // -- the report: the same answers from the embedded JSON ----------------------------------------

  const contains = (text, q) =>
    String(text || "")
      .toLowerCase()
      .includes(q.toLowerCase());
  const OUTCOMES = {
    error: (x) => x.trace_errors > 0,
    handled: (x) => !x.trace_errors && x.errors > 0,
    ok: (x) => !x.errors,
    incomplete: (x) => x.incomplete > 0,
  };
  const SESSION_KEYS = {
    ended: (x) => x.ended_at,
    started: (x) => x.started_at,
    name: (x) => String(x.name).toLowerCase(),
    project: (x) => String(x.project).toLowerCase(),
    traces: (x) => x.traces,
    failed: (x) => x.trace_errors,
    errors: (x) => x.errors,
    tokens: (x) => x.tokens,
    cost: (x) => x.cost,
    latency: (x) => x.latency_p50,
    latency_p95: (x) => x.latency_p95,
  };
  const TRACE_SORTS = {
    latency: (a, b) => b.latency_ms - a.latency_ms || a.number - b.number,
    tokens: (a, b) => b.tokens - a.tokens || a.number - b.number,
    errors: (a, b) => b.errors - a.errors || a.number - b.number,
    spans: (a, b) => b.spans - a.spans || a.number - b.number,
    seq: (a, b) => a.number - b.number,
  };
  const FIELDS = ["outputs", "inputs", "error", "name", "attributes"]; // the order a hit is shown from

  function page(items, params, limit) {
    const offset = Number(params.offset || 0);
    return { offset: offset, limit: limit, total: items.length, slice: items.slice(offset, offset + limit) };
  }

  function sortSessions(items, sort, order) {
    const key = SESSION_KEYS[sort] || SESSION_KEYS.ended;
    const sign = order === "asc" ? 1 : -1;
    const missing = (v) => v === null || v === undefined;
    return items.slice().sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (missing(x) || missing(y)) return missing(x) - missing(y);
      return x < y ? -sign : x > y ? sign : 0;
    });
  }

  // A span's searchable text per field, as the store indexes it ("key: value" lines).
  function fieldText(value, key, lines, depth) {
    const prefix = key ? key + ": " : "";
    if (value === null || value === undefined || value === "") return lines;
    if (Array.isArray(value)) {
      if (!(value.length > 8 && value.every((x) => typeof x === "number")))
        value.forEach((x) => fieldText(x, key, lines, depth + 1));
    } else if (typeof value === "object" && depth < 32) {
      for (const [k, v] of Object.entries(value)) if (k !== "visualizations") fieldText(v, k, lines, depth + 1);
    } else {
      lines.push(prefix + String(value));
    }
    return lines;
  }

  function spanFields(span) {
    return {
      name: String(span.name || ""),
      inputs: fieldText(span.inputs, "", [], 0).join("\n"),
      outputs: fieldText(span.outputs, "", [], 0).join("\n"),
      error: span.error ? fieldText(span.error, "", [], 0).join("\n") : "",
      attributes: fieldText(span.attributes, "", [], 0).join("\n"),
    };
  }

  function wordPattern(words) {
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp("(^|[^\\p{L}\\p{N}_])((?:" + escaped.join("|") + ")[\\p{L}\\p{N}_]*)", "giu");
  }

  function snippet(text, pattern) {
    pattern.lastIndex = 0;
    const first = pattern.exec(text);
    const start = first ? Math.max(0, first.index - 60) : 0;
    const windowText = text.slice(start, start + 160);
    const marked = windowText.replace(pattern, (m, before, word) => before + "\u0002" + word + "\u0003");
    return (start ? "…" : "") + marked + (start + 160 < text.length ? "…" : "");
  }

  // Every span of a held tree that holds all the words: the same hits the store's index gives.
  function treeHits(tree, words) {
    const out = [];
    if (!words.length) return out;
    const pattern = wordPattern(words);
    const tests = words.map((w) => wordPattern([w]));
    const stack = [tree];
    while (stack.length) {
      const span = stack.pop();
      const fields = spanFields(span);
      const all = FIELDS.map((f) => fields[f]).join("\n");
      if (tests.every((t) => ((t.lastIndex = 0), t.test(all)))) {
        const matched = FIELDS.filter((f) => ((pattern.lastIndex = 0), pattern.test(fields[f])));
        out.push({
          span_id: span.span_id,
          span_name: span.name,
          kind: span.kind,
          fields: matched,
          field: matched[0],
          snippet: snippet(fields[matched[0]], pattern),
        });
      }
      stack.push(...(span.children || []).slice().reverse());
    }
    return out;
  }

  function embeddedSource(data) {
    const fail = (message) => Promise.reject(new Error(message));
    const byRef = (ref) => data.sessions.find((x) => x.id === ref) || data.sessions.find((x) => x.name === ref);
    const missing = (ref) => fail("no session " + ref + " in this report");
    return {
      live: false,
      info: () =>
        Promise.resolve({ mode: "report", store: data.store, version: data.version, generated_at: data.generated_at }),
      sessions(params) {
        const items = data.sessions.filter(
          (x) =>
            (!params.project || x.project === params.project) &&
            (!params.tag || (x.tags || []).includes(params.tag)) &&
            (!params.q || contains(x.name, params.q) || contains(x.id, params.q)) &&
            (!params.status || !OUTCOMES[params.status] || OUTCOMES[params.status](x)),
        );
        const sorted = sortSessions(items, params.sort || "ended", params.order || "desc");
        const p = page(sorted, params, Number(params.limit || 100));
        return Promise.resolve({
          sessions: p.slice,
          total: p.total,
          offset: p.offset,
          limit: p.limit,
          sort: params.sort || "ended",
          order: params.order || "desc",
          projects: [...new Set(data.sessions.map((x) => x.project))].sort(),
          tags: [...new Set(data.sessions.flatMap((x) => x.tags || []))].sort(),
        });
      },
      session(ref) {
        const item = byRef(ref);
        return item ? Promise.resolve(data.details[item.id]) : missing(ref);
      },
      charts(ref) {
        const item = byRef(ref);
        return item ? Promise.resolve(data.charts[item.id]) : missing(ref);
      },
      traces(ref, params) {
        const item = byRef(ref);
        if (!item) return missing(ref);
        const held = data.traces[item.id];
        const words = params.q ? searchWords(params.q) : [];
        const rows = [];
        for (const r of held.rows) {
          if (params.status && r.status !== params.status) continue;
          if (params.q) {
            const tree = held.trees[String(r.number)];
            const found = tree && words.length ? treeHits(tree, words) : [];
            if (found.length) rows.push(Object.assign({}, r, { match: found[0] }));
            else if (!tree && (contains(r.input, params.q) || contains(r.output, params.q) || contains(r.name, params.q)))
              rows.push(r);
            continue;
          }
          rows.push(r);
        }
        rows.sort(TRACE_SORTS[params.sort] || TRACE_SORTS.seq);
        const p = page(rows, params, Number(params.limit || PAGE));
        return Promise.resolve({ session_id: item.id, rows: p.slice, total: p.total, offset: p.offset, limit: p.limit });
      },
      trace(ref, number) {
        const item = byRef(ref);
        if (!item) return missing(ref);
        const held = data.traces[item.id];
        const n = Number(number);
        const tree = held.trees[String(n)];
        if (!tree)
          return fail("trace " + number + " is not in this report (it holds " + held.rows.length + " of " + held.total + ")");
        return Promise.resolve({
          session: { id: item.id, name: item.name, project: item.project },
          row: held.rows.find((r) => r.number === n) || null,
          tree: tree,
          number: n,
          prev: n > 1 ? n - 1 : null,
          next: held.trees[String(n + 1)] ? n + 1 : null,
          position: n - 1,
          total: held.total,
        });
      },
      search(params) {
        const words = searchWords(params.q);
        const hits = [];
        const sessions = params.session ? [byRef(params.session)].filter(Boolean) : data.sessions;
        for (const item of sessions) {
          const held = data.traces[item.id];
          for (const [number, tree] of Object.entries(held.trees)) {
            for (const hit of treeHits(tree, words)) {
              hits.push(
                Object.assign(hit, {
                  session_id: item.id,
                  session_name: params.session ? null : item.name,
                  number: Number(number),
                }),
              );
            }
          }
        }
        const p = page(hits, params, Number(params.limit || PAGE));
        return Promise.resolve({ q: params.q || "", hits: p.slice, total: p.total, offset: p.offset, limit: p.limit });
      },
      compare(ids) {
        const c = data.compare;
        if (!c) return fail("this report holds one session: nothing to compare");
        const chosen = ids
          .map((ref) => byRef(ref))
          .filter(Boolean)
          .map((x) => x.id);
        if (chosen.length < 2) return fail("choose two or more sessions of this report to compare");
        const groups = c.groups.filter((g) => chosen.filter((id) => g.cells[id]).length >= 2);
        return Promise.resolve(
          Object.assign({}, c, {
            sessions: chosen.map((id) => c.sessions.find((x) => x.id === id)),
            groups: groups,
            total_groups: groups.length,
            offset: 0,
            limit: groups.length,
          }),
        );
      },
      experiments: () => Promise.resolve({ experiments: (data.experiments || []).map((x) => x.experiment) }),
      experiment(ref, params) {
        const found = (data.experiments || []).find((x) => x.experiment.id === ref || x.experiment.name === ref);
        if (!found) return fail("no experiment " + ref + " in this report");
        const baseline = params.baseline || found.baseline;
        const comparisons = (found.comparisons_by_baseline || {})[baseline];
        if (!comparisons) return fail("no variant " + baseline + " in experiment " + found.experiment.name);
        return Promise.resolve(Object.assign({}, found, { baseline: baseline, comparisons: comparisons }));
      },
      artifact(id, ref) {
        const art = (data.artifacts[id] || {})[ref];
        return art ? { srcdoc: art.content } : { missing: true };
      },
    };
  }

  const embedded = document.getElementById("ct-data");
  const reportData = embedded ? JSON.parse(embedded.textContent) : null;
  const source = reportData ? embeddedSource(reportData) : httpSource();
  const embeddedCompare =
    reportData && reportData.compare ? reportData.compare.sessions.map((x) => x.id).join(",") : null;

  Object.assign(CT, { source, reportData, embeddedCompare, treeHits });
})(window.CT);
