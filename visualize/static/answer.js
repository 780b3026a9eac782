// certbridge answer page: draws the routes (vis-network, hierarchical, no physics), highlights the route of the
// card under the pointer or the keyboard focus, copies the permalink and prints. window.certbridgeAnswer is what
// the browser tests and the benchmark read.
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const drawing = read("answer-drawing");
  const options = read("answer-options");
  const routes = read("answer-routes");
  const words = read("answer-words");
  const state = { ready: false, stable: false, highlighted: null, network: null, errors: [] };
  window.certbridgeAnswer = state;

  const container = document.getElementById("answer-network");
  const nodes = new vis.DataSet(drawing.nodes);
  const edges = new vis.DataSet(drawing.edges);
  const widths = new Map(drawing.edges.map((e) => [e.id, e.width || 2]));
  const network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  state.network = network;

  // Fit the drawing to its box, but never so small that labels cannot be read, nor larger than life: a wide
  // drawing is then panned (drag) or zoomed (wheel) rather than shrunk to nothing.
  const MIN_SCALE = 0.7, MAX_SCALE = 1.0;
  function place() {
    network.fit({ animation: false });
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, network.getScale()));
    const ids = nodes.getIds();
    const first = ids.length ? network.getPositions([ids[0]])[ids[0]] : { x: 0, y: 0 };
    const centre = network.getViewPosition();
    // a wide drawing starts at its left (the held certificate), a narrow one is centred
    const fitted = network.getScale() >= MIN_SCALE;
    network.moveTo({
      position: fitted ? centre : { x: first.x + container.clientWidth / (2 * scale) - 90, y: centre.y },
      scale: scale,
      animation: false,
    });
  }
  state.place = place;

  function markStable() {
    if (state.stable) return;
    place();
    state.stable = true;
    state.stableAt = performance.now();
    container.dataset.stable = "true";
  }
  network.once("afterDrawing", () => { state.ready = true; requestAnimationFrame(markStable); });

  // The label boxes of the nodes, in page coordinates (for the overlap test).
  state.labelBoxes = function () {
    const rect = container.getBoundingClientRect();
    return nodes.getIds().map((id) => {
      const box = network.getBoundingBox(id);
      const a = network.canvasToDOM({ x: box.left, y: box.top });
      const b = network.canvasToDOM({ x: box.right, y: box.bottom });
      return { id: id, left: rect.left + a.x, top: rect.top + a.y, right: rect.left + b.x, bottom: rect.top + b.y };
    });
  };

  // The edges' label boxes, in page coordinates (vis-network's label module measures them when it draws).
  state.edgeLabelBoxes = function () {
    const rect = container.getBoundingClientRect();
    return edges.getIds().flatMap((id) => {
      const edge = network.body.edges[id];
      const size = edge && edge.labelModule && edge.labelModule.size;
      if (!edge || !edge.options.label || !size || !size.width) return [];
      const a = network.canvasToDOM({ x: size.left, y: size.top });
      const b = network.canvasToDOM({ x: size.left + size.width, y: size.top + size.height });
      return [{ id: id, left: rect.left + a.x, top: rect.top + a.y, right: rect.left + b.x, bottom: rect.top + b.y }];
    });
  };

  function highlight(number) {
    const route = routes.find((r) => r.number === number);
    const chosen = new Set(route ? route.edges : []);
    edges.update(drawing.edges.map((e) => ({
      id: e.id,
      width: chosen.has(e.id) ? 6 : route ? 1 : widths.get(e.id),
      color: Object.assign({}, e.color, { opacity: !route || chosen.has(e.id) ? 1.0 : 0.25 }),
    })));
    if (route) network.setSelection({ nodes: route.nodes, edges: route.edges }, { highlightEdges: false });
    else network.unselectAll();
    state.highlighted = route ? number : null;
    document.querySelectorAll(".route-card").forEach((card) => {
      card.classList.toggle("highlighted", Number(card.dataset.route) === state.highlighted);
    });
  }
  state.highlight = highlight;
  document.querySelectorAll(".route-card").forEach((card) => {
    const number = Number(card.dataset.route);
    card.addEventListener("mouseenter", () => highlight(number));
    card.addEventListener("focusin", () => highlight(number));
    card.addEventListener("mouseleave", () => { if (!card.contains(document.activeElement)) highlight(null); });
    card.addEventListener("focusout", (event) => { if (!card.contains(event.relatedTarget)) highlight(null); });
  });

  const copy = document.getElementById("copy-link");
  const status = document.getElementById("copy-status");
  if (copy) {
    copy.addEventListener("click", () => {
      const link = new URL(copy.dataset.href, window.location.href).href;
      const done = () => { status.textContent = words.copied; state.copied = link; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link).then(done, () => fallback(link, done));
      } else {
        fallback(link, done);
      }
    });
  }
  function fallback(link, done) {
    const area = document.createElement("textarea");
    area.value = link;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (error) { state.errors.push(String(error)); }
    area.remove();
    done();
  }
  const print = document.getElementById("print");
  if (print) print.addEventListener("click", () => window.print());
})();
