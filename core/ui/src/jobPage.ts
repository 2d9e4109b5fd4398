import { $, el, formatDuration } from './dom.js';
import { LogView } from './logView.js';
import type { Line } from './logSource.js';

export interface JobPageApi {
  view: LogView;
  search(direction: 1 | -1): Promise<void>;
  toggleTimestamps(): void;
}

/**
 * The job page: swaps the server-rendered first page of the log for the virtualised view, adds the
 * toolbar (search, timestamps, follow, top/bottom) and follows a live job over the log's SSE stream
 * from the line after the last one stored, resuming by Last-Event-ID when the connection drops.
 */
export function initJobPage(): JobPageApi | null {
  const log = document.getElementById('log');
  if (!log) return null;
  const jobId = log.dataset.job!;
  const live = log.dataset.live === '1';
  const view = new LogView(log, jobId, Number(log.dataset.last) || 0);
  document.getElementById('log-more')?.remove();

  const tools = el('div', 'log-tools');
  tools.id = 'log-tools';
  const search = el('input', 'search');
  search.type = 'search';
  search.placeholder = 'Search the log (/)';
  search.setAttribute('aria-label', 'Search the log');
  const prev = button('↑', 'Previous match (N)');
  const next = button('↓', 'Next match (n)');
  const status = el('span', 'search-status');
  status.setAttribute('aria-live', 'polite');
  const ts = checkbox('Timestamps', 'ts-toggle');
  const follow = checkbox('Follow', 'follow-toggle');
  // Egress proxy connections (stream `egress`): shown unless this is unchecked.
  const egress = checkbox('Egress', 'egress-toggle');
  egress.input.checked = true;
  const top = button('Top', 'First line (g)');
  const bottom = button('Bottom', 'Last line (G)');
  tools.append(search, prev, next, status, el('span', 'grow'), ts.label, egress.label, follow.label, top, bottom);
  log.before(tools);

  let searching = false;
  const runSearch = async (direction: 1 | -1) => {
    if (searching) return;
    view.query = search.value;
    if (!view.query) {
      status.textContent = '';
      view.schedule(true);
      return;
    }
    searching = true;
    status.textContent = 'searching…';
    try {
      const found = await view.find(direction, (seq) => (status.textContent = `searching… line ${seq}`));
      status.textContent = found ? `line ${found}` : 'no match';
    } finally {
      searching = false;
    }
  };
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void runSearch(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') search.blur();
  });
  search.addEventListener('input', () => {
    view.query = search.value;
    view.current = 0;
    view.schedule(true);
  });
  prev.addEventListener('click', () => void runSearch(-1));
  next.addEventListener('click', () => void runSearch(1));
  const toggleTimestamps = () => {
    view.timestamps = !view.timestamps;
    ts.input.checked = view.timestamps;
    log.classList.toggle('with-ts', view.timestamps);
    view.schedule(true);
  };
  ts.input.addEventListener('change', toggleTimestamps);
  egress.input.addEventListener('change', () => void view.hideStream(egress.input.checked ? null : 'egress'));
  follow.input.addEventListener('change', () => view.setFollow(follow.input.checked));
  log.addEventListener('followchange', () => (follow.input.checked = view.follow));
  top.addEventListener('click', () => view.scrollToSeq(1));
  bottom.addEventListener('click', () => view.scrollToBottom());

  const goToHash = () => {
    const m = /^#L(\d+)$/.exec(location.hash);
    if (m) view.scrollToSeq(Number(m[1]));
  };
  window.addEventListener('hashchange', goToHash);
  if (/^#L\d+$/.test(location.hash)) goToHash();
  else if (live) view.setFollow(true);

  if (live) stream(jobId, view);
  return { view, search: runSearch, toggleTimestamps };
}

function stream(jobId: string, view: LogView): void {
  const es = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/log/stream?from=${view.source.total + 1}`);
  const started: Record<number, number> = {};
  let pending = false;
  es.addEventListener('log', (ev) => {
    const line = JSON.parse((ev as MessageEvent<string>).data) as Line;
    view.source.put(line);
    view.noteLine(line);
    if (!pending) {
      pending = true;
      // Many lines in one burst: one paint.
      queueMicrotask(() => {
        pending = false;
        view.linesChanged();
      });
    }
  });
  es.addEventListener('step', (ev) => {
    const s = JSON.parse((ev as MessageEvent<string>).data) as { step: number; state: string; conclusion: string | null };
    const row = $<HTMLTableRowElement>(`tr[data-step="${Number(s.step)}"]`);
    if (!row) return;
    const state = row.querySelector('.state')!;
    const word = s.state === 'finished' ? (s.conclusion ?? 'completed') : 'running';
    state.textContent = word;
    state.className = `state ${word}`;
    if (s.state === 'started') started[s.step] = Date.now();
    else if (started[s.step]) row.querySelector('.dur')!.textContent = formatDuration(Date.now() - started[s.step]!);
  });
  es.addEventListener('finished', (ev) => {
    const f = JSON.parse((ev as MessageEvent<string>).data) as { state: string; reason: string | null };
    const state = document.getElementById('job-state');
    if (state) {
      state.textContent = f.state;
      state.className = `state ${f.state}`;
    }
    const reason = document.getElementById('job-reason');
    if (reason && f.reason) reason.textContent = f.reason;
    es.close();
  });
}

function button(text: string, title: string): HTMLButtonElement {
  const b = el('button', 'ghost', text);
  b.type = 'button';
  b.title = title;
  return b;
}

function checkbox(text: string, id: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const label = el('label', 'check');
  const input = el('input');
  input.type = 'checkbox';
  input.id = id;
  label.append(input, document.createTextNode(` ${text}`));
  return { label, input };
}
