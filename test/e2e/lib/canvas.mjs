// Reads a chart canvas the way a user sees it: its pixels. Both functions run inside the
// webview frame (Playwright `evaluate`), so they are self-contained (no shared helpers).
// A bar colour is saturated and opaque; text, axes and grid lines are grey.

/**
 * Share of the canvas's pixels painted in a bar colour (0 for a blank canvas).
 * @param {HTMLCanvasElement} canvas @returns {number}
 */
export function barInk(canvas) {
  const { width, height } = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 128 && Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) ink++;
  }
  return ink / (width * height);
}

/**
 * Whether the pixel under each [x, y] (CSS px, as the chart reports its bar centres) has a
 * bar colour.
 * @param {HTMLCanvasElement} canvas @param {[number, number][]} points @returns {boolean[]}
 */
export function pixelsAt(canvas, points) {
  const box = canvas.getBoundingClientRect();
  const sx = canvas.width / box.width;
  const sy = canvas.height / box.height;
  const ctx = canvas.getContext('2d');
  return points.map(([x, y]) => {
    const [r, g, b, a] = ctx.getImageData(Math.round(x * sx), Math.round(y * sy), 1, 1).data;
    return a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 40;
  });
}
