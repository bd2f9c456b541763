// The paper's figures for one experiment: precision of the top N against N (Figs. 4-6) and
// precision-recall by Hamming radius, one chart per task, one line per code length.
import type { ExperimentRow } from './experiment.js';
import { type Series, renderLineChart } from './plot.js';

const TASKS = [
  { key: 'i2t', title: 'Image \u2192 Text', slug: 'image-to-text' },
  { key: 't2i', title: 'Text \u2192 Image', slug: 'text-to-image' },
] as const;

/** One chart of an experiment, as a standalone SVG document. */
export interface Figure {
  /** File name, e.g. `precision-at-n-image-to-text.svg`. */
  file: string;
  svg: string;
}

/** What the figures say under their titles: how the numbers were obtained. */
export interface FigureContext {
  /** The evaluation protocol, e.g. 'train-codes' or 'encoded'. */
  protocol: string;
  /** How many seeds each point is the mean of. */
  seeds: number;
}

/**
 * The paper's figures of an experiment (rows with curves): precision of the top N and
 * precision-recall by Hamming radius, per task, one line (with point markers) per code length.
 * Precision axes run from 0 to 1, so the gap between two lines reads as what it is.
 */
export function experimentFigures(rows: ExperimentRow[], datasetName: string, context?: FigureContext): Figure[] {
  const subtitle = context && `${context.protocol} protocol, mean of ${context.seeds} seed${context.seeds === 1 ? '' : 's'}`;
  const withCurves = rows.filter((r) => r.curves);
  const figures: Figure[] = [];
  for (const task of TASKS) {
    const topN: Series[] = withCurves.map((r) => {
      const c = r.curves![task.key].topN;
      return { name: `${r.bits} bits`, points: c.ns.map((n, g) => [n, c.precision[g]] as [number, number]) };
    });
    figures.push({
      file: `precision-at-n-${task.slug}.svg`,
      svg: renderLineChart({ title: `${datasetName}: ${task.title}, precision of the top N`, subtitle, xLabel: 'N (items retrieved)', yLabel: 'Precision', series: topN, yDomain: [0, 1], markers: true }),
    });
    const pr: Series[] = withCurves.map((r) => {
      const c = r.curves![task.key].radius;
      const points: [number, number][] = [];
      c.recall.forEach((recall, radius) => {
        const precision = c.precision[radius];
        if (precision !== null) points.push([recall, precision]);
      });
      return { name: `${r.bits} bits`, points };
    });
    figures.push({
      file: `precision-recall-${task.slug}.svg`,
      svg: renderLineChart({ title: `${datasetName}: ${task.title}, precision-recall by Hamming radius`, subtitle, xLabel: 'Recall', yLabel: 'Precision', series: pr, xDomain: [0, 1], yDomain: [0, 1], markers: true }),
    });
  }
  return figures;
}

/** An N grid for top-N curves: dense at the start, up to the database size (at most maxN). */
export function topNGrid(databaseSize: number, maxN = 1000): number[] {
  const top = Math.max(1, Math.min(databaseSize, maxN));
  const grid = new Set<number>([1]);
  for (let n = 10; n <= top; n += n < 100 ? 10 : n < 500 ? 50 : 100) grid.add(n);
  grid.add(top);
  return [...grid].sort((a, b) => a - b);
}
