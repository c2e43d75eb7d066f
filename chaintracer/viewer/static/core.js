/* chaintracer viewer: DOM helpers, formatting, widgets and value rendering shared by the views.
 *
 * Safety rule for every file: text from a trace goes into the page with textContent or as an
 * attribute value, never parsed as HTML; visualisation HTML only goes into sandboxed iframes.
 */
window.CT = (function () {
  "use strict";

  const KINDS = [
    "agent",
    "chain",
    "llm",
    "chat_model",
    "tool",
    "retriever",
    "embedding",
    "reranker",
    "parser",
    "prompt",
  ];
  const PAGE = 50;
  const SVG_NS = "http://www.w3.org/2000/svg";

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    return append(el, children);
  }

  function s(tag, props, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setProps(el, props);
    return append(el, children);
  }

  function setProps(el, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.setAttribute("class", value);
      else if (key === "text") el.textContent = String(value);
      else if (key === "style")
        Object.assign(el.style, value); // CSSOM: allowed by the CSP
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }

  function replace(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }

  function kindClass(kind) {
    return "k-" + (KINDS.includes(kind) ? kind : "other");
  }

  function kindBadge(kind) {
    return h("span", { class: "kind " + kindClass(kind), text: String(kind || "?").replace("_", " ") });
  }

  function statusPill(status) {
    const known = ["ok", "error", "incomplete"].includes(status) ? status : "other";
    return h("span", { class: "pill pill-" + known, text: status === "error" ? "error" : String(status) });
  }

  // Errors a program handled (error spans inside a trace that succeeded): a warning, not an error.
  function handledPill(count) {
    if (!count) return null;
    return h("span", {
      class: "pill pill-warn",
      title: count + " error span" + (count === 1 ? "" : "s") + " inside traces that succeeded (handled by the program)",
      text: count + " handled",
    });
  }

  // A session's state when it is not simply flushed: the pill and what it means.
  const SESSION_STATES = {
    live: "its program is still recording: refresh to see more",
    crashed: "its program ended without flushing (killed or crashed): the traces it finished before are here",
    unflushed: "its program exited without flush_tracker: what it held was written at exit",
  };

  // After a session's id or name: a space and the pill, or null for a flushed session.
  function sessionStatePill(status) {
    if (!Object.prototype.hasOwnProperty.call(SESSION_STATES, status)) return null;
    return [" ", h("span", { class: "pill pill-" + status, title: SESSION_STATES[status], text: status })];
  }

  function link(href, text, cls) {
    return h("a", { href: href, class: cls, text: text });
  }

  function fmtInt(value) {
    return typeof value === "number" ? Math.round(value).toLocaleString("en-US") : "–";
  }

  // A number to 3 significant digits ("0.0123", "65.7", "1,230"); integers under 1,000 as they are.
  function fmtNum(value) {
    if (typeof value !== "number" || !isFinite(value)) return "–";
    if (Number.isInteger(value) && Math.abs(value) < 1000) return String(value);
    return value.toLocaleString("en-US", { maximumSignificantDigits: 3 });
  }

  // Money in US dollars; null (no price known for a model) is "unknown", never $0.
  function fmtCost(value) {
    if (typeof value !== "number" || !isFinite(value)) return "unknown";
    if (value === 0) return "$0";
    if (Math.abs(value) < 0.01) return "$" + Number(value.toPrecision(2)).toString();
    return "$" + value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function fmtMs(ms) {
    if (typeof ms !== "number" || !isFinite(ms)) return "–";
    if (ms >= 60000) return (ms / 60000).toFixed(1) + " min";
    if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
    if (ms >= 100) return ms.toFixed(0) + " ms";
    if (ms >= 10) return ms.toFixed(1) + " ms";
    return ms.toFixed(2) + " ms";
  }

  function parseTs(iso) {
    if (typeof iso !== "string") return NaN;
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(iso);
    if (!m) return Date.parse(iso);
    const base = Date.parse(m[1] + (m[3] || "Z"));
    return base + (m[2] ? Number("0." + m[2]) * 1000 : 0);
  }

  function fmtTime(iso) {
    const t = parseTs(iso);
    if (!isFinite(t)) return "–";
    return new Date(t).toISOString().slice(0, 19).replace("T", " ");
  }

  function timeCell(iso) {
    return h("span", { title: String(iso || ""), text: fmtTime(iso) });
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") q.set(key, String(value));
    }
    const text = q.toString();
    return text ? "?" + text : "";
  }

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const [path, search] = raw.split("?");
    const parts = path ? path.split("/").map(decodeURIComponent) : [];
    return { parts: parts, params: Object.fromEntries(new URLSearchParams(search || "")) };
  }

  function hashFor(parts, params) {
    return "#/" + parts.map((p) => encodeURIComponent(p)).join("/") + query(params);
  }

  function setParams(params) {
    const route = parseHash();
    history.replaceState(null, "", hashFor(route.parts, params));
  }

  function breadcrumb(...items) {
    const nav = h("nav", { class: "crumbs", "aria-label": "breadcrumb" });
    items.forEach((item, i) => {
      if (i) append(nav, [h("span", { class: "sep", text: "›" })]);
      append(nav, [typeof item === "string" ? h("span", { text: item }) : item]);
    });
    return nav;
  }

  function pager(state, onPage) {
    const { offset, limit, total } = state;
    const from = total ? offset + 1 : 0;
    const to = Math.min(offset + limit, total);
    const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
    const btn = (label, target, disabled) =>
      h("button", {
        class: "btn btn-small",
        type: "button",
        disabled: disabled,
        onclick: () => onPage(target),
        text: label,
      });
    return h(
      "div",
      { class: "pager" },
      h("span", { class: "muted", text: fmtInt(from) + "–" + fmtInt(to) + " of " + fmtInt(total) }),
      btn("« First", 0, offset === 0),
      btn("‹ Prev", Math.max(0, offset - limit), offset === 0),
      btn("Next ›", offset + limit, offset + limit >= total),
      btn("Last »", lastOffset, offset >= lastOffset),
    );
  }

  function select(name, options, value, onchange) {
    const el = h("select", { name: name, "aria-label": name, onchange: () => onchange(el.value) });
    for (const [optValue, label] of options) {
      const opt = h("option", { value: optValue, text: label });
      if (optValue === (value || "")) opt.selected = true;
      el.appendChild(opt);
    }
    return el;
  }

  function searchBox(name, value, placeholder, onchange) {
    let timer = null;
    const el = h("input", {
      type: "search",
      name: name,
      placeholder: placeholder,
      "aria-label": placeholder,
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(() => onchange(el.value.trim()), 250);
      },
    });
    el.value = value || "";
    return el;
  }

  function emptyRow(columns, text) {
    return h("tr", { class: "empty" }, h("td", { colspan: columns, text: text }));
  }

  // A summary card: a label, a headline value, and a line (text or nodes) under it.
  function card(label, value, cls, sub) {
    return h(
      "div",
      { class: "card", "data-card": label },
      h("div", { class: "card-label", text: label }),
      h("div", { class: "card-value " + (cls || ""), text: value }),
      sub ? h("div", { class: "card-sub" }, sub) : null,
    );
  }

  function flatten(value, prefix, out, depth) {
    out = out || {};
    depth = depth || 0;
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length && depth < 6) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix + "." + k, out, depth + 1);
    } else {
      out[prefix] = value;
    }
    return out;
  }

  function clip(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  return {
    append,
    h,
    s,
    setProps,
    replace,
    kindClass,
    kindBadge,
    statusPill,
    handledPill,
    sessionStatePill,
    link,
    fmtInt,
    fmtMs,
    parseTs,
    fmtTime,
    timeCell,
    query,
    parseHash,
    hashFor,
    setParams,
    breadcrumb,
    pager,
    select,
    searchBox,
    emptyRow,
    card,
    fmtNum,
    fmtCost,
    flatten,
    clip,
    KINDS,
    PAGE,
  };
})();
