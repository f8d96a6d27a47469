// The FiLM MLP (SPEC 3) in JavaScript, f32 arithmetic like evaluate_film_mlp (shadergen/film.cpp):
// every product and sum is rounded to f32 in the same order as the C++ loop (which a compiler may
// still contract into fused multiply-adds: the test allows 1e-6, measured about 6e-8).
//   h = relu(W0 c + b0); film = W1 h + b1
// mlp: {condDim, outDim, w0, b0, w1, b1} as web/model.js returns it; cond: condDim numbers.
import {filmHidden} from './model.js';

export function evaluateFilmMlp(mlp, cond) {
  if (cond.length !== mlp.condDim) throw new Error(`conditioning has ${cond.length} values (expected ${mlp.condDim})`);
  const f = Math.fround;
  const c = Array.from(cond, f);
  const hidden = new Float32Array(filmHidden);
  for (let j = 0; j < filmHidden; ++j) {
    let s = mlp.b0[j];
    for (let i = 0; i < mlp.condDim; ++i) s = f(s + f(mlp.w0[j * mlp.condDim + i] * c[i]));
    hidden[j] = s > 0 ? s : 0;
  }
  const out = new Float32Array(mlp.outDim);
  for (let o = 0; o < mlp.outDim; ++o) {
    let s = mlp.b1[o];
    for (let j = 0; j < filmHidden; ++j) s = f(s + f(mlp.w1[o * filmHidden + j] * hidden[j]));
    out[o] = s;
  }
  return out;
}
