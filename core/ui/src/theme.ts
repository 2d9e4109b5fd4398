const KEY = 'helios-theme';

/** Dark/light: the system's by default; the header button (or `t` outside the log) switches and remembers. */
export function initTheme(): void {
  const saved = localStorage.getItem(KEY);
  if (saved === 'dark' || saved === 'light') document.documentElement.dataset.theme = saved;
  const button = document.getElementById('theme-toggle');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', toggleTheme);
}

export function toggleTheme(): void {
  const current = document.documentElement.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  const next = current === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  localStorage.setItem(KEY, next);
}
