// SVG line charts: nice ticks, coordinate mapping, well-formed standalone documents, escaping,
// gaps and degenerate data, coded errors for bad input.
import { describe, expect, it } from 'vitest';
import { AscmhError } from '../../src/core/errors.js';
import { linearScale, niceDomain, niceTicks, renderLineChart, type LineChart, type Series } from '../../src/experiments/plot.js';

interface Element { name: string; attrs: Record<string, string>; children: Element[]; text: string }

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]);

/**
 * A strict little XML reader for what the renderer emits: balanced tags, double-quoted attributes
 * without duplicates, no bare `<`, `>` or `&` in text or attributes. Throws on anything else.
 */
function parseXml(doc: string): Element {
  const tagPattern = /<[^<>]*>/g;
  const attrPattern = /\s+([A-Za-z][\w:-]*)="([^"]*)"/g;
  const bareMarkup = /[<>]|&(?!(amp|lt|gt|quot|apos);)/;
  const root: Element = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  let last = 0;
  for (const match of doc.matchAll(tagPattern)) {
    const between = doc.slice(last, match.index);
    if (bareMarkup.test(between)) throw new Error(`bare markup in text: ${between}`);
    stack[stack.length - 1].text += unescape(between.trim());
    last = match.index + match[0].length;
    const tag = /^<(\/?)([A-Za-z][\w-]*)((?:\s+[A-Za-z][\w:-]*="[^"]*")*)\s*(\/?)>$/.exec(match[0]);
    if (!tag) throw new Error(`malformed tag ${match[0]}`);
    const [, closing, name, attrText, selfClosing] = tag;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name || stack.length === 0) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const [, key, value] of attrText.matchAll(attrPattern)) {
      if (key in attrs) throw new Error(`duplicate attribute ${key} on <${name}>`);
      if (bareMarkup.test(value)) throw new Error(`bare markup in attribute ${key}="${value}"`);
      attrs[key] = unescape(value);
    }
    const element: Element = { name, attrs, children: [], text: '' };
    stack[stack.length - 1].children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (doc.slice(last).trim() !== '') throw new Error('text after the root element');
  if (root.children.length !== 1) throw new Error('a document has exactly one root element');
  return root.children[0];
}

function all(el: Element, test: (e: Element) => boolean): Element[] {
  return [...(test(el) ? [el] : []), ...el.children.flatMap((c) => all(c, test))];
}
const byClass = (el: Element, cls: string) => all(el, (e) => e.attrs.class === cls);
const one = (el: Element, cls: string) => {
  const found = byClass(el, cls);
  expect(found).toHaveLength(1);
  return found[0];
};
const texts = (el: Element) => all(el, (e) => e.name === 'text').map((t) => t.text);

/** Vertices of every subpath of a path's d (M x yLx y...M...). */
function subpaths(d: string): Array<Array<[number, number]>> {
  return d.split('M').filter(Boolean).map((sub) => sub.split('L').map((pair) => pair.split(' ').map(Number) as [number, number]));
}

const BITS = [16, 32, 64, 128];
/** Precision of the top N decaying from about 0.8 to 0.4, one curve per code length. */
function precisionAtN(maxN: number): Series[] {
  return BITS.map((bits, i) => ({
    name: `${bits} bits`,
    points: Array.from({ length: maxN }, (_, k): [number, number] => [k + 1, 0.4 + 0.03 * i + (0.3 + 0.03 * i) * Math.exp(-(k + 1) / (300 + 100 * i))]),
  }));
}
/** Precision-recall by Hamming radius: bits + 1 points from high precision at low recall to the class prior. */
function precisionRecall(): Series[] {
  return BITS.map((bits, i) => ({
    name: `${bits} bits`,
    points: Array.from({ length: 17 }, (_, k): [number, number] => [k / 16, 0.8 + 0.04 * i - (0.48 + 0.04 * i) * (k / 16) ** (1.5 + i / 2)]),
  }));
}
const chart = (patch: Partial<LineChart>): LineChart => ({ title: 'Image → Text', xLabel: 'Recall', yLabel: 'Precision', series: precisionRecall(), ...patch });
const render = (patch: Partial<LineChart>) => parseXml(renderLineChart(chart(patch)));

function caught(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('niceTicks', () => {
  it('picks 1, 2 or 5 x 10^k steps inside the domain (hand-computed)', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 2000)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(1, 2000)).toEqual([500, 1000, 1500, 2000]);
    expect(niceTicks(0, 1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(-1, 1)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(0, 100, 3)).toEqual([0, 50, 100]);
  });

  it('has no float noise (0.3, not 0.30000000000000004)', () => {
    expect(niceTicks(0.3, 0.9)).toEqual([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(niceTicks(0.3, 0.9).map(String)).toEqual(['0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9']);
    expect(niceTicks(1.01, 1.07).map(String)).toEqual(['1.01', '1.02', '1.03', '1.04', '1.05', '1.06', '1.07']);
  });

  it('covers any domain with about 5-8 evenly spaced nice ticks', () => {
    const domains: Array<[number, number]> = [[0, 1], [0.37, 0.83], [1, 1000], [1, 2000], [-7.3, 12.9], [1e-6, 3.7e-6], [2e5, 9e7], [0.001, 0.0013]];
    for (const [lo, hi] of domains) {
      const ticks = niceTicks(lo, hi);
      expect(ticks.length).toBeGreaterThanOrEqual(4);
      expect(ticks.length).toBeLessThanOrEqual(9);
      expect(ticks[0]).toBeGreaterThanOrEqual(lo);
      expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(hi);
      const step = ticks[1] - ticks[0];
      // Within one step of either end: the ticks span the domain.
      expect(ticks[0] - lo).toBeLessThan(step * (1 + 1e-9));
      expect(hi - ticks[ticks.length - 1]).toBeLessThan(step * (1 + 1e-9));
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBeCloseTo(step, 12);
      for (const t of ticks) expect(String(t)).not.toMatch(/\d{9,}/);
    }
  });

  it('a zero-range domain has one tick', () => {
    expect(niceTicks(5, 5)).toEqual([5]);
  });
});

describe('niceDomain', () => {
  it('widens outwards to whole steps (hand-computed)', () => {
    expect(niceDomain(0, 1)).toEqual([0, 1]);
    expect(niceDomain(0.38, 0.82)).toEqual([0.3, 0.9]);
    expect(niceDomain(1, 2000)).toEqual([0, 2000]);
    expect(niceDomain(3, 97)).toEqual([0, 100]);
  });

  it('a constant widens around its value', () => {
    const [lo, hi] = niceDomain(0.5, 0.5);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    expect(niceDomain(0, 0)).toEqual([-1, 1]);
  });
});

describe('linearScale', () => {
  it('maps domain ends onto range ends, linearly in between', () => {
    const toX = linearScale([0, 10], [100, 200]);
    expect([toX(0), toX(10), toX(2.5)]).toEqual([100, 200, 125]);
    // Screen y grows downwards: the domain minimum maps to the bottom.
    const toY = linearScale([0, 1], [300, 40]);
    expect([toY(0), toY(1), toY(0.5)]).toEqual([300, 40, 170]);
  });

  it('a zero-range domain maps to the middle of the range instead of dividing by zero', () => {
    const scale = linearScale([3, 3], [0, 100]);
    expect([scale(3), scale(7)]).toEqual([50, 50]);
  });
});

describe('renderLineChart document', () => {
  it('is a well-formed standalone SVG with size, viewBox, sans-serif text and a white background', () => {
    const svg = renderLineChart(chart({}));
    expect(svg.startsWith('<svg')).toBe(true);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', width: '640', height: '420', viewBox: '0 0 640 420', 'font-family': 'sans-serif' });
    const background = root.children.find((c) => c.name === 'rect');
    expect(background?.attrs).toMatchObject({ width: '640', height: '420', fill: '#ffffff' });
    expect(parseXml(renderLineChart(chart({ width: 800, height: 500 }))).attrs).toMatchObject({ width: '800', height: '500', viewBox: '0 0 800 500' });
  });

  it('has the title, axis labels (y rotated), one line per non-empty series and a legend entry per series', () => {
    const series = [...precisionRecall(), { name: 'no data yet', points: [] }];
    const root = render({ series });
    expect(one(root, 'title').text).toBe('Image → Text');
    expect(one(root, 'x-label').text).toBe('Recall');
    expect(one(root, 'y-label').text).toBe('Precision');
    expect(one(root, 'y-label').attrs.transform).toMatch(/^rotate\(-90 /);
    expect(byClass(root, 'series-line')).toHaveLength(4);
    expect(texts(one(root, 'legend'))).toEqual(series.map((s) => s.name));
  });

  it('gives series distinct colours and dash patterns (readable in grey too)', () => {
    const lines = byClass(render({}), 'series-line');
    expect(new Set(lines.map((l) => l.attrs.stroke)).size).toBe(4);
    expect(new Set(lines.map((l) => l.attrs['stroke-dasharray'] ?? 'solid')).size).toBe(4);
  });

  it('draws markers on short series only, unless told', () => {
    const markerGroups = (patch: Partial<LineChart>) => byClass(render(patch), 'series-markers');
    expect(markerGroups({})).toHaveLength(4);
    expect(markerGroups({ series: precisionAtN(1000) })).toHaveLength(0);
    expect(markerGroups({ markers: false })).toHaveLength(0);
    expect(markerGroups({ series: precisionAtN(100), markers: true })).toHaveLength(4);
  });

  it('maps the domain corners onto the plot-area corners, with lines clipped to the plot area', () => {
    const root = render({ xDomain: [0, 10], yDomain: [0, 1], series: [{ name: 'diagonal', points: [[0, 0], [10, 1]] }] });
    const area = one(root, 'plot-area').attrs;
    const [x, y, w, h] = [area.x, area.y, area.width, area.height].map(Number);
    expect(subpaths(one(root, 'series-line').attrs.d)).toEqual([[[x, y + h], [x + w, y]]]);
    const clipId = /^url\(#(.+)\)$/.exec(one(root, 'series').attrs['clip-path'])![1];
    const clip = all(root, (e) => e.name === 'clipPath' && e.attrs.id === clipId);
    expect(clip).toHaveLength(1);
    expect(clip[0].children[0].attrs).toMatchObject({ x: area.x, y: area.y, width: area.width, height: area.height });
  });

  it('labels ticks with nice numbers covering the domain, formatted without float noise', () => {
    const pr = render({ xDomain: [0, 1], yDomain: [0, 1] });
    expect(texts(one(pr, 'x-ticks'))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(texts(one(pr, 'y-ticks'))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);

    const pAtN = render({ series: precisionAtN(2000), xLabel: 'N', yLabel: 'Precision@N' });
    expect(texts(one(pAtN, 'x-ticks'))).toEqual(['0', '500', '1000', '1500', '2000']);
    // Data from 0.40 to 0.88, padded and rounded out to 0.1 steps.
    expect(texts(one(pAtN, 'y-ticks'))).toEqual(['0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '1.0']);
  });

  it('keeps the legend off the curves, inside the plot when a corner is free', () => {
    for (const series of [precisionRecall(), precisionAtN(1000)]) {
      const root = render({ series });
      const area = one(root, 'plot-area').attrs;
      const legend = one(root, 'legend').children[0].attrs;
      const [lx, ly, lw, lh] = [legend.x, legend.y, legend.width, legend.height].map(Number);
      expect(lx).toBeGreaterThan(Number(area.x));
      expect(lx + lw).toBeLessThan(Number(area.x) + Number(area.width));
      expect(ly + lh).toBeLessThan(Number(area.y) + Number(area.height));
      for (const line of byClass(root, 'series-line')) {
        for (const [px, py] of subpaths(line.attrs.d).flat()) expect(px >= lx && px <= lx + lw && py >= ly && py <= ly + lh).toBe(false);
      }
    }
  });

  it('moves the legend right of the plot when every corner is crossed', () => {
    const waves = Array.from({ length: 6 }, (_, i) => ({ name: `wave ${i}`, points: Array.from({ length: 80 }, (_, k): [number, number] => [k, Math.sin(k / 5 + i)]) }));
    const root = render({ series: waves });
    const area = one(root, 'plot-area').attrs;
    expect(Number(one(root, 'legend').children[0].attrs.x)).toBeGreaterThan(Number(area.x) + Number(area.width));
  });
});

describe('renderLineChart text escaping', () => {
  it('escapes & < > and quotes in titles, labels and series names', () => {
    const nasty = `A<B> & "C" 'D'`;
    const svg = renderLineChart(chart({ title: nasty, xLabel: nasty, yLabel: nasty, series: [{ name: nasty, points: [[0, 1], [1, 0]] }] }));
    const root = parseXml(svg);
    expect(one(root, 'title').text).toBe(nasty);
    expect(one(root, 'x-label').text).toBe(nasty);
    expect(one(root, 'y-label').text).toBe(nasty);
    expect(texts(one(root, 'legend'))).toEqual([nasty]);
    expect(svg).toContain('A&lt;B&gt; &amp; &quot;C&quot; &apos;D&apos;');
    expect(svg).not.toContain('A<B');
  });

  it('drops control characters XML cannot carry', () => {
    const root = render({ title: 'bell\u0007 here', series: [{ name: 'nul\u0000', points: [[0, 0]] }] });
    expect(one(root, 'title').text).toBe('bell here');
    expect(texts(one(root, 'legend'))).toEqual(['nul']);
  });
});

describe('renderLineChart with awkward data', () => {
  it('skips NaN and Infinity points, breaking the line there', () => {
    const points: Array<[number, number]> = [[0, 0], [1, NaN], [2, 1], [3, 2], [Infinity, 3], [5, 4], [6, 5], [-Infinity, 1]];
    const svg = renderLineChart(chart({ series: [{ name: 'gappy', points }], xDomain: [0, 6], yDomain: [0, 5] }));
    expect(svg).not.toMatch(/NaN|Infinity/);
    const root = parseXml(svg);
    expect(subpaths(one(root, 'series-line').attrs.d).map((run) => run.length)).toEqual([2, 2]);
    // The isolated first point, and with markers on all five finite points.
    const markers = one(root, 'series-markers').children;
    expect(markers).toHaveLength(5);
    const bare = parseXml(renderLineChart(chart({ series: [{ name: 'gappy', points }], markers: false })));
    expect(one(bare, 'series-markers').children).toHaveLength(1);
  });

  it('handles a constant series and zero-range domains without dividing by zero', () => {
    const flat = { name: 'flat', points: [[1, 0.5], [2, 0.5], [3, 0.5]] as Array<[number, number]> };
    const samePoint = { name: 'same', points: [[3, 0.5], [3, 0.5]] as Array<[number, number]> };
    for (const patch of [{ series: [flat] }, { series: [samePoint] }, { series: [flat], xDomain: [2, 2] as [number, number], yDomain: [0.5, 0.5] as [number, number] }]) {
      const svg = renderLineChart(chart(patch));
      expect(svg).not.toMatch(/NaN|Infinity/);
      const root = parseXml(svg);
      expect(texts(one(root, 'y-ticks')).length).toBeGreaterThan(1);
      expect(byClass(root, 'series-markers')).toHaveLength(1);
    }
    // The flat line sits mid-height, not on the frame.
    const root = render({ series: [flat] });
    const area = one(root, 'plot-area').attrs;
    const [[, y]] = subpaths(one(root, 'series-line').attrs.d)[0];
    expect(y).toBeCloseTo(Number(area.y) + Number(area.height) / 2, 0);
  });

  it('renders a single point as a marker and no line', () => {
    const root = render({ series: [{ name: 'one', points: [[0.5, 0.5]] }] });
    expect(byClass(root, 'series-line')).toHaveLength(0);
    expect(one(root, 'series-markers').children).toHaveLength(1);
  });

  it('renders empty charts: no series, empty series, only non-finite points', () => {
    for (const series of [[], [{ name: 'empty', points: [] }], [{ name: 'nan', points: [[NaN, 1], [2, NaN]] as Array<[number, number]> }]]) {
      const svg = renderLineChart(chart({ series }));
      expect(svg).not.toMatch(/NaN|Infinity/);
      const root = parseXml(svg);
      expect(byClass(root, 'series-line')).toHaveLength(0);
      expect(texts(one(root, 'x-ticks')).length).toBeGreaterThan(1);
      expect(byClass(root, 'legend')).toHaveLength(series.length);
    }
  });
});

describe('renderLineChart rejects bad input with ERR_ASCMH_PLOT', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no chart', null, /chart must be an object/],
    ['no series array', { title: 't', xLabel: 'x', yLabel: 'y' }, /series must be an array/],
    ['series without a name', chart({ series: [{ points: [] } as unknown as Series] }), /series 0 needs a string name/],
    ['points not an array', chart({ series: [{ name: 's', points: 'x' } as unknown as Series] }), /series 0 \(s\) points/],
    ['a point that is not a number pair', chart({ series: [{ name: 's', points: [[0, 1], ['1', 2]] } as unknown as Series] }), /point 1 must be an \[x, y\] pair/],
    ['non-finite domain', chart({ xDomain: [0, NaN] }), /xDomain must be two finite numbers/],
    ['infinite domain', chart({ yDomain: [0, Infinity] }), /yDomain must be two finite numbers/],
    ['reversed domain', chart({ xDomain: [1, 0] }), /min <= max/],
    ['zero width', chart({ width: 0 }), /width must be a number/],
    ['negative width', chart({ width: -640 }), /width must be a number/],
    ['NaN height', chart({ height: NaN }), /height must be a number/],
    ['title not a string', chart({ title: 3 as unknown as string }), /title must be a string/],
  ];
  for (const [what, input, message] of bad) {
    it(what, () => {
      const err = caught(() => renderLineChart(input as LineChart));
      expect(err).toBeInstanceOf(AscmhError);
      expect(err).toMatchObject({ code: 'ERR_ASCMH_PLOT', message: expect.stringMatching(message) });
    });
  }

  it('the helpers reject non-finite and reversed domains too', () => {
    for (const call of [() => niceTicks(0, NaN), () => niceDomain(Infinity, 1), () => niceTicks(2, 1)]) {
      expect(caught(call)).toMatchObject({ code: 'ERR_ASCMH_PLOT' });
    }
  });
});
