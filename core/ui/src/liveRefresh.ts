/**
 * Live status on the runs and run pages: while `#live` asks for it (data-refresh seconds), the page
 * is fetched again and the `#live` part swapped in. The markup is this server's own, escaped there;
 * a parsed document runs no scripts.
 */
export function initLiveRefresh(): void {
  const live = document.getElementById('live');
  if (!live) return;
  let timer = 0;
  const schedule = (node: HTMLElement) => {
    const s = Number(node.dataset.refresh);
    if (s > 0) timer = window.setTimeout(tick, s * 1000);
  };
  const tick = async () => {
    if (document.hidden) return schedule(document.getElementById('live')!);
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const fresh = doc.getElementById('live');
        const current = document.getElementById('live');
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          for (const id of ['run-state', 'run-actions']) {
            const a = doc.getElementById(id);
            const b = document.getElementById(id);
            if (a && b) b.replaceWith(document.importNode(a, true));
          }
        }
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    schedule(document.getElementById('live')!);
  };
  schedule(live);
  window.addEventListener('pagehide', () => clearTimeout(timer));
  // Filters apply as soon as a choice changes.
  const form = document.getElementById('run-filters') as HTMLFormElement | null;
  form?.querySelectorAll('select').forEach((s) => s.addEventListener('change', () => form.submit()));
}
