/* chaintracer viewer: where the views' data comes from: the viewer's HTTP API, or the JSON embedded in a report. */
(function (CT) {
  "use strict";
  const { query, PAGE } = CT;

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
      traces: (id, params) => get("sessions/" + enc(id) + "/traces", params),
      trace: (id, seq) => get("sessions/" + enc(id) + "/traces/" + enc(seq)),
      compare: (ids, params) => get("compare", Object.assign({ ids: ids.join(",") }, params)),
      artifact: (id, ref) => ({ src: "/api/sessions/" + enc(id) + "/artifacts/" + enc(ref) }),
    };
  }

  function embeddedSource(data) {
    const fail = (message) => Promise.reject(new Error(message));
    const byRef = (ref) => data.sessions.find((x) => x.id === ref) || data.sessions.find((x) => x.name === ref);
    const contains = (text, q) =>
      String(text || "")
        .toLowerCase()
        .includes(q.toLowerCase());
    const statusOf = (item, status) =>
      status === "error"
        ? item.errors > 0
        : status === "ok"
          ? !item.errors
          : status === "incomplete"
            ? item.incomplete > 0
            : true;
    const page = (items, params, limit) => {
      const offset = Number(params.offset || 0);
      return { offset: offset, limit: limit, total: items.length, slice: items.slice(offset, offset + limit) };
    };
    const sorts = {
      latency: (a, b) => b.latency_ms - a.latency_ms || a.seq - b.seq,
      tokens: (a, b) => b.tokens - a.tokens || a.seq - b.seq,
      errors: (a, b) => b.errors - a.errors || a.seq - b.seq,
      spans: (a, b) => b.spans - a.spans || a.seq - b.seq,
      seq: (a, b) => a.seq - b.seq,
    };
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
            statusOf(x, params.status),
        );
        const p = page(items, params, 100);
        return Promise.resolve({
          sessions: p.slice,
          total: p.total,
          offset: p.offset,
          limit: p.limit,
          projects: [...new Set(data.sessions.map((x) => x.project))].sort(),
          tags: [...new Set(data.sessions.flatMap((x) => x.tags || []))].sort(),
        });
      },
      session(ref) {
        const item = byRef(ref);
        return item ? Promise.resolve(data.details[item.id]) : fail("no session " + ref + " in this report");
      },
      traces(ref, params) {
        const item = byRef(ref);
        if (!item) return fail("no session " + ref + " in this report");
        const rows = data.traces[item.id].rows
          .filter(
            (r) =>
              (!params.status || r.status === params.status) &&
              (!params.q || contains(r.input, params.q) || contains(r.output, params.q) || contains(r.name, params.q)),
          )
          .sort(sorts[params.sort] || sorts.seq);
        const p = page(rows, params, Number(params.limit || PAGE));
        return Promise.resolve({
          session_id: item.id,
          rows: p.slice,
          total: p.total,
          offset: p.offset,
          limit: p.limit,
        });
      },
      trace(ref, seq) {
        const item = byRef(ref);
        if (!item) return fail("no session " + ref + " in this report");
        const held = data.traces[item.id];
        const tree = held.trees[String(seq)];
        if (!tree)
          return fail(
            "trace " + seq + " is not in this report (it holds " + held.rows.length + " of " + held.total + ")",
          );
        const n = Number(seq);
        const i = held.rows.findIndex((r) => r.seq === n); // rows are in the table's order
        const seqAt = (j) => (j >= 0 && j < held.rows.length ? held.rows[j].seq : null);
        return Promise.resolve({
          session: { id: item.id, name: item.name, project: item.project },
          row: held.rows[i] || null,
          tree: tree,
          prev: seqAt(i - 1),
          next: seqAt(i + 1),
          position: i,
          total: held.total,
        });
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

  Object.assign(CT, { source, reportData, embeddedCompare });
})(window.CT);
