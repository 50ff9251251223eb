// pngStats, the e2e tests' check that a screenshot or camera image is not blank, on PNGs of known content in each
// layout it decodes: RGBA, 16-bit grey, and indexed colour.
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { pngStats } from './app-server.ts';

const W = 8;
const H = 4;

describe('pngStats', () => {
  it('gives a one-colour RGBA image no variance, and a half-black half-white one the variance of 0 and 255', () => {
    const blank = pngStats(encode({ width: W, height: H, data: new Uint8Array(W * H * 4).fill(200), channels: 4, depth: 8 }));
    expect(blank).toEqual({ width: W, height: H, variance: 0, colors: 1 });
    const halves = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) halves.fill(p % 2 === 0 ? 0 : 255, p * 4, p * 4 + 3).fill(255, p * 4 + 3, p * 4 + 4);
    const stats = pngStats(encode({ width: W, height: H, data: halves, channels: 4, depth: 8 }));
    expect(stats.colors).toBe(2);
    expect(stats.variance).toBeCloseTo(127.5 ** 2, 6);
  });

  it('reads 16-bit grey as 8-bit levels, as a canvas would', () => {
    const grey = new Uint16Array(W * H).map((_, p) => (p < (W * H) / 2 ? 0 : 0xffff));
    const stats = pngStats(encode({ width: W, height: H, data: grey, channels: 1, depth: 16 }));
    expect(stats.colors).toBe(2);
    expect(stats.variance).toBeCloseTo(127.5 ** 2, 6);
  });

  it('reads indexed colour through its palette', () => {
    const indices = new Uint8Array(W * H).map((_, p) => p % 3);
    const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const stats = pngStats(encode({ width: W, height: H, data: indices, channels: 1, depth: 8, palette }));
    expect(stats.colors).toBe(3);
    expect(stats.variance).toBe(0); // the three have the same grey level
  });
});
