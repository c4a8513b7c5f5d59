// The index's episode finder: filters, sorts and pages the rows of data/episodes.js in the browser.
// Every text goes into the page through textContent, never as markup.
"use strict";
window.AgentlabReport = window.AgentlabReport || {};
(function (report) {
  const PAGE_ROWS = 100;
  const state = { rows: [], col: {}, matched: [], sortKey: null, descending: false, page: 0 };

  function path(parts) {
    return parts.map((part) => encodeURIComponent(String(part))).join("/");
  }

  function text(tag, value, className) {
    const element = document.createElement(tag);
    element.textContent = value === null || value === undefined ? "–" : String(value);
    if (className) element.className = className;
    return element;
  }

  function link(label, href, className) {
    const a = text("a", label, className);
    a.href = href;
    return a;
  }

  function fillSelect(select, values) {
    for (const value of [...new Set(values)].sort()) {
      const option = document.createElement("option");
      option.value = option.textContent = value;
      select.appendChild(option);
    }
  }

  function numberOf(form, name) {
    const raw = form.elements[name].value.trim();
    return raw === "" ? null : Number(raw);
  }

  function inRange(value, low, high) {
    if (low === null && high === null) return true;
    if (value === null) return false;
    return (low === null || value >= low) && (high === null || value <= high);
  }

  function filter() {
    const form = document.getElementById("finder");
    const c = state.col;
    const exact = ["benchmark", "agent", "status"].map((name) => [c[name], form.elements[name].value]);
    const contains = ["task", "error"].map((name) => [c[name], form.elements[name].value.trim().toLowerCase()]);
    const ranges = [["reward", "reward"], ["n_steps", "steps"], ["cost", "cost"]].map(
      ([column, name]) => [c[column], numberOf(form, name + "_min"), numberOf(form, name + "_max")]);
    state.matched = state.rows.filter((row) =>
      exact.every(([i, want]) => want === "" || row[i] === want) &&
      contains.every(([i, want]) => want === "" || String(row[i]).toLowerCase().includes(want)) &&
      ranges.every(([i, low, high]) => inRange(row[i], low, high)));
    sort();
  }

  function sort() {
    if (state.sortKey !== null) {
      const i = state.col[state.sortKey], sign = state.descending ? -1 : 1;
      state.matched.sort((a, b) => {
        if (a[i] === b[i]) return 0;
        if (a[i] === null) return 1;  // unknown values last either way
        if (b[i] === null) return -1;
        return (a[i] < b[i] ? -1 : 1) * sign;
      });
    }
    state.page = 0;
    show();
  }

  function show() {
    const c = state.col, body = document.querySelector("#finder-table tbody");
    const pages = Math.max(1, Math.ceil(state.matched.length / PAGE_ROWS));
    state.page = Math.min(state.page, pages - 1);
    const rows = state.matched.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
    body.replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      const seedFile = "seed" + row[c.seed] + ".html";
      const episode = document.createElement("td");
      episode.appendChild(link("trace", "episodes/" + path([row[c.benchmark], row[c.agent], row[c.task], seedFile])));
      if (row[c.compare]) {
        episode.append(" · ");
        episode.appendChild(link("compare", "compare/" + path([row[c.benchmark], row[c.task], seedFile])));
      }
      const status = document.createElement("td");
      status.appendChild(text("span", row[c.status], "badge " + row[c.status]));
      tr.append(text("td", row[c.benchmark]), text("td", row[c.agent]), text("td", row[c.task]),
        text("td", row[c.seed], "num"), status, text("td", row[c.reward], "num"), text("td", row[c.n_steps], "num"),
        text("td", row[c.cost] === null ? null : row[c.cost].toFixed(4), "num"), text("td", row[c.error], "error-text"),
        episode);
      return tr;
    }));
    const count = document.getElementById("finder-count");
    count.dataset.count = String(state.matched.length);
    count.textContent = state.matched.length + " of " + state.rows.length + " episodes match";
    document.getElementById("finder-page").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("finder-prev").disabled = state.page === 0;
    document.getElementById("finder-next").disabled = state.page >= pages - 1;
    for (const th of document.querySelectorAll("#finder-table th[data-sort]")) {
      th.dataset.order = th.dataset.sort === state.sortKey ? (state.descending ? "descending" : "ascending") : "";
    }
  }

  report.episodes = function (data) {
    data.columns.forEach((name, i) => { state.col[name] = i; });
    state.rows = data.rows;
    const form = document.getElementById("finder");
    for (const name of ["benchmark", "agent", "status"]) {
      fillSelect(form.elements[name], data.rows.map((row) => row[state.col[name]]));
    }
    form.addEventListener("input", filter);
    form.addEventListener("submit", (event) => event.preventDefault());
    document.getElementById("finder-prev").addEventListener("click", () => { state.page -= 1; show(); });
    document.getElementById("finder-next").addEventListener("click", () => { state.page += 1; show(); });
    for (const th of document.querySelectorAll("#finder-table th[data-sort]")) {
      th.addEventListener("click", () => {
        state.descending = state.sortKey === th.dataset.sort ? !state.descending : false;
        state.sortKey = th.dataset.sort;
        sort();
      });
    }
    document.getElementById("finder").hidden = false;
    filter();
  };
})(window.AgentlabReport);
