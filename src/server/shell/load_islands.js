// Loads the WASM client at once and hydrates every island on the page as soon as both the
// client is ready and the page is parsed. (Leptos's own islands script starts only once the
// page is parsed and the browser is idle: 100–200 ms later on a cold load.) `async`, so it
// does not wait for the stylesheet either. Islands hydrate in document order; none of ours
// takes children, so `leptos-children` needs nothing here. Each island is handed to the client
// once hydrated (`island_hydrated`), so it can be cleaned up when a page change removes it;
// Leptos's script has no such hook, and hydrates only the first page's islands (its islands
// router, which hydrates later ones, is not used: see change_page.js). Resolves to the client
// and a function that hydrates the islands not yet hydrated under a root, for page changes.
// Some wait for the customer to come to them (`data-hydrate="interaction"`, below). Then the
// other islands' code is fetched ahead, at idle (`prefetch`).
(async (pkg, js, wasm, manifest) => {
  const client = await import(`${pkg}/${js}`);
  await client.default({ module_or_path: `${pkg}/${wasm}` });
  if (document.readyState === 'loading') {
    await new Promise((parsed) => document.addEventListener('DOMContentLoaded', parsed, { once: true }));
  }
  client.hydrate();
  // One island at a time, whoever asks (a page change, or a deferred island the customer came
  // to): each is handed to the client right after its own hydration, with nothing between.
  // `island.$$ready` settles once the island is hydrated: the client waits on it before it
  // changes what an island drew (an action's answer that came back first would otherwise be
  // found in the way by the island's hydration).
  let queue = Promise.resolve();
  const hydrate = (island) => {
    if (island.$$hydrated) return island.$$ready;
    island.$$hydrated = true;
    island.$$ready = queue = queue.then(async () => {
      const run = client[island.dataset.component];
      if (!run) {
        console.error(`no WASM function for the island ${island.dataset.component}`);
        return;
      }
      await run(island);
      client.island_hydrated(island);
    }).catch((e) => console.error(e));
    return island.$$ready;
  };
  // Islands under `data-hydrate="interaction"` (the forms that choose what to buy, the bulk
  // bar, the verification history) are lazy, and hydrate only once the customer comes to
  // their section: a pointer over it, a touch, focus, or a value changed in it; with
  // `interaction live`, also as soon as the live data changes (the history's rows follow it).
  // Until then their forms work as they do without JavaScript, and their code is not part of
  // the page's load.
  // A submit counts too (a script's `requestSubmit`, Enter in a field focused before the
  // client ran): its answer must find the form hydrated.
  const TRIGGERS = ['pointerover', 'pointerdown', 'touchstart', 'focusin', 'input', 'change', 'submit'];
  const DEFERRED = '[data-hydrate^="interaction"]';
  const onInteraction = (island) => {
    const marked = island.closest(DEFERRED);
    const region = marked.closest('section') ?? marked;
    if (!region.$$deferred) {
      region.$$deferred = [];
      const live = marked.dataset.hydrate.split(' ').includes('live');
      // `data-hydrate-for`: only coming to these parts of the section counts.
      const only = marked.dataset.hydrateFor;
      const start = async (event) => {
        if (only && !['live:data', 'submit'].includes(event.type) && !event.target?.closest?.(only)) return;
        for (const kind of TRIGGERS) region.removeEventListener(kind, start, true);
        if (live) document.removeEventListener('live:data', start);
        // Left behind by a page change meanwhile: nothing to hydrate.
        if (!region.isConnected) return;
        // All queued at once, so each has its `$$ready` before this event reaches the client.
        await Promise.all(region.$$deferred.map(hydrate));
      };
      for (const kind of TRIGGERS) region.addEventListener(kind, start, { capture: true, passive: true });
      if (live) document.addEventListener('live:data', start);
    }
    region.$$deferred.push(island);
  };
  // One after the other: a lazy island's code comes in its own chunk (its hydration is a
  // promise), and each island is handed to the client right after its own hydration.
  const hydrateIslands = async (root) => {
    for (const island of root.querySelectorAll('leptos-island')) {
      if (island.$$hydrated || island.$$waiting) continue;
      if (island.closest(DEFERRED)) {
        island.$$waiting = true;
        onInteraction(island);
      } else {
        await hydrate(island);
      }
    }
  };
  await hydrateIslands(document);
  client.first_page_placed();
  // Once the first page is interactive and the browser idle, the code of every other island
  // (the chunks the build's manifest lists) is fetched at the lowest priority, so a later page
  // change moves its HTML only. The files are named after their content and kept for good
  // (`server::client_files`), so that page change asks for none of them again.
  // Not when the customer asked the browser to save data: the code then comes with its page.
  const prefetch = async () => {
    if (navigator.connection?.saveData) return;
    const answer = await fetch(`${pkg}/${manifest}`);
    if (!answer.ok) return;
    const had = new Set(performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    for (const stem of new Set(Object.values(await answer.json()).flat())) {
      const href = `${pkg}/${stem}.wasm`;
      if (had.has(href)) continue;
      const link = document.createElement('link');
      link.rel = 'prefetch';
      link.href = href;
      // As the chunk loader's own fetch asks for it, so that fetch finds it.
      link.crossOrigin = '';
      document.head.append(link);
    }
  };
  (window.requestIdleCallback ?? setTimeout)(() => prefetch().catch(() => {}));
  return { client, hydrateIslands };
})
