/* chaintracer viewer: payloads on the page: values, chat messages, retrieved documents, JSON, tracebacks;
 * copy buttons, search marks and the full-window view. Text only ever goes in as text nodes.
 */
(function (CT) {
  "use strict";
  const { append, h, replace, fmtNum } = CT;

  // A "Copy" button: puts text() on the clipboard (the async API; execCommand where it is refused).
  function copyButton(text, label) {
    const btn = h("button", {
      class: "copy-btn",
      type: "button",
      title: "Copy " + (label || "to the clipboard"),
      "aria-label": "copy " + (label || ""),
      text: "Copy",
    });
    btn.addEventListener("click", async (ev) => {
      ev.stopPropagation();
      const value = typeof text === "function" ? text() : text;
      let done = false;
      try {
        await navigator.clipboard.writeText(value);
        done = true;
      } catch (err) {
        const area = h("textarea", { class: "copy-area", "aria-hidden": "true" });
        area.value = value;
        document.body.appendChild(area);
        area.select();
        try {
          done = document.execCommand("copy");
        } catch (err2) {
          done = false;
        }
        area.remove();
      }
      btn.textContent = done ? "Copied" : "Copy failed";
      btn.classList.toggle("done", done);
      setTimeout(() => {
        btn.textContent = "Copy";
        btn.classList.remove("done");
      }, 1200);
    });
    return btn;
  }

  // The text a payload is copied as: strings as they are, anything else as indented JSON.
  function payloadText(value) {
    if (typeof value === "string") return value;
    const text = JSON.stringify(value, null, 2);
    return text === undefined ? "" : text;
  }

  // Search snippets mark matches between U+0002 and U+0003: text nodes and <mark> elements, never HTML.
  function markedText(snippet) {
    const out = [];
    const parts = String(snippet || "").split("\u0002");
    out.push(parts[0]);
    for (const part of parts.slice(1)) {
      const [hit, ...rest] = part.split("\u0003");
      out.push(h("mark", { text: hit }));
      out.push(rest.join(""));
    }
    return out.filter((x) => x !== "");
  }

  // The words of a search, as the server splits them (letters and digits in any script).
  function searchWords(text) {
    return (String(text || "").match(/[\p{L}\p{N}_]+/gu) || []).map((w) => w.toLowerCase()).slice(0, 16);
  }

  // Wraps every word starting with one of ``words`` inside ``root`` in a <mark>; returns the marks.
  function highlightWords(root, words) {
    if (!words.length) return [];
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp("(^|[^\\p{L}\\p{N}_])((?:" + escaped.join("|") + ")[\\p{L}\\p{N}_]*)", "giu");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        node.parentElement && node.parentElement.closest("button, mark, summary, .no-mark")
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const marks = [];
    for (const node of nodes) {
      const text = node.nodeValue;
      pattern.lastIndex = 0;
      let m;
      let last = 0;
      const pieces = [];
      while ((m = pattern.exec(text))) {
        const start = m.index + m[1].length;
        if (start > last) pieces.push(document.createTextNode(text.slice(last, start)));
        const mark = h("mark", { class: "search-hit", text: m[2] });
        pieces.push(mark);
        marks.push(mark);
        last = start + m[2].length;
      }
      if (!pieces.length) continue;
      if (last < text.length) pieces.push(document.createTextNode(text.slice(last)));
      node.replaceWith(...pieces);
    }
    return marks;
  }

  // A full-window view of ``content`` (a <dialog>: Escape or the button closes it).
  function openModal(title, content) {
    const dialog = h(
      "dialog",
      { class: "modal", "aria-label": title },
      h(
        "div",
        { class: "modal-head" },
        h("b", { text: title }),
        h("span", { class: "spacer" }),
        h("button", { class: "btn btn-small", type: "button", text: "Close", onclick: () => dialog.close() }),
      ),
      h("div", { class: "modal-body" }, content),
    );
    dialog.addEventListener("close", () => dialog.remove());
    document.body.appendChild(dialog);
    dialog.showModal();
    return dialog;
  }

  function scalar(value) {
    if (value === null || value === undefined) return h("span", { class: "muted", text: "–" });
    if (typeof value === "string") return h("span", { class: "pre", text: value });
    if (typeof value === "number" && !Number.isInteger(value)) return h("span", { class: "mono", text: fmtNum(value) });
    return h("span", { class: "mono", text: JSON.stringify(value) });
  }

  function kvTable(obj) {
    return h(
      "table",
      { class: "kv small" },
      h(
        "tbody",
        {},
        Object.entries(obj).map(([k, v]) =>
          h(
            "tr",
            {},
            h("th", { text: k }),
            h("td", {}, v !== null && typeof v === "object" ? jsonBlock(v) : scalar(v)),
          ),
        ),
      ),
    );
  }

  // A titled part of a detail panel; with ``copyValue`` (a payload), a Copy button in its title.
  function section(title, content, id, copyValue) {
    return h(
      "section",
      { class: "detail-section", "data-section": id },
      h(
        "div",
        { class: "section-title" },
        h("h3", { text: title }),
        copyValue === undefined ? null : copyButton(() => payloadText(copyValue), title.toLowerCase()),
      ),
      content,
    );
  }

  function fact(label, value, cls) {
    return [h("dt", { text: label }), h("dd", { class: cls, text: value })];
  }

  function renderValue(value) {
    if (value === null || value === undefined) return h("span", { class: "muted", text: "–" });
    if (typeof value === "string") return h("pre", { class: "text", text: value });
    const docs = asDocuments(value);
    if (docs) {
      return h(
        "div",
        {},
        documentCards(docs),
        h("details", { class: "raw" }, h("summary", { text: "JSON" }), jsonBlock(value)),
      );
    }
    const messages = asMessages(value);
    if (messages) {
      return h(
        "div",
        {},
        h("div", { class: "messages" }, messages.map(messageBox)),
        h("details", { class: "raw" }, h("summary", { text: "JSON" }), jsonBlock(value)),
      );
    }
    return jsonBlock(value);
  }

  function isMessage(x) {
    return x && typeof x === "object" && !Array.isArray(x) && typeof x.role === "string" && "content" in x;
  }

  function asMessages(value) {
    if (Array.isArray(value) && value.length && value.every(isMessage)) return value;
    if (
      Array.isArray(value) &&
      value.length === 1 &&
      Array.isArray(value[0]) &&
      value[0].length &&
      value[0].every(isMessage)
    )
      return value[0];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (
        keys.length === 1 &&
        Array.isArray(value[keys[0]]) &&
        value[keys[0]].length &&
        value[keys[0]].every(isMessage)
      )
        return value[keys[0]];
      if (Array.isArray(value.generations)) {
        const out = [];
        for (const group of value.generations) {
          for (const g of Array.isArray(group) ? group : [group]) {
            if (g && isMessage(g.message)) out.push(g.message);
            else if (g && typeof g.text === "string") out.push({ role: "generation", content: g.text });
          }
        }
        if (out.length) return out;
      }
    }
    return null;
  }

  function messageBox(m) {
    const content = typeof m.content === "string" ? m.content : JSON.stringify(m.content, null, 2);
    return h(
      "div",
      { class: "msg msg-" + String(m.role).replace(/[^a-z_]/gi, "") },
      h("div", { class: "msg-role", text: m.role + (m.name ? " · " + m.name : "") }),
      content ? h("pre", { class: "text", text: content }) : null,
      Array.isArray(m.tool_calls) && m.tool_calls.length
        ? m.tool_calls.map((c) =>
            h(
              "div",
              { class: "tool-call" },
              h("span", { class: "kind k-tool", text: "tool call" }),
              " ",
              h("b", { text: String(c.name) }),
              " ",
              h("code", { text: JSON.stringify(c.args) }),
            ),
          )
        : null,
    );
  }

  const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

  function jsonBlock(value) {
    const text = JSON.stringify(value, null, 2);
    const pre = h("pre", { class: "json" });
    if (text === undefined) return pre;
    if (text.length > 200000) {
      pre.textContent = text;
      return pre;
    }
    let last = 0;
    for (const m of text.matchAll(TOKEN)) {
      if (m.index > last) pre.appendChild(document.createTextNode(text.slice(last, m.index)));
      const cls = m[1] ? (m[2] ? "j-key" : "j-str") : m[3] ? "j-lit" : "j-num";
      // A string's \n escapes are shown as line breaks (the Copy button copies the JSON itself).
      const shown = cls === "j-str" ? m[1].replace(/\\(.)/g, (e, c) => (c === "n" ? "\n" : e)) : m[1] || m[3] || m[4];
      pre.appendChild(h("span", { class: cls, text: shown }));
      if (m[2]) pre.appendChild(document.createTextNode(m[2]));
      last = m.index + m[0].length;
    }
    if (last < text.length) pre.appendChild(document.createTextNode(text.slice(last)));
    return pre;
  }

  function clip(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }


  // -- retrieved documents --------------------------------------------------------------------

  function isDocument(d) {
    if (!d || typeof d !== "object" || Array.isArray(d)) return false;
    if (typeof d.page_content === "string") return true; // LangChain Document
    return typeof d.text === "string" && ("score" in d || "metadata" in d || "id" in d); // LlamaIndex node
  }

  // The documents a retriever returned (LangChain documents, LlamaIndex nodes with scores), or null.
  function asDocuments(value) {
    if (Array.isArray(value) && value.length && value.every(isDocument)) return value;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const key of ["documents", "nodes", "source_nodes"]) {
        const list = value[key];
        if (Array.isArray(list) && list.length && list.every(isDocument)) return list;
      }
    }
    return null;
  }

  const SOURCE_KEYS = ["source", "file_name", "file_path", "url", "title", "doc_id"];
  const SCORE_KEYS = ["score", "relevance_score", "similarity"];

  function documentCards(docs) {
    return h(
      "div",
      { class: "doc-cards" },
      docs.map((d, i) => {
        const meta = d.metadata && typeof d.metadata === "object" ? d.metadata : {};
        const score = [d.score, ...SCORE_KEYS.map((k) => meta[k])].find((x) => typeof x === "number");
        const sourceKey = SOURCE_KEYS.find((k) => typeof meta[k] === "string" || typeof meta[k] === "number");
        const source = sourceKey ? String(meta[sourceKey]) : d.id ? String(d.id) : null;
        const text = typeof d.page_content === "string" ? d.page_content : d.text;
        const rest = Object.assign({}, meta);
        if (sourceKey) delete rest[sourceKey];
        return h(
          "div",
          { class: "doc-card" },
          h(
            "div",
            { class: "doc-head" },
            h("span", { class: "doc-rank", text: "#" + (i + 1) }),
            typeof score === "number" ? h("span", { class: "doc-score", text: "score " + fmtNum(score) }) : null,
            source ? h("span", { class: "doc-source", title: source, text: source }) : null,
            h("span", { class: "spacer" }),
            copyButton(text, "document text"),
          ),
          h("pre", { class: "text doc-text", text: text }),
          Object.keys(rest).length
            ? h("details", { class: "raw" }, h("summary", { text: "metadata" }), kvTable(rest))
            : null,
        );
      }),
    );
  }

  Object.assign(CT, {
    copyButton,
    payloadText,
    markedText,
    searchWords,
    highlightWords,
    openModal,
    scalar,
    kvTable,
    section,
    fact,
    renderValue,
    isMessage,
    asMessages,
    asDocuments,
    documentCards,
    messageBox,
    jsonBlock,
  });
})(window.CT);
