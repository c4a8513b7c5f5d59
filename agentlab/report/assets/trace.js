// A trace page's on-demand parts: the full AXTree and pruned HTML of a step, and its set-of-marks
// view, from the episode's data file (loaded on first use). Texts go in through textContent only.
"use strict";
window.AgentlabReport = window.AgentlabReport || {};
(function (report) {
  const SVG = "http://www.w3.org/2000/svg";
  let payloads = null;  // step number -> {axtree: base64 of gzipped text, details: base64 of gzipped JSON}
  const decoded = {};

  function loadPayloads() {
    if (payloads) return payloads;
    payloads = new Promise((resolve, reject) => {
      report.pageDetails = resolve;
      const script = document.createElement("script");
      script.src = document.getElementById("page-details").dataset.src;
      script.onerror = () => reject(new Error("cannot load " + script.src));
      document.body.appendChild(script);
    });
    return payloads;
  }

  async function inflate(base64) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  // A step's {axtree, pruned_html, elements}; null if the step is not in the data file.
  async function details(step) {
    if (!(step in decoded)) {
      const all = await loadPayloads();
      if (!(step in all)) return null;
      const page = all[step].details ? JSON.parse(await inflate(all[step].details)) : {};
      decoded[step] = { ...page, axtree: await inflate(all[step].axtree) };
    }
    return decoded[step];
  }

  async function fill(box) {
    if (box.dataset.filled) return;
    box.dataset.filled = "1";
    let found;
    try {
      found = await details(box.dataset.step);
    } catch (error) {
      found = undefined;
      box.querySelector("pre").textContent = String(error);
      return;
    }
    for (const pre of box.querySelectorAll("pre[data-field]")) {
      const value = found ? found[pre.dataset.field] : null;
      pre.textContent = value ? value : "(not recorded)";
    }
  }

  async function toggleMarks(button) {
    const svg = document.querySelector("svg.overlay-marks[data-step='" + button.dataset.step + "']");
    const drawn = svg.querySelectorAll(".som");
    if (drawn.length) {
      drawn.forEach((node) => node.remove());
      button.setAttribute("aria-pressed", "false");
      return;
    }
    const found = await details(button.dataset.step);
    const elements = found && found.elements ? found.elements : {};
    for (const [bid, props] of Object.entries(elements)) {
      if (!props.set_of_marks || !props.bbox) continue;
      const [x, y, w, h] = props.bbox;
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("class", "som");
      rect.setAttribute("x", x); rect.setAttribute("y", y);
      rect.setAttribute("width", w); rect.setAttribute("height", h);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("class", "som");
      label.setAttribute("x", x); label.setAttribute("y", y + 11);
      label.textContent = bid;
      svg.append(rect, label);
    }
    button.setAttribute("aria-pressed", "true");
  }

  for (const box of document.querySelectorAll("details.page-details")) {
    box.addEventListener("toggle", () => { if (box.open) fill(box); });
  }
  for (const button of document.querySelectorAll("button.som-toggle")) {
    button.addEventListener("click", () => toggleMarks(button));
  }
})(window.AgentlabReport);
