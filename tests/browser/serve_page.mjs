// The browser test of `nnzero serve`: Debian's Chromium, driven by playwright-core, opens the
// page, draws real MNIST test digits on the pad with the mouse (each row's ink as a stroke),
// reads the class the page shows, and uploads a PNG of another digit. With --colour NAME it
// then picks that model (one trained on an image folder of red and blue pictures), uploads a
// red photo and checks the class and the colours of what the page says the network saw.
//
//   node serve_page.mjs URL MNIST_DIR [--digits N] [--colour MODEL] [--screenshot FILE.png]
//                                     [--phone-screenshot FILE.png] [--colour-screenshot FILE.png]
//
// Prints one JSON line; exits 1 when a digit is read as another class.
import { chromium } from "playwright-core";
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { png, noisyColour } from "./png.mjs";

const [url, mnistDir, ...rest] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : fallback;
};
const digitCount = Number(option("--digits", "5"));
const screenshot = option("--screenshot", "");
const phoneScreenshot = option("--phone-screenshot", "");
const colourModel = option("--colour", "");
const colourScreenshot = option("--colour-screenshot", "");

// MNIST's test set: IDX files (a 16-byte header, then 28 x 28 bytes an image; labels after 8).
// Raw, as `nnzero data fetch mnist` leaves them, or gzipped, as MNIST's site serves them.
const readIdx = (name) => existsSync(join(mnistDir, name))
  ? readFileSync(join(mnistDir, name)) : gunzipSync(readFileSync(join(mnistDir, name + ".gz")));
const images = readIdx("t10k-images-idx3-ubyte");
const labels = readIdx("t10k-labels-idx1-ubyte");
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

// A digit as a grey PNG, black ink on white as on paper.
const digitPng = (pixels) => png(28, 28, 1, pixels.map((v) => 255 - v));

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
  writeFileSync(file, digitPng(digit(uploadIndex)));
  const before = await answers(page);
  await page.setInputFiles("#file", file);
  const shown = await shownClass(page, before);
  result.uploaded = { index: uploadIndex, label: label(uploadIndex), shown };
  if (shown !== String(label(uploadIndex))) failed = true;

  if (colourModel) {  // a red photo for the colour model: its class and the input in colour
    const photo = join(mkdtempSync(join(tmpdir(), "nnzero-browser-")), "red.png");
    writeFileSync(photo, png(40, 30, 3, noisyColour(40, 30, [220, 30, 30], 99)));
    await page.selectOption("#model", colourModel);
    const before = await answers(page);
    await page.setInputFiles("#file", photo);
    const shown = await shownClass(page, before);
    const seen = await page.evaluate(() => {
      const c = document.getElementById("seen");
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let r = 0, g = 0, b = 0;
      for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
      const n = d.length / 4;
      return { width: c.width, height: c.height, mean: [r / n, g / n, b / n],
               note: document.getElementById("seen-note").textContent };
    });
    result.colour = { shown, seen };
    const [r, g, b] = seen.mean;
    if (shown !== "red" || seen.width !== 12 || seen.height !== 12 || !(r > 150 && g < 90 && b < 90) ||
        seen.note !== "12 × 12 colour pixels, resized as the training images were") {
      failed = true;
    }
    if (colourScreenshot) await page.screenshot({ path: colourScreenshot, fullPage: true });
  }

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
