// Dependency-free SVG line charts for the evaluation figures (precision of the top N against N,
// precision-recall curves): one standalone SVG document per chart.
import { fail } from '../core/errors.js';

/** One line of a chart: its legend name and its [x, y] points (non-finite points leave a gap). */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

/** A line chart for renderLineChart. */
export interface LineChart {
  title: string;
  /** A second, smaller title line (for example the protocol and the number of seeds). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Default: from the data, "nice" rounded (y also padded). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Default 640 x 420. */
  width?: number;
  height?: number;
  /** Draw point markers (default: only on series with at most 40 points). */
  markers?: boolean;
}

type Interval = [number, number];
type Pixel = [number, number];
interface Box { x: number; y: number; width: number; height: number }

/** Ticks and the step they were chosen with (the step decides how many decimals labels get). */
interface Axis { domain: Interval; ticks: number[]; step: number }

const DEFAULT_WIDTH = 640;
const DEFAULT_HEIGHT = 420;
// Below this the axes, labels and legend no longer fit.
const MIN_WIDTH = 200;
const MIN_HEIGHT = 150;
const TICK_TARGET = 6;
const MAX_POINTS_WITH_MARKERS = 40;
const Y_PADDING = 0.05;

const FONT = { title: 15, subtitle: 12, label: 13, tick: 11, legend: 12 };
const TICK_LENGTH = 5;
const LINE_WIDTH = 1.8;
const MARKER_RADIUS = 3.5;
const LEGEND = { padding: 8, rowHeight: 18, swatch: 28, gap: 6, inset: 8 };

// Okabe-Ito, colour-blind safe; its yellow is left out because it vanishes on white. Colours (7),
// dashes (5) and markers (6) cycle with pairwise coprime lengths, so the first 210 series all differ
// and neighbours differ in every channel, which keeps the chart readable in grey.
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 2 1 2 1 2'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross'] as const;
type MarkerShape = (typeof MARKERS)[number];

interface SeriesStyle { color: string; dash: string; marker: MarkerShape; showMarkers: boolean }

/**
 * Ticks at multiples of a 1, 2 or 5 x 10^k step inside [min, max], about `target` of them.
 * A zero-range domain has the single tick `min`.
 */
export function niceTicks(min: number, max: number, target = TICK_TARGET): number[] {
  checkInterval([min, max], 'niceTicks domain');
  return axisInside([min, max], target).ticks;
}

/**
 * [min, max] widened outwards to multiples of a 1, 2 or 5 x 10^k step, about `target` ticks across;
 * a zero-range input is first widened around its value.
 */
export function niceDomain(min: number, max: number, target = TICK_TARGET): [number, number] {
  checkInterval([min, max], 'niceDomain input');
  return axisAround([min, max], target).domain;
}

/** Linear map from `domain` onto `range`; a zero-range domain maps everything to the range's middle. */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const factor = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * factor;
}

/** A complete standalone SVG document (opens in a browser, with xmlns, viewBox, width/height). */
export function renderLineChart(chart: LineChart): string {
  const spec = validate(chart);
  const runsPerSeries = spec.series.map((s) => finiteRuns(s.points));

  const xAxis = spec.xDomain ? axisInside(widenIfEmpty(spec.xDomain), TICK_TARGET) : axisAround(dataExtent(runsPerSeries, 0) ?? [0, 1], TICK_TARGET);
  // y follows only the points that are visible in the x domain.
  const yExtent = dataExtent(runsPerSeries, 1, spec.xDomain ? xAxis.domain : undefined);
  const yAxis = spec.yDomain
    ? axisInside(widenIfEmpty(spec.yDomain), TICK_TARGET)
    : axisAround(yExtent ? padded(yExtent) : [0, 1], TICK_TARGET);
  const xLabels = xAxis.ticks.map((t) => formatTick(t, xAxis.step));
  const yLabels = yAxis.ticks.map((t) => formatTick(t, yAxis.step));

  const styles: SeriesStyle[] = spec.series.map((s, i) => ({
    color: COLORS[i % COLORS.length],
    dash: DASHES[i % DASHES.length],
    marker: MARKERS[i % MARKERS.length],
    showMarkers: spec.markers ?? s.points.length <= MAX_POINTS_WITH_MARKERS,
  }));
  const legendSize = legendBox(spec.series.map((s) => s.name));

  const margins = {
    top: spec.title && spec.subtitle ? 56 : spec.title || spec.subtitle ? 40 : 16,
    bottom: spec.xLabel ? 52 : 30,
    left: 10 + (spec.yLabel ? FONT.label + 12 : 0) + Math.max(...yLabels.map((l) => textWidth(l, FONT.tick))) + TICK_LENGTH + 5,
    // The last x tick label is centred on the right edge and must not be cut off.
    right: Math.max(16, textWidth(xLabels[xLabels.length - 1] ?? '', FONT.tick) / 2 + 6),
  };
  const layout = (rightMargin: number) => {
    const plot: Box = { x: margins.left, y: margins.top, width: spec.width - margins.left - rightMargin, height: spec.height - margins.top - margins.bottom };
    const toX = linearScale(xAxis.domain, [plot.x, plot.x + plot.width]);
    const toY = linearScale(yAxis.domain, [plot.y + plot.height, plot.y]);
    const pixelRuns = runsPerSeries.map((runs) => runs.map((run) => run.map(([x, y]): Pixel => [toX(x), toY(y)])));
    return { plot, toX, toY, pixelRuns };
  };

  let frame = layout(margins.right);
  let legendAt: Pixel | undefined;
  if (spec.series.length > 0) {
    const inside = bestCorner(frame.plot, legendSize, frame.pixelRuns);
    const outsideRight = Math.max(margins.right, legendSize.width + 2 * LEGEND.inset);
    if (inside.hits === 0 || spec.width - margins.left - outsideRight < spec.width / 2) {
      legendAt = inside.at;
    } else {
      // No free corner: move the legend right of the plot rather than hide lines.
      frame = layout(outsideRight);
      legendAt = [frame.plot.x + frame.plot.width + LEGEND.inset, frame.plot.y];
    }
  }
  const { plot, toX, toY, pixelRuns } = frame;

  const out: string[] = [];
  const { width, height } = spec;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img">`,
    `<title>${escapeXml(spec.subtitle ? `${spec.title} (${spec.subtitle})` : spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<defs><clipPath id="plot-clip"><rect x="${num(plot.x)}" y="${num(plot.y)}" width="${num(plot.width)}" height="${num(plot.height)}"/></clipPath></defs>`,
  );

  const bottom = plot.y + plot.height;
  const right = plot.x + plot.width;
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of xAxis.ticks) out.push(`<line x1="${num(toX(t))}" y1="${num(plot.y)}" x2="${num(toX(t))}" y2="${num(bottom)}"/>`);
  for (const t of yAxis.ticks) out.push(`<line x1="${num(plot.x)}" y1="${num(toY(t))}" x2="${num(right)}" y2="${num(toY(t))}"/>`);
  out.push('</g>');

  out.push(`<g class="x-ticks" font-size="${FONT.tick}" fill="#333333" text-anchor="middle">`);
  xAxis.ticks.forEach((t, i) => {
    const x = num(toX(t));
    out.push(`<line x1="${x}" y1="${num(bottom)}" x2="${x}" y2="${num(bottom + TICK_LENGTH)}" stroke="#444444"/>`);
    out.push(`<text x="${x}" y="${num(bottom + TICK_LENGTH + 4 + FONT.tick * 0.8)}">${escapeXml(xLabels[i])}</text>`);
  });
  out.push('</g>');
  out.push(`<g class="y-ticks" font-size="${FONT.tick}" fill="#333333" text-anchor="end">`);
  yAxis.ticks.forEach((t, i) => {
    const y = num(toY(t));
    out.push(`<line x1="${num(plot.x - TICK_LENGTH)}" y1="${y}" x2="${num(plot.x)}" y2="${y}" stroke="#444444"/>`);
    out.push(`<text x="${num(plot.x - TICK_LENGTH - 3)}" y="${num(toY(t) + FONT.tick * 0.35)}">${escapeXml(yLabels[i])}</text>`);
  });
  out.push('</g>');

  out.push('<g class="series" clip-path="url(#plot-clip)" fill="none">');
  pixelRuns.forEach((runs, i) => {
    const style = styles[i];
    const drawn = runs.filter((run) => run.length > 1);
    if (drawn.length === 0) return;
    const d = drawn.map((run) => 'M' + run.map(([x, y]) => `${num(x)} ${num(y)}`).join('L')).join('');
    out.push(`<path class="series-line" d="${d}" stroke="${style.color}" stroke-width="${LINE_WIDTH}" stroke-linejoin="round"${dashAttr(style.dash)}/>`);
  });
  out.push('</g>');
  // Markers are not clipped, so points on the domain edge (recall 0 and 1) stay whole; points
  // outside the domain are left out instead.
  const inPlot = ([x, y]: Pixel) => x >= plot.x - 0.5 && x <= right + 0.5 && y >= plot.y - 0.5 && y <= bottom + 0.5;
  pixelRuns.forEach((runs, i) => {
    const style = styles[i];
    // Isolated points (a single point, or one between gaps) would be invisible without a marker.
    const marked = runs.flatMap((run) => (style.showMarkers || run.length === 1 ? run : [])).filter(inPlot);
    if (marked.length === 0) return;
    out.push(`<g class="series-markers" fill="${style.color}" stroke="${style.color}">`);
    for (const [x, y] of marked) out.push(marker(style.marker, x, y));
    out.push('</g>');
  });

  out.push(`<rect class="plot-area" x="${num(plot.x)}" y="${num(plot.y)}" width="${num(plot.width)}" height="${num(plot.height)}" fill="none" stroke="#444444" stroke-width="1"/>`);

  if (legendAt) out.push(...legendSvg(legendAt, legendSize, spec.series, styles));

  if (spec.title) {
    out.push(`<text class="title" x="${num(plot.x + plot.width / 2)}" y="24" font-size="${FONT.title}" font-weight="bold" fill="#111111" text-anchor="middle">${escapeXml(spec.title)}</text>`);
  }
  if (spec.subtitle) {
    out.push(`<text class="subtitle" x="${num(plot.x + plot.width / 2)}" y="${spec.title ? 42 : 24}" font-size="${FONT.subtitle}" fill="#333333" text-anchor="middle">${escapeXml(spec.subtitle)}</text>`);
  }
  if (spec.xLabel) {
    out.push(`<text class="x-label" x="${num(plot.x + plot.width / 2)}" y="${num(bottom + 40)}" font-size="${FONT.label}" fill="#111111" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  }
  if (spec.yLabel) {
    const x = 10 + FONT.label * 0.8;
    const y = plot.y + plot.height / 2;
    out.push(`<text class="y-label" x="${num(x)}" y="${num(y)}" transform="rotate(-90 ${num(x)} ${num(y)})" font-size="${FONT.label}" fill="#111111" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

interface ChartSpec {
  title: string; subtitle?: string; xLabel: string; yLabel: string; series: Series[];
  xDomain?: Interval; yDomain?: Interval; width: number; height: number; markers?: boolean;
}

function validate(chart: LineChart): ChartSpec {
  if (typeof chart !== 'object' || chart === null) fail('ERR_ASCMH_PLOT', 'chart must be an object');
  for (const key of ['title', 'xLabel', 'yLabel'] as const) {
    if (typeof chart[key] !== 'string') fail('ERR_ASCMH_PLOT', `chart ${key} must be a string`);
  }
  if (chart.subtitle !== undefined && typeof chart.subtitle !== 'string') fail('ERR_ASCMH_PLOT', 'chart subtitle must be a string');
  if (!Array.isArray(chart.series)) fail('ERR_ASCMH_PLOT', 'chart series must be an array');
  chart.series.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string') fail('ERR_ASCMH_PLOT', `series ${i} needs a string name`);
    if (!Array.isArray(s.points)) fail('ERR_ASCMH_PLOT', `series ${i} (${s.name}) points must be an array`);
    s.points.forEach((p, j) => {
      // NaN and Infinity are allowed (they become gaps); anything else that is not a number is a bug upstream.
      if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
        fail('ERR_ASCMH_PLOT', `series ${i} (${s.name}) point ${j} must be an [x, y] pair of numbers`);
      }
    });
  });
  if (chart.xDomain !== undefined) checkInterval(chart.xDomain, 'xDomain');
  if (chart.yDomain !== undefined) checkInterval(chart.yDomain, 'yDomain');
  const width = chart.width ?? DEFAULT_WIDTH;
  const height = chart.height ?? DEFAULT_HEIGHT;
  if (typeof width !== 'number' || !Number.isFinite(width) || width < MIN_WIDTH) fail('ERR_ASCMH_PLOT', `width must be a number >= ${MIN_WIDTH}, got ${width}`);
  if (typeof height !== 'number' || !Number.isFinite(height) || height < MIN_HEIGHT) fail('ERR_ASCMH_PLOT', `height must be a number >= ${MIN_HEIGHT}, got ${height}`);
  if (chart.markers !== undefined && typeof chart.markers !== 'boolean') fail('ERR_ASCMH_PLOT', 'markers must be a boolean');
  return { ...chart, width, height };
}

function checkInterval(interval: unknown, what: string): asserts interval is Interval {
  if (!Array.isArray(interval) || interval.length !== 2 || !interval.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    fail('ERR_ASCMH_PLOT', `${what} must be two finite numbers`);
  }
  const [lo, hi] = interval as Interval;
  if (lo > hi) fail('ERR_ASCMH_PLOT', `${what} must be [min, max] with min <= max, got [${lo}, ${hi}]`);
  if (!Number.isFinite(hi - lo)) fail('ERR_ASCMH_PLOT', `${what} [${lo}, ${hi}] is too wide to plot`);
}

/** Splits a series into runs of consecutive finite points; non-finite points break the line. */
function finiteRuns(points: Array<[number, number]>): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let run: Array<[number, number]> = [];
  for (const [x, y] of points) {
    if (Number.isFinite(x) && Number.isFinite(y)) {
      run.push([x, y]);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** [min, max] of coordinate `axis` over all finite points (optionally only those with x in `xWindow`). */
function dataExtent(runsPerSeries: Array<Array<Array<[number, number]>>>, axis: 0 | 1, xWindow?: Interval): Interval | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const runs of runsPerSeries) {
    for (const run of runs) {
      for (const p of run) {
        if (xWindow && (p[0] < xWindow[0] || p[0] > xWindow[1])) continue;
        lo = Math.min(lo, p[axis]);
        hi = Math.max(hi, p[axis]);
      }
    }
  }
  if (lo > hi) return undefined;
  if (!Number.isFinite(hi - lo)) fail('ERR_ASCMH_PLOT', `data range [${lo}, ${hi}] is too wide to plot`);
  return [lo, hi];
}

/** Pads both ends by a fraction of the range, without crossing zero (precision 0 stays the floor). */
function padded([lo, hi]: Interval): Interval {
  const pad = (hi - lo) * Y_PADDING;
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi <= 0 ? Math.min(0, hi + pad) : hi + pad];
}

/** A degenerate interval gets a range around its value so the scale has something to divide by. */
function widenIfEmpty([lo, hi]: Interval): Interval {
  const mid = (lo + hi) / 2;
  if (hi - lo > Math.abs(mid) * 1e-12) return [lo, hi];
  const half = mid === 0 ? 1 : Math.abs(mid) * 0.1;
  return [mid - half, mid + half];
}

/** Axis on a fixed domain: ticks inside it, about `target` of them. */
function axisInside(domain: Interval, target: number): Axis {
  const [lo, hi] = domain;
  if (lo === hi) return { domain, ticks: [lo], step: 1 };
  let best: Axis | undefined;
  let bestScore = Infinity;
  for (const step of stepCandidates(hi - lo, target)) {
    const ticks = ticksBetween(lo, hi, step);
    const score = tickCountPenalty(ticks.length, target);
    // Candidates come in ascending step order; `<=` prefers the larger step on ties (less clutter).
    if (score <= bestScore) [best, bestScore] = [{ domain, ticks, step }, score];
  }
  return best!;
}

/** Axis around data: the domain widens to whole steps, trading tick count against wasted space. */
function axisAround(extent: Interval, target: number): Axis {
  const [lo, hi] = widenIfEmpty(extent);
  let best: Axis | undefined;
  let bestScore = Infinity;
  for (const step of stepCandidates(hi - lo, target)) {
    const domain: Interval = [roundToStep(Math.floor(lo / step + 1e-9) * step, step), roundToStep(Math.ceil(hi / step - 1e-9) * step, step)];
    const ticks = ticksBetween(domain[0], domain[1], step);
    const wasted = 1 - (hi - lo) / (domain[1] - domain[0]);
    const score = tickCountPenalty(ticks.length, target) + 2 * wasted;
    if (score < bestScore) [best, bestScore] = [{ domain, ticks, step }, score];
  }
  return best!;
}

/** Any count in [target - 1, target + 2] reads well; within it, closer to target is slightly better. */
function tickCountPenalty(count: number, target: number): number {
  return Math.max(0, target - 1 - count, count - target - 2) + 0.1 * Math.abs(count - target);
}

/** 1, 2 and 5 x 10^k around span / target, ascending. */
function stepCandidates(span: number, target: number): number[] {
  const exponent = Math.floor(Math.log10(span / target));
  const steps: number[] = [];
  for (let k = exponent - 1; k <= exponent + 1; k++) for (const m of [1, 2, 5]) steps.push(m * 10 ** k);
  return steps;
}

function ticksBetween(lo: number, hi: number, step: number): number[] {
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundToStep(k * step, step));
  return ticks;
}

/** Decimals a step needs: 0.2 -> 1, 0.05 -> 2, 500 -> 0. */
function decimalsFor(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Removes float noise such as 3 * 0.1 = 0.30000000000000004. */
function roundToStep(value: number, step: number): number {
  const decimals = decimalsFor(step);
  return decimals <= 20 ? Number(value.toFixed(decimals)) : value;
}

function formatTick(value: number, step: number): string {
  const decimals = decimalsFor(step);
  const text = decimals <= 20 ? value.toFixed(decimals) : value.toPrecision(3);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** Rough text width for layout: generous sans-serif averages (DejaVu Sans is wider than Arial). */
function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    if ('.,:;!|ilIjtf\'" '.includes(ch)) em += 0.32;
    else if ('mwMW@'.includes(ch)) em += 0.9;
    else if (ch >= 'A' && ch <= 'Z') em += 0.72;
    else if (ch.codePointAt(0)! >= 0x2e80) em += 1; // CJK and other full-width scripts
    else em += 0.6;
  }
  return em * fontSize;
}

function legendBox(names: string[]): { width: number; height: number } {
  const widest = Math.max(0, ...names.map((n) => textWidth(n, FONT.legend)));
  return {
    width: LEGEND.padding * 2 + LEGEND.swatch + LEGEND.gap + widest,
    height: LEGEND.padding * 2 + names.length * LEGEND.rowHeight - (LEGEND.rowHeight - FONT.legend),
  };
}

/** The corner whose legend box crosses the fewest line segments; ties go to the earlier corner. */
function bestCorner(plot: Box, size: { width: number; height: number }, pixelRuns: Pixel[][][]): { at: Pixel; hits: number } {
  const left = plot.x + LEGEND.inset;
  const rightEdge = plot.x + plot.width - LEGEND.inset - size.width;
  const top = plot.y + LEGEND.inset;
  const lowEdge = plot.y + plot.height - LEGEND.inset - size.height;
  // Top-right first: decaying precision curves leave it empty most often.
  const corners: Pixel[] = [[rightEdge, top], [left, top], [rightEdge, lowEdge], [left, lowEdge]];
  let best = { at: corners[0], hits: Infinity };
  for (const at of corners) {
    // Keep a margin for markers and line width around the box.
    const margin = MARKER_RADIUS + 2;
    const box: Box = { x: at[0] - margin, y: at[1] - margin, width: size.width + 2 * margin, height: size.height + 2 * margin };
    const hits = pixelRuns.reduce((sum, runs) => sum + runs.reduce((n, run) => n + runHits(run, box), 0), 0);
    if (hits < best.hits) best = { at, hits };
  }
  return best;
}

function runHits(run: Pixel[], box: Box): number {
  if (run.length === 1) return segmentHitsBox(run[0], run[0], box) ? 1 : 0;
  let hits = 0;
  for (let i = 1; i < run.length; i++) if (segmentHitsBox(run[i - 1], run[i], box)) hits++;
  return hits;
}

/** Liang-Barsky: does the segment from a to b pass through the box? */
function segmentHitsBox([x0, y0]: Pixel, [x1, y1]: Pixel, box: Box): boolean {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const edges: Array<[number, number]> = [[-dx, x0 - box.x], [dx, box.x + box.width - x0], [-dy, y0 - box.y], [dy, box.y + box.height - y0]];
  let enter = 0;
  let leave = 1;
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) enter = Math.max(enter, t);
    else leave = Math.min(leave, t);
    if (enter > leave) return false;
  }
  return true;
}

function legendSvg([x, y]: Pixel, size: { width: number; height: number }, series: Series[], styles: SeriesStyle[]): string[] {
  const out = [
    `<g class="legend" font-size="${FONT.legend}">`,
    `<rect x="${num(x)}" y="${num(y)}" width="${num(size.width)}" height="${num(size.height)}" rx="3" fill="#ffffff" fill-opacity="0.9" stroke="#bbbbbb" stroke-width="1"/>`,
  ];
  series.forEach((s, i) => {
    const style = styles[i];
    const rowCentre = y + LEGEND.padding + FONT.legend / 2 + i * LEGEND.rowHeight;
    const x0 = x + LEGEND.padding;
    const x1 = x0 + LEGEND.swatch;
    out.push(
      '<g class="legend-entry">',
      `<line x1="${num(x0)}" y1="${num(rowCentre)}" x2="${num(x1)}" y2="${num(rowCentre)}" stroke="${style.color}" stroke-width="${LINE_WIDTH}"${dashAttr(style.dash)}/>`,
    );
    if (style.showMarkers) out.push(`<g fill="${style.color}" stroke="${style.color}">${marker(style.marker, (x0 + x1) / 2, rowCentre)}</g>`);
    out.push(`<text x="${num(x1 + LEGEND.gap)}" y="${num(rowCentre + FONT.legend * 0.35)}" fill="#111111">${escapeXml(s.name)}</text>`, '</g>');
  });
  out.push('</g>');
  return out;
}

function marker(shape: MarkerShape, x: number, y: number): string {
  const r = MARKER_RADIUS;
  const poly = (pts: Pixel[]) => `<path d="M${pts.map(([px, py]) => `${num(x + px)} ${num(y + py)}`).join('L')}Z" stroke="none"/>`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${r}" stroke="none"/>`;
    case 'square':
      return poly([[-r * 0.9, -r * 0.9], [r * 0.9, -r * 0.9], [r * 0.9, r * 0.9], [-r * 0.9, r * 0.9]]);
    case 'triangle':
      return poly([[0, -r * 1.2], [r * 1.1, r * 0.8], [-r * 1.1, r * 0.8]]);
    case 'diamond':
      return poly([[0, -r * 1.25], [r * 1.1, 0], [0, r * 1.25], [-r * 1.1, 0]]);
    case 'triangle-down':
      return poly([[0, r * 1.2], [r * 1.1, -r * 0.8], [-r * 1.1, -r * 0.8]]);
    case 'cross':
      return `<path d="M${num(x - r)} ${num(y - r)}L${num(x + r)} ${num(y + r)}M${num(x - r)} ${num(y + r)}L${num(x + r)} ${num(y - r)}" fill="none" stroke-width="1.8"/>`;
  }
}

function dashAttr(dash: string): string {
  return dash ? ` stroke-dasharray="${dash}"` : '';
}

/** Two decimals are sub-pixel precise and keep 2000-point curves small. */
function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

// Characters XML 1.0 forbids outright are dropped; markup characters are escaped.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, '').replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]);
}
