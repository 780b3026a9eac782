// certbridge's query page: YASGUI set up for this server, offline.
// The page's configuration (endpoint, prefixes, examples) is a JSON block written by certbridge.api.query_page.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('certbridge-query-config').textContent);
  // YASGUI parses the endpoint with new URL(), which needs an absolute address; the page may be behind a proxy,
  // so the browser resolves it, not the server.
  config.endpoint = new URL(config.endpoint, window.location.href).href;
  const Yasqe = Yasgui.Yasqe;
  const SEEN = 'certbridge-query-examples';

  // One list of prefix declarations for YASQE's prefix completion: the project's, not prefix.cc's bundled list
  // (which names some of the same prefixes for other namespaces).
  const declarations = Object.entries(config.prefixes).map(([name, iri]) => `${name}: <${iri}>`);

  // Classes and properties come from this server's ontology, never from Linked Open Vocabularies (an internet
  // service YASQE asks by default); fetched once per page and shared by every tab's editor.
  const terms = {};
  const loaded = {}; // kind -> how many terms arrived (for tests and the curious)
  function termsOf(kind) {
    if (!terms[kind]) {
      const body = new URLSearchParams({query: config.completion[kind]});
      terms[kind] = fetch(config.endpoint, {
        method: 'POST',
        body,
        headers: {Accept: 'application/sparql-results+json'},
      })
        .then((response) => (response.ok ? response.json() : {results: {bindings: []}}))
        .then((data) => data.results.bindings.map((row) => Object.values(row)[0].value))
        .catch(() => [])
        .then((found) => {
          loaded[kind] = found.length;
          return found;
        });
    }
    return terms[kind];
  }
  // Not kept in local storage: a null persistenceId would fall back to the editor's own (its query text).
  const unstored = () => undefined;
  Yasqe.forkAutocompleter('prefixes', {name: 'certbridge-prefixes', persistenceId: unstored, get: declarations}, false);
  for (const kind of ['class', 'property']) {
    Yasqe.forkAutocompleter(
      kind, {name: `certbridge-${kind}`, bulk: true, persistenceId: unstored, get: () => termsOf(kind)}, false);
  }
  // Replaced in place: the configuration merge would mix a shorter list with the default one item by item.
  Yasgui.defaults.yasqe.autocompleters = ['variables', 'certbridge-prefixes', 'certbridge-class', 'certbridge-property'];

  const yasgui = new Yasgui(document.getElementById('yasgui'), {
    tabName: config.tab_name,
    requestConfig: {
      endpoint: config.endpoint,
      method: 'POST',
      acceptHeaderGraph: 'text/turtle,*/*;q=0.9',
      acceptHeaderSelect: 'application/sparql-results+json,*/*;q=0.9',
    },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: {getData: () => [{endpoint: config.endpoint}]},
    // A shared link reopens its query against this server, whatever endpoint the link names.
    populateFromUrl: (tab) => {
      tab.requestConfig.endpoint = config.endpoint;
      return tab;
    },
    yasqe: {value: config.starter},
  });

  function exampleTab(example, active) {
    const tab =
      yasgui.tabNameTaken(example.name) || yasgui.addTab(active, {name: example.name, yasqe: {value: example.query}});
    if (active) yasgui.selectTabId(tab.getId());
    return tab;
  }

  // Each example becomes a tab once per browser (a tab the reader closes stays closed; new examples still appear).
  let seen = [];
  try {
    seen = JSON.parse(localStorage.getItem(SEEN) || '[]');
  } catch (error) {
    seen = [];
  }
  const fresh = config.examples.filter((example) => !seen.includes(example.name));
  fresh.forEach((example) => exampleTab(example, false));
  try {
    localStorage.setItem(SEEN, JSON.stringify([...seen, ...fresh.map((example) => example.name)]));
  } catch (error) {
    // storage refused (private mode, quota): the tabs come back next time, nothing else changes
  }

  document.querySelectorAll('#examples a[data-example]').forEach((link) => {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      const example = config.examples.find((candidate) => candidate.name === link.dataset.example);
      exampleTab(example, true);
      document.getElementById('yasgui').scrollIntoView();
    });
  });

  window.certbridgeQuery = {yasgui, config, loaded};
})();
