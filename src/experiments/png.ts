// PNG copies of the SVG charts (for slides), rasterised by resvg (@resvg/resvg-js, an optional
// package loaded on first use) with the system's fonts.
import { missingDependency } from '../core/errors.js';

type ResvgModule = typeof import('@resvg/resvg-js');
let resvgLoading: Promise<ResvgModule> | undefined;

function loadResvg(): Promise<ResvgModule> {
  resvgLoading ??= import('@resvg/resvg-js').catch((err: NodeJS.ErrnoException) =>
    err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND' ? missingDependency('@resvg/resvg-js', 'writing PNG charts') : Promise.reject(err),
  );
  return resvgLoading;
}

/** Fails now, with ERR_ASCMH_MISSING_DEPENDENCY, when PNGs could not be written later. */
export async function checkPngRenderer(): Promise<void> {
  await loadResvg();
}

/**
 * A PNG of a standalone SVG document, `scale` times its width and height in pixels (default 2,
 * sharp on slides), on the white background the chart draws itself.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await loadResvg();
  const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);
  const resvg = new Resvg(svg, {
    fitTo: Number.isFinite(width) ? { mode: 'width', value: Math.round(width * scale) } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
