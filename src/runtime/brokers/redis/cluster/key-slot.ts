/** Redis Cluster's 16384 hash slots. */
export const SLOT_COUNT = 16_384;

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster's spec names for key slots. */
const TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/**
 * The hash slot of `key`, as CLUSTER KEYSLOT computes it: only the part
 * between the first `{` and the next `}` counts when that part is not empty
 * (the hash tag that keeps `tq:{queue}:…` keys of one queue together).
 * Written here rather than taken from cluster-key-slot, which ioredis brings
 * along but tq does not depend on (and which ships no types).
 */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc % SLOT_COUNT;
}
