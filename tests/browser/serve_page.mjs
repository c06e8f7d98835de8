// The browser test of `nnzero serve`: Debian's Chromium, driven by playwright-core, opens the
// page, draws real MNIST test digits on the pad with the mouse (each row's ink as a stroke),
// reads the class the page shows, and uploads a PNG of another digit.
//
//   node serve_page.mjs URL MNIST_DIR [--digits N] [--screenshot FILE.png]
//                                     [--phone-screenshot FILE.png]
//
// Prints one JSON line; exits 1 when a digit is read as another class.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { gunzipSync, deflateSync, crc32 } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, mnistDir, ...rest] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : fallback;
};
const digitCount = Number(option("--digits", "5"));
const screenshot = option("--screenshot", "");
const phoneScreenshot = option("--phone-screenshot", "");

// MNIST's test set: IDX files (a 16-byte header, then 28 x 28 bytes an image; labels after 8).
const images = gunzipSync(readFileSync(join(mnistDir, "t10k-images-idx3-ubyte.gz")));
const labels = gunzipSync(readFileSync(join(mnistDir, "t10k-labels-idx1-ubyte.gz")));
const digit = (i) => images.subarray(16 + 784 * i, 16 + 784 * (i + 1));
const label = (i) => labels[8 + i];

// Draws digit i: every horizontal run of ink (grey level >= 128) becomes one mouse stroke,
// the pad's 280 pixels standing for MNIST's 28.
async function draw(page, i) {
  const box = await page.locator("#pad").boundingBox();
  const cell = box.width / 28;
  const pixels = digit(i);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[28 * y + x] < 128) continue;
      let end = x;
      while (end + 1 < 28 && pixels[28 * y + end + 1] >= 128) end++;
      const py = box.y + (y + 0.5) * cell;
      await page.mouse.move(box.x + (x + 0.5) * cell, py);
      await page.mouse.down();
      await page.mouse.move(box.x + (end + 0.5) * cell, py, { steps: 2 });
      await page.mouse.up();
      x = end;
    }
  }
}

// The class on the page once the answers counter passed `before` and nothing is pending.
async function shownClass(page, before) {
  await page.waitForFunction(
    (n) => Number(document.body.dataset.answers) > n && document.body.dataset.pending === "0",
    before);
  return (await page.locator("#label").textContent()).trim();
}
const answers = async (page) => Number(await page.evaluate(() => document.body.dataset.answers));

// A grey PNG (colour type 0, 8 bits) of a 28 x 28 digit, black ink on white as on paper.
function png(pixels) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(28, 0);
  header.writeUInt32BE(28, 4);
  header[8] = 8;
  const rows = [];
  for (let y = 0; y < 28; y++) {
    rows.push(Buffer.from([0]), Buffer.from(pixels.subarray(28 * y, 28 * y + 28).map((v) => 255 - v)));
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
let failed = false;
const result = { drawn: [], uploaded: null };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
  page.on("pageerror", (e) => { console.error("page error:", e.message); failed = true; });
  // Drawing never makes an error answer (a stroke's first dot included).
  page.on("response", async (r) => {
    if (r.status() < 400) return;
    console.error("error answer:", r.status(), r.url(), await r.text());
    failed = true;
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.answers === "0");

  for (let i = 0; i < digitCount; i++) {
    await page.click("#clear");
    const before = await answers(page);
    await draw(page, i);
    const shown = await shownClass(page, before);
    result.drawn.push({ index: i, label: label(i), shown });
    if (shown !== String(label(i))) failed = true;
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  const uploadIndex = digitCount;  // a digit not drawn above
  const file = join(mkdtempSync(join(tmpdir(), "nnzero-browser-")), "digit.png");
  writeFileSync(file, png(digit(uploadIndex)));
  const before = await answers(page);
  await page.setInputFiles("#file", file);
  const shown = await shownClass(page, before);
  result.uploaded = { index: uploadIndex, label: label(uploadIndex), shown };
  if (shown !== String(label(uploadIndex))) failed = true;

  if (phoneScreenshot) {  // the same page on a phone-sized touch screen, one column
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    });
    await phone.goto(url);
    await phone.waitForFunction(() => document.body.dataset.answers === "0");
    await phone.setInputFiles("#file", file);
    await shownClass(phone, 0);
    await phone.screenshot({ path: phoneScreenshot, fullPage: true });
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ok: !failed, ...result }));
process.exit(failed ? 1 : 0);
