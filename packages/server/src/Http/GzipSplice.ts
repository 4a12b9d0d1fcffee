import { constants, crc32, deflateRawSync } from "node:zlib"

/**
 * gzip of "a fixed head + a short per-request tail", compressing the head
 * once. The head is deflated with a sync flush (the stream stays open and
 * ends on a byte boundary); each request appends the tail as one final
 * *stored* (uncompressed) deflate block and the gzip trailer, whose CRC-32
 * continues the head's. The result is one ordinary gzip member (RFC 1951
 * §3.2.4, RFC 1952) that any gunzip reads, made per request with a CRC over
 * the tail's few dozen bytes and one copy.
 */
export interface GzipHead {
  /** The gzip header and the head's deflate blocks, sync-flushed. */
  readonly prefix: Buffer
  readonly crc: number
  readonly size: number
}

// ID1 ID2, CM = deflate, no flags, no mtime, no extra flags, OS unknown.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff])

/** A stored block holds at most 65,535 bytes; tails are far shorter. */
const MAX_TAIL = 0xffff

export const gzipHead = (head: Uint8Array): GzipHead => ({
  prefix: Buffer.concat([HEADER, deflateRawSync(head, { finishFlush: constants.Z_SYNC_FLUSH })]),
  crc: crc32(head),
  size: head.length
})

export const gzipWithTail = (head: GzipHead, tail: Buffer): Buffer => {
  if (tail.length > MAX_TAIL) throw new RangeError(`a gzip tail is at most ${MAX_TAIL} bytes, got ${tail.length}`)
  const block = Buffer.allocUnsafe(5)
  // BFINAL = 1, BTYPE = 00 (stored), the rest of the byte padding; then LEN and its one's complement.
  block[0] = 0x01
  block.writeUInt16LE(tail.length, 1)
  block.writeUInt16LE(~tail.length & 0xffff, 3)
  const trailer = Buffer.allocUnsafe(8)
  trailer.writeUInt32LE(crc32(tail, head.crc) >>> 0, 0)
  trailer.writeUInt32LE((head.size + tail.length) % 0x1_0000_0000, 4)
  return Buffer.concat([head.prefix, block, tail, trailer])
}
