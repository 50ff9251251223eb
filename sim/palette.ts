import type { Color } from './types.ts';

/** Display colours (sRGB hex) of the named colours. */
export const COLOR_HEX: Record<Color, number> = {
  red: 0xd0312d,
  green: 0x3a9d3a,
  blue: 0x2f6fd6,
  yellow: 0xf2d024,
  white: 0xf2f2f2,
  black: 0x222222,
  orange: 0xf08a24,
  purple: 0x8e44ad,
};
