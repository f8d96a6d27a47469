// The scene-cut rule of shadergen/scene_cut.h for the page's video frames (RGBA8 ImageData): the
// mean luma (BT.709 weights on the gamma-encoded RGB) of each cell of a fixed grid, and a cut where
// the mean absolute difference from the previous frame's grid reaches the threshold. The constants
// come from web/generated/plan.js, written from the C++ header.
import {sceneCut} from './generated/plan.js';

// [begin, end) of cell i over `size` pixels, at least one pixel (as cell_span in C++).
function cellSpan(i, size) {
  const begin = Math.min(Math.floor((i * size) / sceneCut.cells), size - 1);
  const end = Math.max(Math.floor(((i + 1) * size) / sceneCut.cells), begin + 1);
  return [begin, end];
}

export function lumaThumbnail(image) {
  const {width, height, data} = image;
  const n = sceneCut.cells;
  const cells = new Float64Array(n * n);
  for (let cy = 0; cy < n; ++cy) {
    const [y0, y1] = cellSpan(cy, height);
    for (let cx = 0; cx < n; ++cx) {
      const [x0, x1] = cellSpan(cx, width);
      let sum = 0;
      for (let y = y0; y < y1; ++y)
        for (let x = x0; x < x1; ++x) {
          const i = (y * width + x) * 4;
          sum += (0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2]) / 255;
        }
      cells[cy * n + cx] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return cells;
}

export function thumbnailDifference(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; ++i) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export function isSceneCut(previous, current) {
  return thumbnailDifference(previous, current) >= sceneCut.threshold;
}
