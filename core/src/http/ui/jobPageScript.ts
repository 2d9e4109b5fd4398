/**
 * The job page's live log: vanilla JS, no framework. It reads the job id and the next seq from
 * data attributes (never from interpolated script text), appends each SSE `log` event as a text
 * node (textContent, never innerHTML), and updates step and job states. EventSource reconnects by
 * itself with Last-Event-ID, so a dropped connection neither loses nor repeats lines.
 */
export const JOB_PAGE_SCRIPT = `
(function () {
  var log = document.getElementById('log');
  if (!log || log.dataset.live !== '1' || !window.EventSource) return;
  var jobState = document.getElementById('job-state');
  var started = {};
  var url = '/api/jobs/' + encodeURIComponent(log.dataset.job) + '/log/stream?from=' + encodeURIComponent(log.dataset.next);
  var es = new EventSource(url);
  function setState(el, state) {
    el.textContent = state;
    el.className = 'state ' + state;
  }
  function fmt(ms) {
    return ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : Math.floor(ms / 60000) + 'm ' + String(Math.floor(ms / 1000) % 60).padStart(2, '0') + 's';
  }
  es.addEventListener('log', function (ev) {
    var line = JSON.parse(ev.data);
    var empty = document.getElementById('log-empty');
    if (empty) empty.remove();
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    var div = document.createElement('div');
    div.className = 'ln ' + line.stream;
    div.dataset.seq = String(line.seq);
    div.textContent = line.text;
    log.appendChild(div);
    if (atBottom) log.scrollTop = log.scrollHeight;
  });
  es.addEventListener('step', function (ev) {
    var s = JSON.parse(ev.data);
    var row = document.querySelector('tr[data-step="' + Number(s.step) + '"]');
    if (!row) return;
    setState(row.querySelector('.state'), s.state === 'finished' ? (s.conclusion || 'completed') : 'running');
    if (s.state === 'started') started[s.step] = Date.now();
    else if (started[s.step]) row.querySelector('.dur').textContent = fmt(Date.now() - started[s.step]);
  });
  es.addEventListener('finished', function (ev) {
    var f = JSON.parse(ev.data);
    setState(jobState, f.state);
    var reason = document.getElementById('job-reason');
    if (reason && f.reason) reason.textContent = f.reason;
    es.close();
  });
})();
`;
