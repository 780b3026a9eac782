// certbridge graph views: draws the view model with vis-network, then stops physics once stable.
// Works from a file (no network) and, when served, may call the API (search, expand a node).
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const view = read("view-data");
  const config = read("config");
  const state = {
    ready: false, stable: false, language: config.language, startedAt: performance.now(), stableAt: null,
    nodes: 0, edges: 0, expanded: 0, errors: [],
  };
  window.certbridgeView = state;

  const NODE_STYLES = config.nodeStyles; // kind -> [shape, colour], from visualize/model.py
  const STATE_STYLES = config.stateStyles; // agreement state -> [colour, dashed]
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(view.edges.map((e) => [e.id, e]));
  const label = (item) => (state.language === "zh" ? item.label_zh : item.label_en);
  // the page's words, from the catalogue (config.words: key -> [Chinese, English])
  const say = (key) => (config.words[key] || [key, key])[state.language === "zh" ? 0 : 1];
  // a closed value (hop kind, status, trust ...) by its name in the shown language (config.names); the code otherwise
  const nameOf = (scheme, value) => {
    const names = (config.names[scheme] || {})[value];
    return names ? names[state.language === "zh" ? 0 : 1] : value;
  };
  // a condition kind by its name in the shown language (the ontology's, sent by the route view); the code otherwise
  const conditionName = (kind) => {
    const names = (view.data && view.data.condition_names || {})[kind];
    return names ? names[state.language === "zh" ? 0 : 1] : kind;
  };
  const escape = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // ---- language ----------------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.language;
    document.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = el.dataset[state.language]; });
    if (nodes) nodes.update(nodes.getIds().filter((id) => byId.has(id)).map((id) => ({ id, label: label(byId.get(id)) })));
    if (edges) edges.update(edges.getIds().filter((id) => edgeById.has(id)).map((id) => ({ id, label: label(edgeById.get(id)) })));
    if (shown) showPanel(shown.kind, shown.id);
    if (view.kind === "coverage") drawHeatmap();
  }
  // a page opened from a file switches in place; a served page's switch is the shell's link (reloads, remembered)
  const switcher = document.getElementById("language");
  if (switcher) switcher.addEventListener("click", () => {
    state.language = state.language === "zh" ? "en" : "zh";
    applyLanguage();
  });

  // ---- side panel ----------------------------------------------------------------------------------
  let shown = null;
  const panel = document.getElementById("panel");
  const panelBody = document.getElementById("panel-body");
  document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; shown = null; });

  function flags(item) {
    const out = [];
    if (item.illustrative) out.push(`<p class="illustrative-flag">${say("view.flag.illustrative")}</p>`);
    if (item.synthetic) out.push(`<p class="illustrative-flag">${say("view.flag.synthetic")}</p>`);
    return out.join("");
  }
  function link(iri, title) {
    if (!iri) return "";
    const local = config.served && iri.startsWith("https://w3id.org/certbridge/id/") ? "/id/" + iri.slice(31) : null;
    return local ? `<a href="${escape(local)}">${escape(title || iri)}</a>` : escape(title || iri);
  }
  function sources(list) {
    if (!list || !list.length) return `<dd>${say("view.none")}</dd>`;
    return list.map((s) => `<dd>${s.url ? `<a href="${escape(s.url)}" rel="noopener">${escape(s.title || s.url)}</a>` : escape(s.title || s.iri)}`
      + `${s.document_number ? " · " + escape(s.document_number) : ""} · ${say("view.field.trust")}: ${escape(nameOf("trust", s.trust || "?"))}</dd>`).join("");
  }
  function row(name, value) { return value === undefined || value === null || value === "" ? "" : `<dt>${name}</dt><dd>${value}</dd>`; }

  function showPanel(kind, id) {
    shown = { kind, id };
    let html = "";
    if (kind === "node") {
      const node = byId.get(id);
      if (!node) return;
      html = `<h3>${escape(label(node))}</h3>${flags(node)}<dl>`
        + row(say("view.field.iri"), link(node.details.iri || node.id))
        + row(say("view.field.kind"), escape(nameOf("node-kind", node.kind)))
        + Object.entries(node.details).filter(([k]) => k !== "iri").map(([k, v]) => row(escape(k), escape(Array.isArray(v) ? v.join(", ") : v))).join("")
        + Object.entries(node.facets || {}).map(([k, v]) => row(escape(k), escape(v))).join("")
        + "</dl>";
    } else {
      const edge = edgeById.get(id);
      if (!edge) return;
      const d = edge.details || {};
      html = `<h3 class="edge-title">${escape(label(edge))}</h3>${flags(edge)}<dl>`;
      if (d.evidence) {
        const ev = d.evidence;
        html += row(say("view.field.hop_kind"), escape(nameOf("hop-kind", d.kind)))
          + row(say("view.field.direction"), escape(nameOf("direction", ev.direction)))
          + row(say("view.field.derivation"), escape(nameOf("derivation", d.derivation)))
          + row(say("view.field.evidence"), link(ev.iri, state.language === "zh" ? ev.label_zh || ev.label_en : ev.label_en || ev.label_zh))
          + row(say("view.field.document_number"), escape(ev.document_number))
          + row(say("view.field.valid"), escape([ev.valid_from, ev.valid_to].filter(Boolean).join(" – ")))
          + row(say("view.field.status"), escape(nameOf("status", ev.status)))
          + row(say("view.field.rule"), escape(ev.rule))
          + `<dt>${say("view.field.sources")}</dt>${sources(ev.sources)}`
          // the engine's notes are English sentences: the English panel shows them, the Chinese one says the same
          // through the rows above (status, validity, conditions)
          + (state.language === "en" ? (ev.notes || []).map((n) => row(say("view.field.note"), escape(n))).join("") : "")
          + (ev.conditions || []).map((c) => row(say("view.field.condition"), `${escape(conditionName(c.kind))}: ${escape(c.text || "")}`)).join("")
          + (d.quality || []).map((q) => row(say("view.field.issuer"), `${escape(state.language === "zh" ? q.label_zh : q.label_en)} · ${escape(nameOf("issuer-kind", q.kind))} · ${say("view.field.question_bank")}: ${escape(nameOf("question-bank", q.question_bank || "?"))}${q.sanctions.length ? " · " + say("view.field.sanctions") + ": " + escape(q.sanctions.map((s) => s.join(" ")).join("; ")) : ""}`)).join("");
      } else if (d.agreement) {
        html += row(say("view.field.agreement"), link(d.agreement, state.language === "zh" ? d.label_zh : d.label_en))
          + row(say("view.field.direction"), escape(nameOf("direction", d.direction)))
          + row(say("view.field.status"), escape(nameOf("status", d.status)))
          + row(say("view.field.valid"), escape([d.valid_from, d.valid_to].filter(Boolean).join(" – ")))
          + row(say("view.field.on_the_day"), escape(nameOf("agreement-state", d.why)))
          + row(say("view.field.covered"), escape(d.certificate_types_covered))
          + row(say("view.field.document_number"), escape(d.document_number))
          + `<dt>${say("view.field.sources")}</dt>${sources(d.sources)}`;
      } else {
        html += Object.entries(d).map(([k, v]) => row(escape(k), escape(v))).join("");
      }
      html += "</dl>";
    }
    panelBody.innerHTML = html;
    panel.hidden = false;
  }

  // ---- network -----------------------------------------------------------------------------------
  let nodes = null, edges = null, network = null;
  function markStable() {
    if (state.stable) return;
    if (network) network.setOptions({ physics: false });
    state.stable = true;
    state.stableAt = performance.now();
    if (view.kind === "route" && edges) {
      const first = edges.get({ filter: (e) => (edgeById.get(e.id)?.routes || []).includes(1) }).map((e) => e.id);
      if (first.length) network.selectEdges(first);
    }
  }
  if (view.kind !== "coverage") {
    nodes = new vis.DataSet(read("vis-nodes"));
    edges = new vis.DataSet(read("vis-edges"));
    const container = document.getElementById("network");
    network = new vis.Network(container, { nodes, edges }, read("vis-options"));
    network.once("stabilizationIterationsDone", markStable);
    network.once("stabilized", markStable);
    if (!view.nodes.length) markStable();
    network.on("click", (params) => {
      if (params.nodes.length) {
        showPanel("node", params.nodes[0]);
        if (config.served && view.kind === "node") expand(params.nodes[0]);
      } else if (params.edges.length) {
        showPanel("edge", params.edges[0]);
      }
    });
    state.network = network;
    state.edgeMidpoint = (id) => {
      const point = network.canvasToDOM(network.body.edges[id].edgeType.getPoint(0.5));
      const box = container.getBoundingClientRect();
      return { x: box.left + point.x, y: box.top + point.y };
    };
    state.nodePoint = (id) => {
      const p = network.canvasToDOM(network.getPositions([id])[id]);
      const box = container.getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    };
  }
  const count = () => { state.nodes = nodes ? nodes.length : 0; state.edges = edges ? edges.length : 0; };

  // ---- filters -----------------------------------------------------------------------------------
  document.querySelectorAll("#kind-filter input").forEach((box) => box.addEventListener("change", () => {
    const off = new Set([...document.querySelectorAll("#kind-filter input")].filter((b) => !b.checked).map((b) => b.dataset.colour));
    edges.update(view.edges.map((e) => ({ id: e.id, hidden: off.has(e.colour) })));
  }));
  document.querySelectorAll("#facet-filter select").forEach((select) => {
    const facet = select.dataset.facet;
    const values = [...new Set(view.nodes.map((n) => (n.facets || {})[facet]).filter(Boolean))].sort();
    // each value named in both languages when the page knows its names (the language switch relabels them)
    const names = (view.data.facet_names || {})[facet] || {};
    values.forEach((v) => {
      const option = new Option(v, v);
      if (names[v]) {
        [option.dataset.zh, option.dataset.en] = names[v];
        option.textContent = names[v][state.language === "zh" ? 0 : 1];
      }
      select.add(option);
    });
    if (!values.length) select.disabled = true;
    select.addEventListener("change", () => {
      const chosen = Object.fromEntries([...document.querySelectorAll("#facet-filter select")].map((s) => [s.dataset.facet, s.value]));
      nodes.update(view.nodes.map((n) => ({
        id: n.id,
        hidden: Object.entries(chosen).some(([f, v]) => v && (n.facets || {})[f] !== undefined && n.facets[f] !== v),
      })));
    });
  });

  // ---- agreement map: the year slider ---------------------------------------------------------------
  const year = document.getElementById("year");
  if (year) {
    const applyYear = () => {
      document.getElementById("year-value").textContent = year.value;
      edges.update(view.edges.map((e) => {
        const s = (e.states || {})[year.value] || e.kind;
        const [colour, dashes] = STATE_STYLES[s] || ["#888888", false];
        return { id: e.id, hidden: s === "planned", dashes, color: { color: colour, highlight: colour } };
      }));
      state.year = Number(year.value);
      state.visibleEdges = edges.get({ filter: (e) => !e.hidden }).length;
    };
    year.addEventListener("input", applyYear);
    applyYear();
  }

  // ---- coverage heat map -----------------------------------------------------------------------------
  function drawHeatmap() {
    const d = view.data;
    const colour = (share) => {
      const from = [247, 251, 255], to = [8, 48, 107];
      return `rgb(${from.map((c, i) => Math.round(c + (to[i] - c) * share)).join(",")})`;
    };
    const corner = d.by === "occupation-group/issuer-kind"
      ? say("view.heat.corner.groups")
      : say("view.heat.corner");
    // the groups' names in the data, in the page's language (the key when the data names it in neither)
    const named = (key) => (d.labels && d.labels[key] ? d.labels[key][state.language === "zh" ? 0 : 1] : key);
    let html = `<table class="heat"><thead><tr><th>${corner}</th>`
      + d.columns.map((c) => `<th>${escape(named(c))}</th>`).join("") + "</tr></thead><tbody>";
    for (const r of d.rows) {
      html += `<tr><th>${escape(named(r))}</th>`;
      for (const c of d.columns) {
        const cell = d.cells[`${r}\t${c}`];
        if (!cell) { html += "<td></td>"; continue; }
        const share = cell.pairs ? cell.covered / cell.pairs : 0;
        const body = `${Math.round(share * 100)}%<br><small>${cell.covered}/${cell.pairs}</small>`;
        const style = `background:${colour(share)};color:${share > 0.5 ? "#fff" : "#000"}`;
        const href = `/viz/coverage/cell?${new URLSearchParams({ by: d.by, from: r, to: c, as_of: d.as_of })}`;
        html += `<td style="${style}" title="${escape(r)} → ${escape(c)}">${config.served ? `<a href="${escape(href)}">${body}</a>` : body}</td>`;
      }
      html += "</tr>";
    }
    html += `</tbody></table><p>${say("view.heat.total")}: ${d.total.covered}/${d.total.pairs}</p>`;
    document.getElementById("heatmap").innerHTML = html;
  }
  if (view.kind === "coverage") { drawHeatmap(); markStable(); }

  // ---- served only: search and expand ------------------------------------------------------------------
  if (config.served) {
    for (const side of ["from", "to"]) {
      const input = document.getElementById(`pick-${side}`);
      if (!input) continue;
      const list = document.getElementById(`pick-${side}-list`);
      let timer = null;
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(async () => {
          if (input.value.trim().length < 1 || input.value.startsWith("http")) return;
          const response = await fetch(`${config.apiBase}/api/v1/search?${new URLSearchParams({ q: input.value, limit: 10 })}`);
          if (!response.ok) return;
          const found = (await response.json()).results;
          list.replaceChildren(...found.map((r) => new Option(r.label, r.iri)));
          state.suggestions = found.length;
        }, 150);
      });
    }
  }
  async function expand(id) {
    if (byId.get(id)?.kind === "group") return;
    const response = await fetch(`${config.apiBase}/api/v1/neighbourhood?${new URLSearchParams({ id, depth: 1, limit: 60 })}`);
    if (!response.ok) return;
    const found = await response.json();
    const room = (view.data.max_nodes || 500) - nodes.length;
    let added = 0;
    for (const raw of found.nodes) {
      if (nodes.get(raw.iri) || added >= room) continue;
      const kind = kindOf(raw.iri);
      const [shape, background] = NODE_STYLES[kind] || NODE_STYLES.other;
      const flagged = raw.illustrative || raw.synthetic;
      const badge = raw.illustrative ? config.badges.illustrative : raw.synthetic ? config.badges.synthetic : null;
      const marked = (text, side) => (badge ? `[${badge[side]}] ${text}` : text);
      const item = { id: raw.iri, kind, label_zh: marked(raw.label_zh || raw.label_en || raw.iri, 0), label_en: marked(raw.label_en || raw.label_zh || raw.iri, 1),
        illustrative: raw.illustrative, synthetic: raw.synthetic, details: { iri: raw.iri, types: raw.types }, facets: {} };
      byId.set(raw.iri, item);
      nodes.add({ id: raw.iri, label: label(item), shape, color: { background, border: flagged ? "#c0392b" : "#7f8c8d" },
        shapeProperties: { borderDashes: flagged ? [6, 4] : false } });
      added += 1;
    }
    for (const raw of found.edges) {
      const eid = `x:${raw.source}|${raw.predicate}|${raw.target}`;
      if (edges.get(eid) || !nodes.get(raw.source) || !nodes.get(raw.target)) continue;
      // the relation's name from the ontology, and the agreements a reified statement says it rests on
      const via = (raw.via || []).map((iri) => iri.split("/").pop()).join(" ");
      const item = { id: eid, label_zh: (raw.label_zh || raw.label_en || raw.predicate) + (via ? `（${via}）` : ""),
        label_en: (raw.label_en || raw.label_zh || raw.predicate) + (via ? ` (${via})` : ""),
        details: { predicate: raw.predicate, graph: raw.graph, via: raw.via || [] } };
      edgeById.set(eid, item);
      edges.add({ id: eid, from: raw.source, to: raw.target, label: label(item), arrows: "to", color: { color: via ? "#1b7f3b" : "#7a7a7a" } });
    }
    state.expanded += 1;
    count();
  }
  function kindOf(iri) {
    const local = iri.startsWith("https://w3id.org/certbridge/id/") ? iri.slice(31).split("/")[0] : "";
    return NODE_STYLES[local] ? local : ["credential", "title", "framework-level", "grade"].includes(local) ? "credential" : "other";
  }

  window.addEventListener("error", (event) => state.errors.push(String(event.message)));
  count();
  if (state.language !== "zh") applyLanguage();
  state.ready = true;
})();
