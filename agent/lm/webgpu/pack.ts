// Weights as the kernels read them. Int8 matrices [rows, cols] (checkpoint.ts quantizeInt8: symmetric, one F32
// scale per row) are packed four to a u32 along each row, the row padded with zeros to ceil(cols / 4) words: byte k
// of word w is column 4w + k (little-endian), read back with extractBits (program.ts int8Fn).

/** Words per packed row. */
export const int8Words = (cols: number): number => Math.ceil(cols / 4);

/** q [rows, cols] -> packed [rows, ceil(cols / 4)] u32. */
export function packInt8(q: Int8Array, rows: number, cols: number): Uint32Array {
  if (q.length !== rows * cols) throw new RangeError(`int8 matrix of ${q.length} values is not [${rows}, ${cols}]`);
  const words = int8Words(cols);
  const out = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const byte = q[r * cols + c]! & 0xff;
      out[r * words + (c >> 2)] = (out[r * words + (c >> 2)]! | (byte << (8 * (c & 3)))) >>> 0;
    }
  }
  return out;
}
