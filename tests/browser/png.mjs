// PNG files from pixels, for the browser test: 8-bit grey (1 channel) or RGB (3), no filter.
import { deflateSync, crc32 } from "node:zlib";

export function png(width, height, channels, pixels) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = channels === 3 ? 2 : 0;  // colour type: RGB or grey
  const row = width * channels;
  const rows = [];
  for (let y = 0; y < height; y++) {
    rows.push(Buffer.from([0]), Buffer.from(pixels.subarray(row * y, row * (y + 1))));
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

// A width x height RGB image of `colour` ([r, g, b]) with seeded noise of +-40 per value.
export function noisyColour(width, height, colour, seed) {
  let state = seed * 2654435761 % 4294967296 || 1;
  const next = () => (state = (state * 1664525 + 1013904223) % 4294967296) / 4294967296;
  const px = new Uint8Array(width * height * 3);
  for (let i = 0; i < px.length; i++) {
    px[i] = Math.max(0, Math.min(255, Math.round(colour[i % 3] + 80 * (next() - 0.5))));
  }
  return px;
}
