// The status page of zadig-sync's daemon: reads api/v1/status and api/v1/events (relative
// URLs, so the page works behind a path prefix) and draws them, again every few seconds.
// Every value from Zadig or the files becomes a text node (never HTML): a build named
// `<img src=x onerror=…>` is shown as those characters. Filters live in the query string
// (`?project=shop&state=failing`), so a filtered view can be bookmarked and shared; and
// `#build=project/name` opens that build (notifications link to it).
"use strict";

(function () {
  const REFRESH_MS = 5000;
  const EVENTS_SHOWN = 100;
  const STATE_ORDER = ["failing", "refused", "held", "drifted", "pending", "in_sync"];
  const STATE_LABEL = {
    in_sync: "in sync", pending: "pending", drifted: "drifted",
    failing: "failing", refused: "refused", held: "held",
  };

  const page = {
    status: null,
    events: [],
    lastEventId: 0,
    open: new Set(),
    filters: readFilters(),
  };

  // An element with a class, attributes and children; strings become text nodes.
  function el(tag, className, children, attributes) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    for (const child of children || []) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function readFilters() {
    const query = new URLSearchParams(window.location.search);
    return { project: query.get("project") || "", state: query.get("state") || "" };
  }

  function writeFilters() {
    const query = new URLSearchParams();
    if (page.filters.project) query.set("project", page.filters.project);
    if (page.filters.state) query.set("state", page.filters.state);
    const search = query.toString();
    window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  function time(text) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
  }

  // "4m ago", measured on the daemon's clock (the document's `generated_at`).
  function age(since, now) {
    const seconds = Math.max(0, (Date.parse(now) - Date.parse(since)) / 1000);
    if (!Number.isFinite(seconds)) return "";
    if (seconds < 60) return Math.round(seconds) + "s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
    return Math.floor(seconds / 86400) + "d";
  }

  // A git commit or a tree hash, cut to 12 hex digits (as `zadig-sync status` shows it).
  function shortRevision(text) {
    const match = /^(sha256:)?([0-9a-f]{13,})$/.exec(text);
    return match ? (match[1] || "") + match[2].slice(0, 12) : text;
  }

  function stateBadge(state) {
    return el("span", "badge state-" + state, [STATE_LABEL[state] || state]);
  }

  function selected(build) {
    const { project, state } = page.filters;
    return (!project || build.project === project) && (!state || build.state === state);
  }

  function renderSummary(status) {
    const parts = [];
    const revision = status.revision.commit || status.revision.tree;
    if (revision) parts.push("revision " + shortRevision(revision));
    const last = status.last_pass;
    if (last) {
      parts.push("last pass " + time(last.ended) + " (" + last.trigger + ", " + last.result +
        ", " + last.requests + " request" + (last.requests === 1 ? "" : "s") + ")");
    } else {
      parts.push("no pass has ended yet");
    }
    if (status.running_since) parts.push("a pass is running since " + time(status.running_since));
    if (status.next_pass_due) parts.push("next pass by " + time(status.next_pass_due));
    byId("summary").textContent = parts.join(" · ");
    const problem = byId("problem");
    problem.hidden = status.ready;
    problem.textContent = status.ready ? "" : "Not ready: " + (status.not_ready_because || "");
  }

  function renderCounts(status) {
    const nav = byId("counts");
    const chips = ["in_sync", "pending", "drifted", "failing", "refused", "held"].map((state) => {
      const count = status.counts[state] || 0;
      const chip = el("button", "chip state-" + state + (page.filters.state === state ? " active" : ""),
        [el("span", "chip-count", [String(count)]), " " + STATE_LABEL[state]],
        { type: "button", "aria-pressed": String(page.filters.state === state) });
      chip.dataset.state = state;
      chip.addEventListener("click", () => {
        page.filters.state = page.filters.state === state ? "" : state;
        update();
      });
      return chip;
    });
    nav.replaceChildren(...chips);
  }

  function renderFilters(status) {
    const projects = new Set(status.builds.map((b) => b.project));
    (status.kept || []).forEach((k) => projects.add(k.project));
    if (page.filters.project) projects.add(page.filters.project);
    const select = byId("project-filter");
    const options = [el("option", "", ["all projects"], { value: "" })];
    for (const project of [...projects].sort()) {
      options.push(el("option", "", [project], { value: project }));
    }
    select.replaceChildren(...options);
    select.value = page.filters.project;
    byId("state-filter").value = page.filters.state;
  }

  function changeRow(change) {
    let shown;
    if (change.sensitive) {
      shown = el("span", "sensitive", ["(sensitive value changed)"]);
    } else if (change.diff !== undefined && change.diff !== null) {
      shown = el("pre", "diff", [change.diff]);
    } else {
      shown = el("span", "values", [
        el("span", "old", [change.old === null ? "(none)" : change.old]),
        " → ",
        el("span", "new", [change.new === null ? "(none)" : change.new]),
      ]);
    }
    const via = change.via ? el("span", "via", [" (via " + change.via + ")"]) : null;
    return el("li", "change", [el("code", "path", [change.path]), ": ", shown, via]);
  }

  function fact(term, value) {
    if (value === null || value === undefined || value === "") return [];
    return [el("dt", "", [term]), el("dd", "", [String(value)])];
  }

  function buildDetail(build) {
    const facts = [];
    facts.push(...fact("kind", build.kind));
    facts.push(...fact("in this state since", time(build.since)));
    facts.push(...fact("cause", build.cause));
    if (build.last_error) {
      facts.push(...fact("last error", build.last_error.kind + ": " + build.last_error.message));
    }
    facts.push(...fact("attempts in a row", build.attempts));
    if (build.next_retry) facts.push(...fact("next retry", time(build.next_retry)));
    if (build.last_write) {
      const write = build.last_write;
      facts.push(...fact("last write", write.action + " at " + time(write.at) +
        (write.revision ? " (revision " + shortRevision(write.revision) + ")" : "")));
    }
    facts.push(...fact("last changed in Zadig by", build.update_by));
    const detail = el("div", "detail", [el("dl", "facts", facts)]);
    if (build.changes && build.changes.length) {
      detail.appendChild(el("h4", "", ["What differs (Zadig → files)"]));
      detail.appendChild(el("ul", "changes", build.changes.map(changeRow)));
    }
    if (build.pull) detail.appendChild(pullSection(build.pull));
    return detail;
  }

  // A drifted build's way back into its file: the command, and the patch it would write
  // (`git apply` takes it), each with a button that copies it.
  function pullSection(pull) {
    const command = el("code", "command", [pull.command]);
    const parts = [
      el("h4", "", ["Keep Zadig's version: pull it into the files"]),
      el("p", "pull-command", [command, " ", copyButton(pull.command, command, "Copy command")]),
    ];
    if (pull.patch) {
      const patch = el("pre", "patch", [pull.patch]);
      parts.push(patch, copyButton(pull.patch, patch, "Copy patch"));
    }
    if (pull.not_pulled && pull.not_pulled.length) {
      parts.push(el("p", "", ["Not pulled:"]));
      parts.push(el("ul", "not-pulled", pull.not_pulled.map((line) => el("li", "", [line]))));
    }
    return el("div", "pull", parts);
  }

  // Copies `text`; where the clipboard is not allowed (a page not on https or localhost),
  // selects `shown` so that it can be copied by hand.
  function copyButton(text, shown, label) {
    const button = el("button", "copy", [label], { type: "button" });
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch (error) {
        const range = document.createRange();
        range.selectNodeContents(shown);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        button.textContent = "Selected: copy it";
      }
      window.setTimeout(() => { button.textContent = label; }, 2000);
    });
    return button;
  }

  function buildRow(build, now) {
    const key = build.project + "/" + build.name;
    const summary = el("summary", "", [
      el("span", "name", [build.name]),
      stateBadge(build.state),
      el("span", "since", [age(build.since, now)], { title: time(build.since) }),
      el("span", "message", [build.message || ""]),
    ]);
    const details = el("details", "", [summary, buildDetail(build)]);
    details.open = page.open.has(key);
    details.addEventListener("toggle", () => {
      if (details.open) page.open.add(key); else page.open.delete(key);
    });
    const row = el("li", "build state-" + build.state, [details]);
    row.dataset.project = build.project;
    row.dataset.name = build.name;
    row.dataset.state = build.state;
    return row;
  }

  function renderBuilds(status) {
    const shown = status.builds.filter(selected);
    const byProject = new Map();
    for (const build of shown) {
      if (!byProject.has(build.project)) byProject.set(build.project, []);
      byProject.get(build.project).push(build);
    }
    const sections = [...byProject.keys()].sort().map((project) => {
      const builds = byProject.get(project).sort((a, b) =>
        STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.name.localeCompare(b.name));
      const section = el("section", "project", [
        el("h2", "", [project]),
        el("ul", "builds", builds.map((b) => buildRow(b, status.generated_at))),
      ]);
      section.dataset.project = project;
      return section;
    });
    if (!sections.length) {
      sections.push(el("p", "empty", [status.builds.length ? "No build matches these filters." :
        "No managed build yet."]));
    }
    byId("builds").replaceChildren(...sections);
    byId("shown").textContent = shown.length + " of " + status.builds.length + " builds";
  }

  function renderKept(status) {
    const kept = (status.kept || []).filter((k) => !page.filters.project || k.project === page.filters.project);
    byId("kept-count").textContent = "(" + kept.length + ")";
    byId("kept").replaceChildren(...kept.map((k) => {
      const item = el("li", "kept-build", [
        el("span", "kept-project", [k.project]), " / ", el("span", "name", [k.name]),
        k.prunable ? el("span", "badge prunable", ["--prune would delete it"]) : null,
      ]);
      item.dataset.project = k.project;
      item.dataset.name = k.name;
      return item;
    }));
  }

  function renderEvents() {
    const shown = page.events
      .filter((e) => !page.filters.project || !e.project || e.project === page.filters.project)
      .slice(-EVENTS_SHOWN).reverse();
    byId("events").replaceChildren(...shown.map((e) => {
      const item = el("li", "event kind-" + e.kind, [
        el("time", "", [time(e.at)], { datetime: e.at }),
        el("span", "badge kind", [e.kind.replace(/_/g, " ")]),
        e.project ? el("span", "build", [e.project + "/" + e.build]) : null,
        el("span", "message", [e.message]),
      ]);
      item.dataset.kind = e.kind;
      return item;
    }));
  }

  function update() {
    writeFilters();
    if (!page.status) return;
    renderCounts(page.status);
    renderFilters(page.status);
    renderBuilds(page.status);
    renderKept(page.status);
    renderEvents();
  }

  async function getJson(path) {
    const answer = await fetch(path, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error(path + " answered " + answer.status);
    return answer.json();
  }

  // The events after the last one read, a page at a time (an answer holds at most 200).
  async function readEvents() {
    for (let round = 0; round < 3; round += 1) {
      const events = await getJson("api/v1/events?since=" + page.lastEventId);
      if (events.missed) page.events = [];
      page.events = page.events.concat(events.events).slice(-EVENTS_SHOWN * 2);
      page.lastEventId = events.last_id;
      if (events.events.length < 200) return;
    }
  }

  async function refresh() {
    try {
      const status = await getJson("api/v1/status?kept=true");
      await readEvents();
      page.status = status;
      renderSummary(status);
      update();
      document.body.dataset.loaded = "true";
    } catch (error) {
      const problem = byId("problem");
      problem.hidden = false;
      problem.textContent = "Cannot reach the daemon (" + error.message + "); trying again.";
    } finally {
      window.setTimeout(refresh, REFRESH_MS);
    }
  }

  // The build `#build=project/name` names, opened.
  function openFromHash() {
    const hash = window.location.hash;
    if (!hash.startsWith("#build=")) return;
    try {
      page.open.add(decodeURIComponent(hash.slice("#build=".length)));
    } catch (error) {
      // A malformed hash opens nothing.
    }
  }

  function start() {
    openFromHash();
    byId("project-filter").addEventListener("change", (e) => {
      page.filters.project = e.target.value;
      update();
    });
    byId("state-filter").addEventListener("change", (e) => {
      page.filters.state = e.target.value;
      update();
    });
    byId("filters").addEventListener("submit", (e) => e.preventDefault());
    refresh();
  }

  start();
})();
