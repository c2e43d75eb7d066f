/* chaintracer viewer: the page shell and the router (#/..., #/session/ID, .../trace/SEQ, #/compare?ids=). */
(function (CT) {
  "use strict";
  const {
    append,
    h,
    replace,
    link,
    fmtTime,
    parseHash,
    hashFor,
    traceView,
    compareView,
    sessionsView,
    sessionView,
    source,
    embeddedCompare,
  } = CT;

  const app = document.getElementById("app");
  let main = null;
  let renderToken = 0;

  function shell() {
    replace(app);
    const modeLabel = h("span", { class: "mode" });
    source.info().then(
      (info) => {
        modeLabel.textContent =
          info.mode === "report" ? "report · generated " + fmtTime(info.generated_at) + " UTC" : "live · " + info.store;
        modeLabel.title = info.store || "";
      },
      () => {},
    );
    const header = h(
      "header",
      { class: "top" },
      h("a", { class: "brand", href: "#/" }, h("span", { class: "logo", "aria-hidden": "true" }), "chaintracer"),
      h(
        "nav",
        {},
        link("#/", "Sessions"),
        embeddedCompare ? link(hashFor(["compare"], { ids: embeddedCompare }), "Compare all") : null,
      ),
      h("span", { class: "spacer" }),
      modeLabel,
      source.live ? h("button", { class: "btn", type: "button", onclick: () => route(), text: "Refresh" }) : null,
    );
    main = h("main", { id: "main" });
    append(app, [header, main]);
  }

  async function route() {
    const token = ++renderToken;
    const { parts, params } = parseHash();
    const view = h("div", { class: "view" });
    const isCurrent = () => token === renderToken;
    try {
      if (parts[0] === "session" && parts[1] && parts[2] === "trace" && parts[3] !== undefined) {
        await traceView(view, parts[1], parts[3], isCurrent);
      } else if (parts[0] === "session" && parts[1]) {
        await sessionView(view, parts[1], parts[2] || "traces", params, isCurrent);
      } else if (parts[0] === "compare") {
        await compareView(view, (params.ids || "").split(",").filter(Boolean), params, isCurrent);
      } else {
        await sessionsView(view, params, isCurrent);
      }
    } catch (err) {
      replace(
        view,
        h(
          "div",
          { class: "error-box", role: "alert" },
          h("strong", { text: "Could not load this page: " }),
          String(err.message || err),
        ),
      );
    }
    if (isCurrent()) {
      replace(main, view);
    }
  }

  // -- start -------------------------------------------------------------------------------

  shell();
  window.addEventListener("hashchange", route);
  route();
})(window.CT);
