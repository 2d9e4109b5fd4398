import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Counter, escapeLabelValue, Gauge, Histogram, renderAll } from '../../src/http/metrics/exposition.js';

test('counters and gauges render HELP, TYPE and one sample line per label set', () => {
  const c = new Counter('x_total', 'Things.\nMore help \\ here.');
  c.inc({ state: 'ok' });
  c.inc({ state: 'ok' }, 2);
  c.inc({ state: 'bad' });
  const g = new Gauge('y', 'A gauge.');
  g.set({}, 1.5);
  assert.is(
    renderAll([c, g]),
    '# HELP x_total Things.\\nMore help \\\\ here.\n# TYPE x_total counter\nx_total{state="ok"} 3\nx_total{state="bad"} 1\n# HELP y A gauge.\n# TYPE y gauge\ny 1.5\n',
  );
  assert.throws(() => c.inc({}, -1), /cannot decrease/);
});

test('label values escape backslash, quote and newline; label order does not split series', () => {
  assert.is(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const c = new Counter('z_total', 'h');
  c.inc({ a: '1', b: '2' });
  c.inc({ b: '2', a: '1' });
  assert.match(c.render(), /^z_total\{a="1",b="2"\} 2$/m);
  assert.not.match(c.render(), / 1$/m);
  assert.throws(() => new Counter('bad-name', 'h'), /invalid metric name/);
  const g = new Gauge('ok', 'h');
  g.set({ 'bad-label': 'x' }, 1);
  assert.throws(() => g.render(), /invalid metric label name/);
});

test('histograms are cumulative with +Inf, _sum and _count', () => {
  const h = new Histogram('d_seconds', 'Durations.', [1, 5]);
  for (const v of [0.5, 1, 3, 10]) h.observe({ s: 'x' }, v);
  assert.is(
    h.render(),
    [
      '# HELP d_seconds Durations.',
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{s="x",le="1"} 2',
      'd_seconds_bucket{s="x",le="5"} 3',
      'd_seconds_bucket{s="x",le="+Inf"} 4',
      'd_seconds_sum{s="x"} 14.5',
      'd_seconds_count{s="x"} 4',
      '',
    ].join('\n'),
  );
  assert.throws(() => new Histogram('h', 'h', [5, 1]), /ascend/);
});

test.run();
