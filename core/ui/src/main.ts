import { initJobPage, type JobPageApi } from './jobPage.js';
import { initLiveRefresh } from './liveRefresh.js';
import { initTheme, toggleTheme } from './theme.js';

/** Enhances the server-rendered page named by `<body data-page>`; without this script every page still reads. */
initTheme();
const page = document.body.dataset.page;
let job: JobPageApi | null = null;
if (page === 'runs' || page === 'run') initLiveRefresh();
if (page === 'job') job = initJobPage();

// Tests and the bench read the view through this (never used by the page itself).
(window as unknown as { helios?: unknown }).helios = { job };

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey || target.closest('input, textarea, select')) return;
  const focusables = () => [...document.querySelectorAll<HTMLAnchorElement>('main table a')];
  const move = (d: number) => {
    const list = focusables();
    const i = list.indexOf(document.activeElement as HTMLAnchorElement);
    list[Math.max(0, Math.min(list.length - 1, i + d))]?.focus();
  };
  switch (e.key) {
    case 'd':
      toggleTheme();
      break;
    case '/':
      if (!job) return;
      document.querySelector<HTMLInputElement>('#log-tools .search')?.focus();
      break;
    case 'n':
    case 'N':
      if (!job) return;
      void job.search(e.key === 'n' ? 1 : -1);
      break;
    case 't':
      if (!job) return;
      job.toggleTimestamps();
      break;
    case 'f':
      if (!job) return;
      job.view.setFollow(!job.view.follow);
      break;
    case 'g':
      if (job) job.view.scrollToSeq(1);
      else window.scrollTo(0, 0);
      break;
    case 'G':
      if (job) job.view.scrollToBottom();
      else window.scrollTo(0, document.body.scrollHeight);
      break;
    case 'j':
      if (job) job.view.viewport.scrollTop += 20;
      else move(1);
      break;
    case 'k':
      if (job) job.view.viewport.scrollTop -= 20;
      else move(-1);
      break;
    default:
      return;
  }
  e.preventDefault();
});
