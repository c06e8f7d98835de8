// Writes an image folder of two colours for the browser test: DIR/{train,test}/{red,blue}/
// holding N noisy 12 x 12 PNGs each.
//
//   node colour_folder.mjs DIR N
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { png, noisyColour } from "./png.mjs";

const [dir, count] = process.argv.slice(2);
const colours = { red: [220, 30, 30], blue: [30, 40, 210] };
let seed = 1;
for (const split of ["train", "test"]) {
  for (const [name, colour] of Object.entries(colours)) {
    const folder = join(dir, split, name);
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < Number(count); i++) {
      writeFileSync(join(folder, i + ".png"), png(12, 12, 3, noisyColour(12, 12, colour, seed++)));
    }
  }
}
