import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a vega-lite spec to a standalone SVG string, headless (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface Point {
  readonly x: number;
  readonly y: number;
  readonly series: string;
  readonly low?: number;
  readonly high?: number;
}

/** A line chart with one line per series, optional error band (low/high) and optional dashed reference series. */
export function lineChart(title: string, xTitle: string, yTitle: string, points: readonly Point[], yDomain?: [number, number]): TopLevelSpec {
  const hasBand = points.some((p) => p.low !== undefined);
  const y = { field: 'y', type: 'quantitative' as const, title: yTitle, ...(yDomain ? { scale: { domain: yDomain } } : {}) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 220,
    data: { values: points.map((p) => ({ ...p, paper: p.series.startsWith('paper') })) },
    layer: [
      ...(hasBand
        ? [{ mark: { type: 'area' as const, opacity: 0.15 }, encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'low', type: 'quantitative' as const }, y2: { field: 'high' }, color: { field: 'series', type: 'nominal' as const } } }]
        : []),
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: xTitle },
          y,
          color: { field: 'series', type: 'nominal', title: null },
          strokeDash: { field: 'paper', type: 'nominal', legend: null },
        },
      },
    ],
  } as TopLevelSpec;
}

/** A heat map of values in [0, 1]: rows x columns. */
export function heatMap(title: string, xTitle: string, yTitle: string, cells: readonly { x: string; y: string; value: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 300,
    data: { values: cells as { x: string; y: string; value: number }[] },
    mark: 'rect',
    encoding: {
      x: { field: 'x', type: 'ordinal', title: xTitle, sort: null },
      y: { field: 'y', type: 'ordinal', title: yTitle, sort: null, axis: { labels: false, ticks: false } },
      color: { field: 'value', type: 'quantitative', title: 'p(error)', scale: { domain: [0, 1], scheme: 'viridis' } },
    },
  } as TopLevelSpec;
}
