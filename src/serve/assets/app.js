// The page of `nnzero serve`, in plain JavaScript. Three parts:
//   1. the drawing pad: pointer events (mouse, touch and pen alike) draw thick black strokes
//      on white, as one writes on paper;
//   2. asking the server: the pad (or a dropped photo) goes to POST /api/predict as a PNG;
//      the server does the preprocessing, so the page shows the input it sends back (28 x 28
//      grey levels for a digit model, the colour planes of one trained on photos): exactly
//      what the network saw;
//   3. showing the answer: the class, the probability bars, and the model's card.
// body.dataset.answers counts the answers shown and body.dataset.pending is "1" while one is
// awaited (the browser test waits on them).
"use strict";

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const seen = document.getElementById("seen");
const picker = document.getElementById("model");
let models = [];        // the cards from GET /api/models
let hasInk = false;     // nothing to ask about while the pad is blank
let inFlight = false;   // one request at a time ...
let again = false;      // ... and one more when the drawing changed meanwhile
let answers = 0;

// ---- 1. The drawing pad -------------------------------------------------------------------

function clearPad() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
  hasInk = false;
}

// Pointer position in the canvas's own pixels (the canvas is scaled by CSS).
function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width,
          (event.clientY - box.top) * pad.height / box.height];
}

function startDrawing() {
  let last = null;
  ink.strokeStyle = "#000";
  ink.lineCap = "round";
  ink.lineJoin = "round";
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    last = padPoint(event);
    stroke(last, last);
  });
  pad.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const point = padPoint(event);
    stroke(last, point);
    last = point;
  });
  const end = () => { last = null; predictPad(); };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
}

// A stroke about as thick, relative to the digit, as an MNIST pen stroke.
function stroke(from, to) {
  ink.lineWidth = pad.width / 12;
  ink.beginPath();
  if (from[0] === to[0] && from[1] === to[1]) {  // a dot: a line of length 0 draws nothing
    ink.arc(from[0], from[1], ink.lineWidth / 2, 0, 2 * Math.PI);
    ink.fillStyle = "#000";
    ink.fill();
  } else {
    ink.moveTo(from[0], from[1]);
    ink.lineTo(to[0], to[1]);
    ink.stroke();
  }
  hasInk = true;
  predictPad();  // live: every change asks again, at most one request in flight
}

// ---- 2. Asking the server -----------------------------------------------------------------

function predictPad() {
  if (!hasInk) return;
  if (inFlight) { again = true; return; }
  setInFlight(true);
  pad.toBlob((png) => ask(png, "image/png").finally(() => {
    setInFlight(false);
    if (again) { again = false; predictPad(); }
  }), "image/png");
}

function setInFlight(on) {
  inFlight = on;
  document.body.dataset.pending = on ? "1" : "0";
}

async function ask(body, type) {
  const url = "/api/predict?input=1&model=" + encodeURIComponent(picker.value);
  try {
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": type }, body });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    showAnswer(answer);
  } catch (error) {
    document.getElementById("error").textContent = error.message;
  }
}

// A photo: shown on the pad (fitted, on white) and sent as it is, in its own format.
function predictFile(file) {
  if (!file) return;
  const image = new Image();
  image.onload = () => {
    clearPad();
    const scale = Math.min(pad.width / image.width, pad.height / image.height);
    const w = image.width * scale, h = image.height * scale;
    ink.drawImage(image, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
    URL.revokeObjectURL(image.src);
  };
  image.src = URL.createObjectURL(file);
  setInFlight(true);
  ask(file, file.type || "image/unknown").finally(() => setInFlight(false));
}

// ---- 3. Showing the answer ----------------------------------------------------------------

function showAnswer(answer) {
  document.getElementById("error").textContent = "";
  const p = answer.probabilities;
  document.getElementById("label").textContent = answer.class;
  document.getElementById("confidence").textContent = percent(p[answer.label]) + " sure";
  const ranked = p.map((prob, k) => [prob, k]).sort((a, b) => b[0] - a[0]).slice(0, 10);
  document.getElementById("bars").replaceChildren(...ranked.map(([prob, k]) =>
    element("li", {}, [
      element("span", { className: "name", textContent: answer.classes[k] }),
      element("span", { className: "bar" }, [element("span", { style: "width:" + 100 * prob + "%" })]),
      element("span", { className: "p", textContent: percent(prob) }),
    ])));
  const card = models.find((m) => m.name === answer.model);
  if (answer.input && card) showInput(answer.input, card.input);
  document.body.dataset.answers = String(++answers);
}

// The network's input, values 0..255 in the model's input shape, one canvas pixel each (CSS
// enlarges it without smoothing): grey levels (a digit white on black), or for an input of
// 3 channels the red, green and blue planes.
function showInput(values, shape) {
  const [channels, height, width] = shape.length === 3 ? shape : [1, 28, 28];
  seen.width = width;
  seen.height = height;
  const plane = width * height;
  const pixels = seen.getContext("2d").createImageData(width, height);
  for (let i = 0; i < plane; i++) {
    const rgb = channels === 3 ? [values[i], values[plane + i], values[2 * plane + i]]
                               : [values[i], values[i], values[i]];
    pixels.data.set([...rgb, 255], 4 * i);
  }
  seen.getContext("2d").putImageData(pixels, 0, 0);
}

function describeInput(card) {
  const shape = card.input;
  document.getElementById("seen-note").textContent = card.preprocess === "image_folder"
    ? shape[1] + " × " + shape[2] + (shape[0] === 3 ? " colour pixels" : " grey levels") +
      ", resized as the training images were"
    : "28 × 28 grey levels, after the MNIST preprocessing";
}

function showCard(card) {
  describeInput(card);
  const rows = [
    ["model", card.model + " (" + card.file + ")"],
    ["input", card.input.join(" × ")],
    ["classes", card.classes.join(", ")],
    ["parameters", card.params.toLocaleString("en")],
  ];
  if (card.metrics && card.metrics.test_acc !== undefined) {
    rows.push(["test accuracy", percent(card.metrics.test_acc) +
               " after " + card.metrics.epochs + " epoch(s)"]);
  }
  const layers = card.layers.map((l) => l.name + " " + l.type + " → " + l.output.join("×"));
  rows.push(["layers", layers.join(" · ")]);
  document.getElementById("card").replaceChildren(element("table", {}, rows.map(([k, v]) =>
    element("tr", {}, [element("th", { textContent: k }), element("td", { textContent: v })]))));
}

function percent(x) { return (100 * x).toFixed(1) + " %"; }

function element(tag, properties, children = []) {
  const e = Object.assign(document.createElement(tag), properties);
  if (properties.style) e.setAttribute("style", properties.style);
  e.append(...children);
  return e;
}

// ---- Start --------------------------------------------------------------------------------

async function start() {
  clearPad();
  startDrawing();
  document.getElementById("clear").addEventListener("click", clearPad);
  const file = document.getElementById("file");
  file.addEventListener("change", () => predictFile(file.files[0]));
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    predictFile(e.dataTransfer.files[0]);
  });

  models = (await (await fetch("/api/models")).json()).models;
  picker.replaceChildren(...models.map((m) => element("option", { value: m.name, textContent: m.name })));
  document.getElementById("picker").hidden = models.length < 2;
  picker.addEventListener("change", () => { showCard(models[picker.selectedIndex]); predictPad(); });
  showCard(models[0]);
  document.body.dataset.answers = "0";
}

start();
