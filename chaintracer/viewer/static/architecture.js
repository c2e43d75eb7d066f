/* chaintracer viewer: the model architecture: a layered graph of the components and their parameters. */
(function (CT) {
  "use strict";
  const { append, h, s, replace, kindClass, kindBadge, scalar, kvTable, jsonBlock, clip } = CT;

  function architecture(body, model) {
    if (!model || typeof model !== "object") {
      append(body, [
        h(
          "div",
          { class: "empty-state" },
          h("p", { text: "No architecture was captured for this session." }),
          h("p", {
            class: "muted",
            text: "Pass the chain, agent or index to flush_tracker(asset) to record its components and parameters.",
          }),
        ),
      ]);
      return;
    }
    const box = h("div", { class: "arch", id: "architecture" });
    append(box, [
      h(
        "h2",
        {},
        model.kind ? kindBadge(model.kind) : null,
        " ",
        String(model.name || model.type || "asset"),
        model.name && model.type ? h("span", { class: "muted", text: " · " + model.type }) : null,
      ),
    ]);
    if (Array.isArray(model.nodes) && model.nodes.length) {
      const panel = h(
        "aside",
        { class: "detail node-detail", id: "node-detail" },
        h("p", { class: "muted", text: "Select a component to see its parameters." }),
      );
      append(box, [
        h(
          "div",
          { class: "arch-layout" },
          h("div", { class: "graph-box" }, graph(model.nodes, model.edges || [], panel)),
          panel,
        ),
      ]);
    }
    if (Array.isArray(model.models) && model.models.length) {
      append(box, [h("h3", { text: "Models" }), h("div", { class: "comp-cards" }, model.models.map(componentCard))]);
    }
    if (Array.isArray(model.tools) && model.tools.length) {
      append(box, [h("h3", { text: "Tools" }), h("div", { class: "comp-cards" }, model.tools.map(componentCard))]);
    }
    if (!Array.isArray(model.nodes) && !Array.isArray(model.models)) {
      append(box, [h("div", { class: "tree", id: "model-tree" }, treeNode(null, model, 0))]);
    }
    append(box, [h("details", { class: "raw" }, h("summary", { text: "Raw architecture JSON" }), jsonBlock(model))]);
    append(body, [box]);
  }

  function componentCard(item) {
    if (!item || typeof item !== "object") return h("div", { class: "comp-card" }, scalar(item));
    const rest = Object.assign({}, item);
    for (const key of ["type", "kind", "name", "description", "id"]) delete rest[key];
    return h(
      "div",
      { class: "comp-card " + kindClass(item.kind) },
      h(
        "div",
        { class: "comp-title" },
        item.kind ? kindBadge(item.kind) : null,
        " ",
        h("b", { text: String(item.name || item.type || "component") }),
        item.name && item.type ? h("span", { class: "muted", text: " " + item.type }) : null,
      ),
      item.description ? h("p", { class: "comp-desc", text: String(item.description) }) : null,
      Object.keys(rest).length ? kvTable(flattenShallow(rest)) : null,
    );
  }

  function flattenShallow(obj) {
    const out = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v && typeof v === "object" && !Array.isArray(v) && (k === "params" || k === "args")) {
        for (const [k2, v2] of Object.entries(v)) {
          // A tool argument's JSON schema reads better as its type (and description).
          const schema = k === "args" && v2 && typeof v2 === "object" && typeof v2.type === "string";
          out[k2] = schema ? v2.type + (v2.description ? " · " + v2.description : "") : v2;
        }
      } else out[k] = v;
    }
    return out;
  }

  function treeNode(key, value, depth) {
    if (value !== null && typeof value === "object") {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
      const label = h(
        "summary",
        {},
        key !== null ? h("span", { class: "tree-key", text: key }) : null,
        h("span", {
          class: "muted",
          text: Array.isArray(value)
            ? " [" + entries.length + "]"
            : value.type
              ? " " + value.type
              : " {" + entries.length + "}",
        }),
        value.kind ? [" ", kindBadge(value.kind)] : null,
      );
      const det = h(
        "details",
        { class: "tree-node" },
        label,
        h(
          "div",
          { class: "tree-children" },
          entries.map(([k, v]) => treeNode(k, v, depth + 1)),
        ),
      );
      if (depth < 3) det.open = true;
      return det;
    }
    return h("div", { class: "tree-leaf" }, h("span", { class: "tree-key", text: key + ": " }), scalar(value));
  }

  function graph(nodes, edges, panel) {
    const W = 188;
    const H = 46;
    const GX = 28;
    const GY = 44;
    const idOf = (n, i) => String(n.id !== undefined ? n.id : n.name !== undefined ? n.name : i);
    const ids = nodes.map(idOf);
    const index = new Map(ids.map((id, i) => [id, i]));
    const valid = edges.filter((e) => index.has(String(e.source)) && index.has(String(e.target)));
    const out = ids.map(() => []);
    const indeg = ids.map(() => 0);
    valid.forEach((e) => out[index.get(String(e.source))].push(e));
    valid.forEach((e) => indeg[index.get(String(e.target))]++);
    // Back edges (cycles, e.g. an agent's tools -> model) found by DFS from the entry points.
    const back = new Set();
    const state = ids.map(() => 0);
    const dfs = (i) => {
      state[i] = 1;
      for (const e of out[i]) {
        const j = index.get(String(e.target));
        if (state[j] === 1) back.add(e);
        else if (state[j] === 0) dfs(j);
      }
      state[i] = 2;
    };
    ids.forEach((_, i) => indeg[i] === 0 && state[i] === 0 && dfs(i));
    ids.forEach((_, i) => state[i] === 0 && dfs(i));
    const forward = valid.filter((e) => !back.has(e) && e.source !== e.target);
    const layer = ids.map(() => 0);
    for (let pass = 0; pass < ids.length; pass++) {
      let changed = false;
      for (const e of forward) {
        const a = index.get(String(e.source));
        const b = index.get(String(e.target));
        if (layer[b] < layer[a] + 1) {
          layer[b] = layer[a] + 1;
          changed = true;
        }
      }
      if (!changed) break;
    }
    const layers = [];
    ids.forEach((_, i) => (layers[layer[i]] = layers[layer[i]] || []).push(i));
    const pos = ids.map(() => ({ x: 0, y: 0 }));
    const order = ids.map(() => 0);
    layers.forEach((members, L) => {
      if (L > 0) {
        const bary = (i) => {
          const preds = forward
            .filter((e) => index.get(String(e.target)) === i)
            .map((e) => order[index.get(String(e.source))]);
          return preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : 0;
        };
        members.sort((a, b) => bary(a) - bary(b));
      }
      members.forEach((i, k) => (order[i] = k));
    });
    const widest = Math.max(...layers.map((m) => (m || []).length));
    const width = widest * W + (widest - 1) * GX + 120;
    layers.forEach((members, L) => {
      const span = members.length * W + (members.length - 1) * GX;
      const x0 = (width - 120 - span) / 2 + 20;
      members.forEach((i, k) => (pos[i] = { x: x0 + k * (W + GX), y: 16 + L * (H + GY) }));
    });
    const height = 16 + layers.length * (H + GY) - GY + 20;
    const root = s("svg", {
      class: "graph",
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      role: "img",
      "aria-label": "architecture graph",
    });
    root.appendChild(
      s(
        "defs",
        {},
        s(
          "marker",
          {
            id: "arrow",
            viewBox: "0 0 10 10",
            refX: "9",
            refY: "5",
            markerWidth: "7",
            markerHeight: "7",
            orient: "auto-start-reverse",
          },
          s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }),
        ),
      ),
    );
    for (const e of valid) {
      const a = pos[index.get(String(e.source))];
      const b = pos[index.get(String(e.target))];
      let d;
      if (back.has(e) || e.source === e.target || b.y <= a.y) {
        // A loop back (an agent's tools -> model): from the source's top to the target's bottom,
        // off-centre so that it does not run over the forward edge between the same nodes.
        const sx = a.x + W * 0.78;
        const tx = b.x + W * 0.78;
        const bulge = e.source === e.target ? 40 : 0;
        d =
          "M" +
          sx +
          "," +
          a.y +
          " C" +
          (sx + 30 + bulge) +
          "," +
          (a.y - GY / 2 - bulge) +
          " " +
          (tx + 30 + bulge) +
          "," +
          (b.y + H + GY / 2 + bulge) +
          " " +
          tx +
          "," +
          (b.y + H + 2);
      } else {
        const sx = a.x + W / 2;
        const sy = a.y + H;
        const tx = b.x + W / 2;
        const ty = b.y - 2;
        const my = (sy + ty) / 2;
        d = "M" + sx + "," + sy + " C" + sx + "," + my + " " + tx + "," + my + " " + tx + "," + ty;
      }
      root.appendChild(
        s("path", { d: d, class: "edge" + (e.conditional ? " conditional" : ""), "marker-end": "url(#arrow)" }),
      );
    }
    const groups = [];
    nodes.forEach((n, i) => {
      const p = pos[i];
      const marker = n.type === "marker" || n.type === "schema" || /^__(start|end)__$/.test(String(n.name));
      const name = String(n.name !== undefined ? n.name : ids[i]);
      const sub = marker
        ? n.type === "schema"
          ? "input/output schema"
          : ""
        : [n.kind ? String(n.kind).replace("_", " ") : null, n.type && n.type !== name ? n.type : null]
            .filter(Boolean)
            .join(" · ");
      const g = s(
        "g",
        {
          class: "node " + (marker ? "node-marker" : kindClass(n.kind || "chain")),
          transform: "translate(" + p.x + "," + p.y + ")",
          tabindex: "0",
          "data-node": ids[i],
        },
        s("title", { text: name + (n.type ? " (" + n.type + ")" : "") }),
        s("rect", { width: W, height: H, rx: marker ? H / 2 : 8 }),
        s("text", { x: W / 2, y: sub ? 19 : H / 2 + 5, class: "node-name", text: clip(name, 24) }),
        sub ? s("text", { x: W / 2, y: 35, class: "node-sub", text: clip(sub, 30) }) : null,
      );
      const choose = () => {
        groups.forEach((x) => x.classList.remove("selected"));
        g.classList.add("selected");
        replace(
          panel,
          h("div", { class: "detail-head" }, n.kind ? kindBadge(n.kind) : null, h("h2", { text: name })),
          kvTable(flattenShallow(Object.fromEntries(Object.entries(n).filter(([k]) => k !== "tools")))),
          Array.isArray(n.tools) ? [h("h3", { text: "Tools" }), n.tools.map(componentCard)] : null,
        );
      };
      g.addEventListener("click", choose);
      g.addEventListener("keydown", (ev) => ev.key === "Enter" && choose());
      groups.push(g);
      root.appendChild(g);
    });
    const firstReal = groups.find((g) => !g.classList.contains("node-marker"));
    if (firstReal) setTimeout(() => firstReal.dispatchEvent(new Event("click")), 0);
    return root;
  }

  Object.assign(CT, { architecture });
})(window.CT);
