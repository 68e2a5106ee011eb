import { type WindowAxis } from '../shapes.ts';

/**
 * Pads and output padding of the ConvTranspose that scatters a window operator's output gradient
 * back onto its input: it starts `padBegin` before the input like the forward windows, and its end
 * is cropped (pads) or extended with zeros (output_padding) so that it covers exactly the input,
 * whatever rows the forward windows never reached (floor mode) or reached past (ceil mode).
 */
export function scatterGeometry(axes: readonly WindowAxis[]): { pads: number[]; outputPadding: number[] } {
  const ends = axes.map((a) => (a.out - 1) * a.stride + a.dilation * (a.kernel - 1) + 1 - a.padBegin);
  return {
    pads: [...axes.map((a) => a.padBegin), ...axes.map((a, i) => Math.max(0, ends[i]! - a.size))],
    outputPadding: axes.map((a, i) => Math.max(0, a.size - ends[i]!)),
  };
}
