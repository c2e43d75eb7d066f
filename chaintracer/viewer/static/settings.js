/* chaintracer viewer: a session's Settings tab: the environment it ran in, its settings, its exports. */
(function (CT) {
  "use strict";
  const { append, h, flatten, scalar, copyButton } = CT;

  const SESSION_FIELDS = ["id", "project", "name", "entity", "tags", "group", "job_type", "notes", "started_at", "ended_at"];

  function settings(body, session) {
    const config = Object.assign({}, session.config || {});
    const environment = config.environment;
    delete config.environment;
    const rows = SESSION_FIELDS.map((key) => ["session." + key, session[key]]);
    for (const [key, value] of Object.entries(flatten(config, "config"))) rows.push([key, value]);
    for (const [key, value] of Object.entries(flatten(session.exports || {}, "exports"))) rows.push([key, value]);
    append(body, [
      environmentView(environment),
      h("h2", { class: "section-h", text: "Settings" }),
      h(
        "table",
        { class: "data kv", id: "settings-table" },
        h(
          "tbody",
          {},
          rows.map(([k, v]) => h("tr", {}, h("th", { class: "mono", text: k }), h("td", {}, scalar(v)))),
        ),
      ),
    ]);
  }

  // What the tracer recorded at flush: Python, the platform, package versions, the git commit.
  function environmentView(env) {
    const box = h("section", { class: "env", id: "environment" }, h("h2", { class: "section-h", text: "Environment" }));
    if (!env || typeof env !== "object") {
      return append(box, [
        h("p", { class: "muted", text: "Not recorded: this session was written by a chaintracer that did not capture it." }),
      ]);
    }
    const git = env.git && typeof env.git === "object" ? env.git : null;
    const facts = [
      ["Python", env.python],
      ["Implementation", env.implementation],
      ["Platform", env.platform],
      ["Git commit", git ? git.commit : "not a git working directory"],
      git && git.branch ? ["Git branch", git.branch] : null,
      git && git.dirty !== undefined && git.dirty !== null ? ["Uncommitted changes", git.dirty ? "yes" : "no"] : null,
    ].filter((x) => x && x[1] !== undefined);
    const packages = Object.entries(env.packages || {}).sort(([a], [b]) => a.localeCompare(b));
    const text = [
      ...facts.map(([k, v]) => k + ": " + v),
      ...packages.map(([name, version]) => name + "==" + version),
    ].join("\n");
    return append(box, [
      h(
        "div",
        { class: "env-grid" },
        h(
          "table",
          { class: "data kv", id: "environment-table" },
          h(
            "tbody",
            {},
            facts.map(([k, v]) =>
              h("tr", {}, h("th", { text: k }), h("td", { class: k === "Git commit" && git ? "mono" : null, text: String(v) })),
            ),
          ),
        ),
        packages.length
          ? h(
              "table",
              { class: "data kv", id: "packages-table" },
              h("thead", {}, h("tr", {}, h("th", { text: "Package" }), h("th", { text: "Version" }))),
              h(
                "tbody",
                {},
                packages.map(([name, version]) => h("tr", {}, h("th", { class: "mono", text: name }), h("td", { class: "mono", text: String(version) }))),
              ),
            )
          : null,
      ),
      h("div", { class: "env-copy" }, copyButton(text, "environment")),
    ]);
  }

  Object.assign(CT, { settings });
})(window.CT);
