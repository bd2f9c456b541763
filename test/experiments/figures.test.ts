// The experiment figures (issue 15): point markers on every line, the protocol and the number of
// seeds under the title, precision axes from 0 to 1 whatever the data's range, and PNG copies of
// the charts' size (resvg) with valid chunks.
import { inflateSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ExperimentRow } from '../../src/experiments/experiment.js';
import { experimentFigures } from '../../src/experiments/figures.js';
import { svgToPng } from '../../src/experiments/png.js';

// Two code lengths whose precision differs by a few hundredths: the case a cropped axis exaggerates.
function row(bits: number, level: number): ExperimentRow {
  const ns = [1, 10, 50, 100, 200];
  const curve = (shift: number) => ({
    topN: { ns, precision: ns.map((_, i) => level + shift - 0.01 * i), recall: ns.map((n) => n / 200) },
    radius: { precision: Array.from({ length: bits + 1 }, (_, r) => (r === 0 ? null : level + shift - r / (10 * bits))), recall: Array.from({ length: bits + 1 }, (_, r) => r / bits) },
  });
  return { bits, i2t: level, t2i: level, i2tStd: 0, t2iStd: 0, trainSeconds: 0, curves: { i2t: curve(0), t2i: curve(0.02) } };
}
const rows = [row(16, 0.72), row(32, 0.75)];

/** The elements of one class group's first level: <g class="NAME" ...> ... </g> (no nested groups). */
const groups = (svg: string, name: string) => [...svg.matchAll(new RegExp(`<g class="${name}"[^>]*>([\\s\\S]*?)</g>`, 'g'))].map((m) => m[1]);
const attr = (element: string, name: string) => Number(new RegExp(`\\s${name}="([^"]+)"`).exec(element)![1]);

describe('experiment figures', () => {
  const figures = experimentFigures(rows, 'wiki', { protocol: 'train-codes', seeds: 5 });

  it('writes the four charts, each titled with the protocol and the number of seeds', () => {
    expect(figures.map((f) => f.file).sort()).toEqual(['precision-at-n-image-to-text.svg', 'precision-at-n-text-to-image.svg', 'precision-recall-image-to-text.svg', 'precision-recall-text-to-image.svg']);
    for (const { svg } of figures) {
      expect(svg).toMatch(/<title>wiki: [^<]+ \(train-codes protocol, mean of 5 seeds\)<\/title>/);
      expect(svg).toMatch(/<text class="subtitle"[^>]*>train-codes protocol, mean of 5 seeds<\/text>/);
    }
    expect(experimentFigures(rows, 'wiki', { protocol: 'encoded', seeds: 1 })[0].svg).toContain('encoded protocol, mean of 1 seed<');
  });

  it('marks every point of every line', () => {
    for (const { file, svg } of figures) {
      const marked = groups(svg, 'series-markers').map((g) => (g.match(/<(circle|path)\s/g) ?? []).length);
      // Top N: 5 points per line; precision-recall: radius 1..bits (radius 0 retrieved nothing).
      expect(marked, file).toEqual(file.includes('recall') ? [16, 32] : [5, 5]);
    }
  });

  it('puts precision 0 at the bottom and 1 at the top of the plot, though the data span 0.68 to 0.77', () => {
    for (const { file, svg } of figures) {
      const plot = /<rect class="plot-area"[^>]*>/.exec(svg)![0];
      const bottom = attr(plot, 'y') + attr(plot, 'height');
      const ticks = groups(svg, 'y-ticks')[0];
      const labels = [...ticks.matchAll(/<text [^>]*y="([\d.]+)">([^<]+)<\/text>/g)].map((m) => ({ y: Number(m[1]), value: Number(m[2]) }));
      expect(labels[0].value, file).toBe(0);
      expect(labels.at(-1)!.value, file).toBe(1);
      const lines = [...ticks.matchAll(/<line [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(lines[0], file).toBeCloseTo(bottom, 2);
      expect(lines.at(-1), file).toBeCloseTo(attr(plot, 'y'), 2);
    }
  });
});

/** The chunks of a PNG file, each checked against its CRC-32. */
function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  return chunks;
}

/** PNG's row filters undone (the PNG specification, section 9), for 8-bit RGBA. */
function unfilter(data: Buffer, width: number, height: number): Uint8Array {
  const stride = width * 4;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const type = data[y * (stride + 1)];
    const row = data.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    expect(type, `filter type of row ${y}`).toBeLessThanOrEqual(4);
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? out[y * stride + i - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= 4 && y > 0 ? out[(y - 1) * stride + i - 4] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][type];
      out[y * stride + i] = (row[i] + predictor) & 0xff;
    }
  }
  return out;
}

describe('PNG charts', () => {
  it('are valid PNGs of twice the SVG size (or the scale asked), with the chart drawn on them', async () => {
    const { svg } = experimentFigures(rows, 'wiki', { protocol: 'train-codes', seeds: 5 })[0];
    for (const scale of [2, 1]) {
      const png = Buffer.from(await svgToPng(svg, scale));
      const chunks = pngChunks(png);
      expect(chunks[0].type).toBe('IHDR');
      expect(chunks.at(-1)!.type).toBe('IEND');
      const ihdr = chunks[0].data;
      expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([640 * scale, 420 * scale]);
      // 8-bit RGBA, not interlaced: each row is a filter byte and 4 bytes per pixel.
      expect([ihdr[8], ihdr[9], ihdr[12]]).toEqual([8, 6, 0]);
      const pixels = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
      expect(pixels.length).toBe(420 * scale * (1 + 640 * scale * 4));
      if (scale === 1) {
        const rgba = unfilter(pixels, 640, 420);
        const at = (x: number, y: number) => [...rgba.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 4)];
        expect(at(0, 0)).toEqual([255, 255, 255, 255]); // the chart's white background
        let blue = 0;
        let dark = 0;
        for (let i = 0; i < rgba.length; i += 4) {
          if (Math.abs(rgba[i] - 0x00) < 24 && Math.abs(rgba[i + 1] - 0x72) < 24 && Math.abs(rgba[i + 2] - 0xb2) < 24) blue++;
          if (rgba[i] < 60 && rgba[i + 1] < 60 && rgba[i + 2] < 60) dark++;
        }
        expect(blue).toBeGreaterThan(200); // the first line (Okabe-Ito blue) and its markers
        expect(dark).toBeGreaterThan(500); // text: the title, the labels, the ticks
      }
    }
  });
});
