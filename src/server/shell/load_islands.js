// Loads the WASM client at once and hydrates every island on the page as soon as both the
// client is ready and the page is parsed. (Leptos's own islands script starts only once the
// page is parsed and the browser is idle: 100–200 ms later on a cold load.) `async`, so it
// does not wait for the stylesheet either. Islands hydrate in document order; none of ours
// takes children, so `leptos-children` needs nothing here. Each island is handed to the client
// once hydrated (`island_hydrated`), so it can be cleaned up when a page change removes it;
// Leptos's script has no such hook, and hydrates only the first page's islands (its islands
// router, which hydrates later ones, is not used: see change_page.js). Resolves to the client
// and a function that hydrates the islands not yet hydrated under a root, for page changes.
(async (pkg, name) => {
  const client = await import(`${pkg}/${name}.js`);
  await client.default({ module_or_path: `${pkg}/${name}.wasm` });
  if (document.readyState === 'loading') {
    await new Promise((parsed) => document.addEventListener('DOMContentLoaded', parsed, { once: true }));
  }
  client.hydrate();
  // One after the other: a lazy island's code comes in its own chunk (its hydration is a
  // promise), and each island is handed to the client right after its own hydration.
  const hydrateIslands = async (root) => {
    for (const island of root.querySelectorAll('leptos-island')) {
      if (island.$$hydrated) continue;
      island.$$hydrated = true;
      const hydrate = client[island.dataset.component];
      if (hydrate) {
        await hydrate(island);
        client.island_hydrated(island);
      } else {
        console.error(`no WASM function for the island ${island.dataset.component}`);
      }
    }
  };
  await hydrateIslands(document);
  return { client, hydrateIslands };
})
