// Row-parallel loops for the per-frame pixel work (colour conversion, chroma resampling, staging).
//
// At 1080p the host's CPU work per frame (about 44 ms on one core of the H200 machine) outweighed
// the network itself (0.5 ms), so the loops over rows are split into bands that run on a small
// process-wide pool of worker threads. The pool is shared by every caller (the VapourSynth plugin
// calls in from several threads at once): a caller always works on its own bands too, so a call
// never waits for a free worker and never deadlocks.
#pragma once

#include <functional>

namespace cnnv3 {

// Calls fn(begin, end) for contiguous row ranges that together cover [0, rows) exactly once, in
// parallel where it pays (at least min_rows rows per band), and returns when all have run. The first
// exception thrown by fn is rethrown here after every band has finished.
void for_each_row_band(int rows, int min_rows, const std::function<void(int begin, int end)>& fn);

// Worker threads the pool runs besides the caller: $CNNV3_THREADS - 1 when set (1 = no workers),
// else the hardware's concurrency - 1, at most 15.
int row_band_workers();

}  // namespace cnnv3
