// Page changes without reloading the document. Once the WASM client runs, a click on a link
// to one of the app's pages, a form sent to the app, and back/forward fetch the next page's
// HTML from the server (the same render as a first load, so every URL still works without
// JavaScript) and put its <main> and navigation in place of the current ones. The header (with
// its live balance), the tab's event stream and the WASM state stay. New islands hydrate; the
// old ones are cleaned up by the client. Focus moves to the new page's heading and the title
// changes, so screen readers announce the page.
//
// This replaces Leptos's islands router (`islands-router`), which diffs the two documents
// node by node: in leptos 0.8.23 it leaves nodes the new page does not have, never removes an
// attribute, loses the submit button's name and value, and does not update islands' props.
// A page here is one region, so swapping that region whole is both simpler and exact.
(loaded) => {
  const SKIP = /^\/(api|sandbox|pkg)\//;
  let current = 0;
  // Until the client runs (or if it cannot), links and forms work as they do without it.
  let ready = null;
  loaded.then((it) => {
    ready = it;
    // Scroll positions are this script's to restore, once the page they belong to is in.
    history.scrollRestoration = 'manual';
  });

  const sameApp = (url) => url.origin === location.origin && !SKIP.test(url.pathname);

  async function change(url, init, how) {
    const { client, hydrateIslands } = ready;
    const mine = ++current;
    client.page_change_started();
    let response;
    try {
      response = await fetch(url, { ...init, headers: { accept: 'text/html' } });
    } catch {
      // Offline or refused: let the browser show what it shows.
      location.assign(url);
      return;
    }
    if (mine !== current) return;
    if (!(response.headers.get('content-type') || '').startsWith('text/html')) {
      location.assign(response.url);
      return;
    }
    const html = await response.text();
    if (mine !== current) return;
    const next = new DOMParser().parseFromString(html, 'text/html');
    const session = (doc) => doc.querySelector('[data-session]')?.dataset.session;
    const main = next.querySelector('main');
    // Another session (signed in or out) has another header and stream: load it for real.
    if (!main || session(next) !== session(document)) {
      location.assign(response.url);
      return;
    }
    // Sent back to the page it is on (a form's answer): the same history entry, as browsers do.
    if (how === 'push' && response.url === location.href) how = 'replace';
    if (how === 'push') {
      history.replaceState({ ...history.state, scroll: scrollY }, '');
      history.pushState({}, '', response.url);
    } else if (how === 'replace') {
      history.replaceState(history.state, '', response.url);
    }
    const nav = next.querySelector('nav[data-session]');
    if (nav) document.querySelector('nav[data-session]')?.replaceWith(document.adoptNode(nav));
    const adopted = document.adoptNode(main);
    document.querySelector('main').replaceWith(adopted);
    document.title = next.title;
    // Focus and scroll belong to the page change itself, before any island's code has come
    // (a lazy one's chunk may take a moment, and focus put in a field meanwhile stays there).
    const heading = adopted.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
    if (how !== 'restore') scrollTo(0, 0);
    else scrollTo(0, history.state?.scroll || 0);
    await hydrateIslands(adopted);
    if (mine !== current) return;
    client.page_change_done(adopted.dataset.eventsAfter);
  }

  addEventListener('click', (ev) => {
    if (!ready || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest && ev.target.closest('a[href]');
    // A link that leaves the app (on to a payment provider's page) is the browser's to follow.
    if (!a || a.target || a.hasAttribute('download') || a.hasAttribute('data-leaves-app')) return;
    const url = new URL(a.href);
    if (!sameApp(url)) return;
    // A link to a place on this same page: the browser scrolls.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    ev.preventDefault();
    change(url.href, {}, 'push');
  });

  addEventListener('submit', (ev) => {
    if (!ready || ev.defaultPrevented) return;
    const form = ev.target;
    const submitter = ev.submitter;
    const method = (submitter?.getAttribute('formmethod') || form.getAttribute('method') || 'get').toLowerCase();
    const url = new URL(submitter?.getAttribute('formaction') || form.getAttribute('action') || location.href, location.href);
    if (!sameApp(url) && !url.pathname.startsWith('/api/fn/')) return;
    if (form.enctype === 'multipart/form-data' || (submitter?.formTarget || form.target)) return;
    // So is a form that leaves it.
    if (form.hasAttribute('data-leaves-app')) return;
    ev.preventDefault();
    const data = new URLSearchParams(new FormData(form, submitter));
    const done = () => form.removeAttribute('data-sent');
    if (method === 'post') {
      // A server function answers a form by sending the browser back to the page it came
      // from (with the error in the URL if it failed): that page is the one shown.
      change(url.href, { method: 'POST', body: data }, 'push').finally(done);
    } else {
      url.search = data.toString();
      change(url.href, {}, 'push').finally(done);
    }
  });

  addEventListener('popstate', () => {
    if (ready) change(location.href, {}, 'restore');
  });
}
