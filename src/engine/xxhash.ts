// XXH64 (seed 0), which Kusto's hash() applies to the UTF-8 bytes of a string.
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;
const M = (1n << 64n) - 1n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
const round = (acc: bigint, lane: bigint) => (rotl((acc + lane * P2) & M, 31n) * P1) & M;
const merge = (acc: bigint, v: bigint) => ((((acc ^ round(0n, v)) * P1) & M) + P4) & M;

export function xxh64(buf: Uint8Array, seed = 0n): bigint {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = buf.length;
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M;
    let v2 = (seed + P2) & M;
    let v3 = seed;
    let v4 = (seed - P1) & M;
    while (p + 32 <= len) {
      v1 = round(v1, dv.getBigUint64(p, true));
      v2 = round(v2, dv.getBigUint64(p + 8, true));
      v3 = round(v3, dv.getBigUint64(p + 16, true));
      v4 = round(v4, dv.getBigUint64(p + 24, true));
      p += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else h = (seed + P5) & M;
  h = (h + BigInt(len)) & M;
  while (p + 8 <= len) {
    h ^= round(0n, dv.getBigUint64(p, true));
    h = ((rotl(h, 27n) * P1) & M) + P4;
    h &= M;
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= (BigInt(dv.getUint32(p, true)) * P1) & M;
    h = ((rotl(h, 23n) * P2) & M) + P3;
    h &= M;
    p += 4;
  }
  while (p < len) {
    h ^= (BigInt(buf[p]!) * P5) & M;
    h = (rotl(h, 11n) * P1) & M;
    p++;
  }
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

/** Kusto's hash(): the XXH64 value as a signed 64-bit integer. */
export function kustoHash(s: string): bigint {
  return BigInt.asIntN(64, xxh64(Buffer.from(s, 'utf8')));
}

/** Kusto's hash() of a 64-bit value (a datetime's .NET ticks): XXH64 of its 8 little-endian bytes. */
export function kustoHashTicks(v: bigint): bigint {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return BigInt.asIntN(64, xxh64(b));
}
