// certbridge question form: each certificate box is an ARIA combobox (WAI-ARIA 1.2 "list autocomplete") whose
// suggestions come from /api/v1/search as one types (debounced). Arrow keys move, Enter picks, Escape closes;
// a pick fills the hidden id, which is what the form sends (else the typed text, resolved by the server).
(function () {
  "use strict";
  const form = document.querySelector("form.question-form");
  if (!form || form.dataset.ready) return;
  form.dataset.ready = "true";
  const words = JSON.parse(document.getElementById("combobox-words").textContent);
  const limit = Number(form.dataset.suggestions || 8);
  const DELAY_MS = 200;
  const ID_SPACE = "https://w3id.org/certbridge/id/";
  const SHORT = ["certificate-type/", "credential/"];
  const state = { requests: 0, answered: 0 };
  window.certbridgeQuestion = state;

  function shortId(iri) {
    for (const prefix of SHORT) {
      if (iri.startsWith(ID_SPACE + prefix)) return iri.slice(ID_SPACE.length + prefix.length);
    }
    return iri;
  }

  form.querySelectorAll(".combobox").forEach((box) => {
    const input = box.querySelector("input[role=combobox]");
    const hidden = box.querySelector("input[type=hidden]");
    const list = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    const kinds = box.dataset.kinds;
    let timer = null;
    let sequence = 0;
    let options = [];
    let active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function setActive(index) {
      options.forEach((option, i) => option.element.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].element.id);
        options[index].element.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function pick(index) {
      const chosen = options[index];
      if (!chosen) return;
      input.value = chosen.label;
      hidden.value = shortId(chosen.iri);
      hidden.dataset.label = chosen.label;
      status.textContent = words.picked.replace("{label}", chosen.label);
      close();
    }
    function show(body) {
      list.textContent = "";
      options = body.results.map((hit, i) => {
        const element = document.createElement("li");
        element.id = input.id + "-option-" + i;
        element.setAttribute("role", "option");
        element.setAttribute("aria-selected", "false");
        element.dataset.iri = hit.iri;
        const label = document.createElement("span");
        label.className = "label";
        label.textContent = hit.label;
        const id = document.createElement("span");
        id.className = "id";
        id.textContent = shortId(hit.iri);
        element.append(label, id);
        element.addEventListener("mousedown", (event) => { event.preventDefault(); pick(i); });
        list.appendChild(element);
        return { element: element, iri: hit.iri, label: hit.label };
      });
      if (!options.length) {
        const empty = document.createElement("li");
        empty.className = "empty";
        empty.textContent = words.none;
        list.appendChild(empty);
      }
      status.textContent = options.length
        ? words.count.replace("{count}", body.total).replace("{shown}", options.length)
        : words.none;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      setActive(-1);
    }
    function search() {
      const query = input.value.trim();
      if (!query) { close(); return; }
      const mine = ++sequence;
      state.requests++;
      const url = "/api/v1/search?" + new URLSearchParams({ q: query, type: kinds, limit: String(limit) });
      fetch(url, { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : { results: [], total: 0 }))
        .then((body) => { if (mine === sequence && document.activeElement === input) show(body); })
        .catch(() => {})
        .finally(() => { state.answered++; });
    }

    input.addEventListener("input", () => {
      if (input.value !== hidden.dataset.label) hidden.value = "";
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); return; }
        setActive((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) setActive(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); pick(active); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  });

  form.addEventListener("submit", () => {
    form.querySelectorAll(".combobox").forEach((box) => {
      const input = box.querySelector("input[role=combobox]");
      const hidden = box.querySelector("input[type=hidden]");
      const picked = hidden.value && input.value === hidden.dataset.label;
      (picked ? input : hidden).disabled = true;  // one value per name: the id picked, else the text typed
    });
    const day = form.querySelector("input[name=as_of]");
    if (day && !day.value) day.disabled = true;
  });
  // back from the answer (the page is restored from the cache with the fields disabled): enable them again
  window.addEventListener("pageshow", () => form.querySelectorAll("input").forEach((input) => { input.disabled = false; }));
})();
