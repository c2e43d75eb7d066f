/* chaintracer viewer: the page shell and the router.
 *
 * Routes: #/ (sessions), #/session/ID[/traces|architecture|settings], #/session/ID/trace/N?span=,
 * #/compare?ids=A,B&baseline=A, #/experiments, #/experiment/ID, #/search?q=.
 * A view showing a live session asks for a refresh: it is drawn again every REFRESH_MS while
 * the page is visible and the reader is not typing.
 */
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
    experimentsView,
    experimentView,
    searchView,
    source,
    embeddedCompare,
    reportData,
  } = CT;

  const REFRESH_MS = 3000;
  const app = document.getElementById("app");
  let main = null;
  let renderToken = 0;
  let refreshTimer = null;

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
    const hasExperiments = !reportData || (reportData.experiments || []).length > 0;
    const header = h(
      "header",
      { class: "top" },
      h("a", { class: "brand", href: "#/" }, h("span", { class: "logo", "aria-hidden": "true" }), "chaintracer"),
      h(
        "nav",
        {},
        link("#/", "Sessions"),
        hasExperiments ? link("#/experiments", "Experiments") : null,
        link("#/search", "Search"),
        embeddedCompare ? link(hashFor(["compare"], { ids: embeddedCompare }), "Compare all") : null,
      ),
      h("span", { class: "spacer" }),
      modeLabel,
      source.live ? h("button", { class: "btn", type: "button", onclick: () => route(), text: "Refresh" }) : null,
    );
    main = h("main", { id: "main" });
    append(app, [header, main]);
  }

  // Called by a view that shows something still being recorded.
  function scheduleRefresh(token) {
    if (!source.live || token !== renderToken) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function tick() {
      if (token !== renderToken) return;
      const typing = document.activeElement && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
      if (document.hidden || typing || document.querySelector("dialog[open]")) {
        refreshTimer = setTimeout(tick, REFRESH_MS);
        return;
      }
      route(true);
    }, REFRESH_MS);
  }

  async function route(again) {
    const token = ++renderToken;
    clearTimeout(refreshTimer);
    const { parts, params } = parseHash();
    const view = h("div", { class: "view" });
    const isCurrent = () => token === renderToken;
    const refresh = () => scheduleRefresh(token);
    try {
      if (parts[0] === "session" && parts[1] && parts[2] === "trace" && parts[3] !== undefined) {
        await traceView(view, parts[1], parts[3], params, isCurrent);
      } else if (parts[0] === "session" && parts[1]) {
        await sessionView(view, parts[1], parts[2] || "traces", params, isCurrent, refresh);
      } else if (parts[0] === "compare") {
        await compareView(view, (params.ids || "").split(",").filter(Boolean), params, isCurrent);
      } else if (parts[0] === "experiments") {
        await experimentsView(view, isCurrent);
      } else if (parts[0] === "experiment" && parts[1]) {
        await experimentView(view, parts[1], params, isCurrent);
      } else if (parts[0] === "search") {
        await searchView(view, params, isCurrent);
      } else {
        await sessionsView(view, params, isCurrent, refresh);
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
      const scroll = again ? window.scrollY : 0;
      replace(main, view);
      if (again) window.scrollTo(0, scroll);
      main.dataset.rendered = String(token); // lets tests and scripts tell a fresh render
    }
  }

  // -- start -------------------------------------------------------------------------------

  shell();
  window.addEventListener("hashchange", () => route());
  route();
})(window.CT);
