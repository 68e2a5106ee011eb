import { type Batch, ShapeError } from '@mixnsqueeze/core';

/** Where time step t of channel c of sample n lives: n * steps * channels + t * channels + c. */
export interface TimeGeometry {
  readonly samples: number;
  readonly steps: number;
  readonly channels: number;
}

/** Reads a batch as signals N x T (one channel) or N x T x C; anything else is a ShapeError. */
export function timeGeometry(x: Batch, who: string): TimeGeometry {
  const s = x.shape;
  if (s.length === 2) return { samples: s[0]!, steps: s[1]!, channels: 1 };
  if (s.length === 3) return { samples: s[0]!, steps: s[1]!, channels: s[2]! };
  throw new ShapeError(`${who}: expected signals of shape [N, T] or [N, T, C], got [${s.join(', ')}]. Time-axis squeezers need a sequence layout.`);
}
