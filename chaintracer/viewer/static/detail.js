/* chaintracer viewer: the selected span's details: facts, error and traceback, payloads, scores, visualisations. */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    kindBadge,
    statusPill,
    fmtInt,
    fmtMs,
    fmtNum,
    fmtCost,
    kvTable,
    section,
    fact,
    renderValue,
    copyButton,
    openModal,
    source,
  } = CT;

  function spanDetail(box, span, t0, sid) {
    const attrs = Object.assign({}, span.attributes || {});
    const views = attrs.visualizations;
    delete attrs.visualizations;
    const tokens = attrs.tokens;
    const cost = attrs.cost;
    const parts = [
      h(
        "div",
        { class: "detail-head" },
        kindBadge(span.kind),
        h("h2", { text: span.name }),
        statusPill(span.status),
      ),
      h(
        "dl",
        { class: "facts" },
        fact("duration", fmtMs(span._end - span._start)),
        fact("starts at", "+" + fmtMs(span._start - t0)),
        attrs.model ? fact("model", String(attrs.model)) : null,
        tokens && typeof tokens === "object"
          ? fact(
              "tokens",
              fmtInt(tokens.total) + " (" + fmtInt(tokens.prompt) + " prompt · " + fmtInt(tokens.completion) + " completion)",
            )
          : null,
        cost && typeof cost === "object" ? fact("cost", fmtCost(cost.total)) : null,
        typeof attrs.time_to_first_token_ms === "number" ? fact("first token", fmtMs(attrs.time_to_first_token_ms)) : null,
        fact("span id", span.span_id, "mono"),
      ),
    ];
    if (span.error) {
      const error = span.error;
      parts.push(
        h(
          "div",
          { class: "error-box", id: "span-error" },
          h(
            "div",
            { class: "error-title" },
            h("strong", { text: (error.type || "Error") + ": " }),
            h("span", { class: "pre", text: error.message || "" }),
            copyButton(
              () => (error.type || "Error") + ": " + (error.message || "") + (error.traceback ? "\n\n" + error.traceback : ""),
              "error",
            ),
          ),
          error.traceback ? tracebackView(error.traceback) : null,
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
    if (span.scores && typeof span.scores === "object") parts.push(section("Scores", scoresTable(span.scores), "scores", span.scores));
    if (Array.isArray(span.feedback) && span.feedback.length)
      parts.push(section("Feedback", feedbackList(span.feedback), "feedback", span.feedback));
    parts.push(section("Inputs", renderValue(span.inputs), "inputs", span.inputs));
    parts.push(section("Outputs", renderValue(span.outputs), "outputs", span.outputs));
    const params = attrs.invocation_params;
    delete attrs.invocation_params;
    if (attrs.model !== null && typeof attrs.model !== "object") delete attrs.model; // shown above
    if (tokens && typeof tokens === "object") delete attrs.tokens;
    if (cost && typeof cost === "object") delete attrs.cost;
    delete attrs.first_token_time;
    delete attrs.time_to_first_token_ms;
    if (params && typeof params === "object") parts.push(section("Parameters", kvTable(params), "params", params));
    if (Object.keys(attrs).length) parts.push(section("Attributes", kvTable(attrs), "attributes", attrs));
    if (span.metrics && Object.keys(span.metrics).length)
      parts.push(section("Metrics", metricsTable(span.metrics), "metrics", span.metrics));
    if (views && typeof views === "object" && Object.keys(views).length)
      parts.push(section("Visualizations", visualizations(views, sid), "visualizations"));
    replace(box, ...parts);
  }

  function metricsTable(metrics) {
    const shown = {};
    for (const [k, v] of Object.entries(metrics)) shown[k] = typeof v === "number" ? fmtNum(v) : v;
    return kvTable(shown);
  }

  function scoresTable(scores) {
    return h(
      "table",
      { class: "kv small scores" },
      h(
        "tbody",
        {},
        Object.entries(scores).map(([name, detail]) => {
          const value = detail && typeof detail === "object" && !Array.isArray(detail) ? detail.value : detail;
          const failed = detail && typeof detail === "object" && detail.error;
          return h(
            "tr",
            {},
            h("th", { text: name }),
            h(
              "td",
              { class: failed ? "bad" : null },
              failed ? "failed: " + String(detail.error) : typeof value === "number" ? fmtNum(value) : String(value),
              detail && typeof detail === "object" && detail.reasoning ? h("div", { class: "sub pre", text: String(detail.reasoning) }) : null,
            ),
          );
        }),
      ),
    );
  }

  function feedbackList(entries) {
    return h(
      "ul",
      { class: "feedback" },
      entries.map((f) =>
        h(
          "li",
          {},
          h("b", { text: String(f.key) }),
          " " + fmtNum(f.score),
          f.comment ? [" · ", h("span", { class: "pre", text: String(f.comment) })] : null,
          h("span", { class: "sub", text: " " + String(f.at || "").slice(0, 19).replace("T", " ") }),
        ),
      ),
    );
  }

  function visualizations(views, sid) {
    const names = Object.keys(views);
    const frameBox = h("div", { class: "viz-frame" });
    const tabs = h("div", { class: "seg" });
    // sandbox="" : no scripts, no forms, no same-origin access. The server adds a sandbox CSP too.
    const frameFor = (name, cls) => {
      const target = source.artifact(sid, views[name]);
      if (target.missing) return h("p", { class: "muted", text: "This visualisation is not in the report." });
      const frame = h("iframe", { sandbox: "", title: name, referrerpolicy: "no-referrer", class: cls });
      if (target.src) frame.setAttribute("src", target.src);
      else frame.setAttribute("srcdoc", target.srcdoc);
      return frame;
    };
    let current = names[0];
    const show = (name) => {
      current = name;
      for (const b of tabs.children) b.classList.toggle("active", b.dataset.view === name);
      replace(frameBox, frameFor(name, "viz"));
    };
    names.forEach((name) =>
      tabs.appendChild(
        h("button", { type: "button", class: "seg-btn", "data-view": name, text: name, onclick: () => show(name) }),
      ),
    );
    const full = h("button", {
      type: "button",
      class: "btn btn-small viz-full",
      text: "Open full size",
      onclick: () => openModal(current, frameFor(current, "viz viz-large")),
    });
    show(names[0]);
    return h("div", {}, h("div", { class: "viz-bar" }, tabs, full), frameBox);
  }

  // -- tracebacks -------------------------------------------------------------------------------

  const FRAME = /^\s*File "(.*)", line (\d+)(?:, in (.*))?$/;
  const LIBRARY = /[\\/](site|dist)-packages[\\/]|[\\/]lib[\\/]python\d[\d.]*[\\/]|^<frozen |^<string>/;

  // Python traceback text as frames: library frames (installed packages, the standard library)
  // collapse into one line each run; the frame of the user's own code nearest the error comes first.
  function tracebackView(text) {
    const lines = String(text).split("\n");
    const items = []; // {frame: {file, line, func, code: []}} or {text}
    for (const line of lines) {
      const m = FRAME.exec(line);
      if (m) items.push({ frame: { file: m[1], line: m[2], func: m[3] || "", code: [], library: LIBRARY.test(m[1]) } });
      else if (items.length && items[items.length - 1].frame && /^\s{4,}/.test(line))
        items[items.length - 1].frame.code.push(line.trim());
      else if (line.trim()) items.push({ text: line });
    }
    const frames = items.filter((x) => x.frame).map((x) => x.frame);
    const user = frames.filter((f) => !f.library);
    const frameBox = (f) =>
      h(
        "div",
        { class: "tb-frame" + (f.library ? " tb-lib" : " tb-user") },
        h(
          "div",
          { class: "tb-where" },
          h("span", { class: "tb-file", title: f.file, text: shortPath(f.file) }),
          ":" + f.line,
          f.func ? " in " : "",
          f.func ? h("b", { text: f.func }) : null,
        ),
        f.code.length ? h("pre", { class: "tb-code", text: f.code.join("\n") }) : null,
      );
    const body = h("div", { class: "tb-list" });
    let run = [];
    const flush = () => {
      if (!run.length) return;
      const packages = [...new Set(run.map((f) => libraryName(f.file)))].slice(0, 4).join(", ");
      body.appendChild(
        h(
          "details",
          { class: "tb-libs" },
          h("summary", { text: run.length + " library frame" + (run.length === 1 ? "" : "s") + (packages ? " (" + packages + ")" : "") }),
          run.map(frameBox),
        ),
      );
      run = [];
    };
    for (const item of items) {
      if (item.frame && item.frame.library) {
        run.push(item.frame);
        continue;
      }
      flush();
      body.appendChild(item.frame ? frameBox(item.frame) : h("div", { class: "tb-text", text: item.text }));
    }
    flush();
    const yours = user.length ? user[user.length - 1] : null;
    return h(
      "div",
      { class: "traceback-view" },
      yours ? h("div", { class: "tb-yours" }, h("div", { class: "tb-label", text: "Your code" }), frameBox(yours)) : null,
      h(
        "details",
        { class: "traceback", open: !yours },
        h("summary", {}, "Traceback", " ", h("span", { class: "sub", text: frames.length + " frames" })),
        body,
      ),
    );
  }

  // A frame's file as a reader scans it: a package's path from the package, else the last three parts
  // (the full path is in the tooltip).
  function shortPath(file) {
    const m = /(?:site|dist)-packages[\\/](.*)$/.exec(file);
    if (m) return m[1];
    const parts = file.split(/[\\/]/);
    return parts.length > 3 ? "…/" + parts.slice(-3).join("/") : file;
  }

  function libraryName(file) {
    const m = /(?:site|dist)-packages[\\/]([^\\/]+)/.exec(file);
    if (m) return m[1].replace(/\.py$/, "");
    return /^<frozen/.test(file) ? "frozen" : "stdlib";
  }



  Object.assign(CT, { spanDetail, tracebackView });
})(window.CT);
