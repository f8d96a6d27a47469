// A measurement probe, not part of the build or of anything shipped: enc0 of the [8,16] network in
// CUDA, the same algorithm as the tc16 GLSL pass (16x16 tile of 256 threads, A1/A0 staging from an
// rgba16f image, S pixel-major f16 with 24 halves per pixel, ldmatrix A blocks, m16n8k16 f16 MMAs,
// C through shared memory, one 16-byte store per pixel), so that Nsight Compute can say where such a
// pass spends its time (it cannot profile Vulkan pipelines). The weights and input are synthetic; the
// output is not checked against anything: only the time and the counters are read.
// Template arguments: MODE 0 as the GLSL, 1 the epilogue straight from the fragments (no C round trip,
// no barriers after the GEMM); R output rows per warp (2: 16x16 tiles, 4: 16x32); BLOCK each A1
// thread stages its own 2x2 pixels (no A0 array, mip2 once per block).
// Build and run (bench/RESULTS.md "Session 14"): nvcc -O3 -arch=sm_90a -o enc0_probe enc0_probe.cu;
// ./enc0_probe [variant 0-5]; ncu --clock-control none --launch-skip 5 --launch-count 1 ./enc0_probe V
#include <cuda_fp16.h>
#include <cstdio>
#include <cstdint>
#include <vector>
#include <cstdlib>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e)); exit(1); } } while (0)

__device__ __forceinline__ uint32_t pack2(float a, float b) {
    __half2 h = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&h);
}

template <int MODE, int R, bool BLOCK = false>
__global__ void __launch_bounds__(256) enc0(const uint2* __restrict__ in, uint4* __restrict__ out, const uint4* __restrict__ wts,
                                            const float* __restrict__ film, int W, int H)
{
    constexpr int TH = 8 * R, A1H = TH / 2 + 4, SH = TH + 2;
    __shared__ uint2 A0[24 * 2 * A1H];
    __shared__ uint2 A1[12 * A1H];
    __shared__ uint4 S[18 * SH * 3];
    __shared__ uint4 Wsh[144];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int tx0 = blockIdx.x * 16, ty0 = blockIdx.y * TH;
    float4 keep[4];
    float4 keep_m1 = make_float4(0, 0, 0, 0);
    for (int j = tid; j < 12 * A1H; j += 256) {
        int bx = j % 12, by = j / 12;
        int qx = tx0 - 4 + 2 * bx, qy = ty0 - 4 + 2 * by;
        float4 m = make_float4(0, 0, 0, 0);
        #pragma unroll
        for (int k = 0; k < 4; ++k) {
            int x = qx + (k & 1), y = qy + (k >> 1);
            bool inside = x >= 0 && y >= 0 && x < W && y < H;
            int cx = min(max(x, 0), W - 1), cy = min(max(y, 0), H - 1);
            uint2 p = in[cy * W + cx];
            float2 rg = __half22float2(*reinterpret_cast<__half2*>(&p.x));
            float2 ba = __half22float2(*reinterpret_cast<__half2*>(&p.y));
            float4 v = inside ? make_float4(fminf(fmaxf(rg.x, 0.f), 1.f), fminf(fmaxf(rg.y, 0.f), 1.f), fminf(fmaxf(ba.x, 0.f), 1.f), 1.f)
                              : make_float4(0, 0, 0, 0);
            if (BLOCK) keep[k] = v;
            else A0[(2 * by + (k >> 1)) * 24 + 2 * bx + (k & 1)] = make_uint2(pack2(v.x, v.y), pack2(v.z, v.w));
            m.x += v.x; m.y += v.y; m.z += v.z; m.w += v.w;
        }
        float4 a = m.w > 0 ? make_float4(m.x / m.w, m.y / m.w, m.z / m.w, 1.f) : make_float4(0, 0, 0, 0);
        keep_m1 = a;
        A1[j] = make_uint2(pack2(a.x, a.y), pack2(a.z, a.w));
    }
    if (tid < 144) Wsh[tid] = wts[tid];
    __syncthreads();
    if (BLOCK) {
        // This thread's 2x2 block (bx, by): its mip2 once, then its pixels inside the staged window.
        int bx = tid % 12, by = tid / 12;
        if (tid < 12 * A1H && bx >= 1 && bx <= 10 && by >= 1 && by <= TH / 2 + 2) {
            int a = (by >> 1) * 24 + (bx >> 1) * 2;
            float4 s = make_float4(0, 0, 0, 0);
            int idx[4] = {a, a + 1, a + 12, a + 13};
            #pragma unroll
            for (int k = 0; k < 4; ++k) {
                uint2 e = A1[idx[k]];
                float2 e01 = __half22float2(*reinterpret_cast<__half2*>(&e.x)), e23 = __half22float2(*reinterpret_cast<__half2*>(&e.y));
                s.x += e01.x; s.y += e01.y; s.z += e23.x; s.w += e23.y;
            }
            float4 m2 = s.w > 0 ? make_float4(s.x / s.w, s.y / s.w, s.z / s.w, 1.f) : make_float4(0, 0, 0, 0);
            #pragma unroll
            for (int k = 0; k < 4; ++k) {
                int tx = 2 * bx + (k & 1), ty = 2 * by + (k >> 1);
                if (tx < 3 || tx > 20 || ty < 3 || ty > TH + 4) continue;
                int i = (ty - 3) * 18 + (tx - 3);
                float w = keep[k].w;
                S[i * 3] = make_uint4(pack2(keep[k].x, keep[k].y), pack2(keep[k].z, w), pack2(keep_m1.x * w, keep_m1.y * w), pack2(keep_m1.z * w, m2.x * w));
                S[i * 3 + 1] = make_uint4(pack2(m2.y * w, m2.z * w), 0u, 0u, 0u);
                S[i * 3 + 2] = make_uint4(0u, 0u, 0u, 0u);
            }
        }
    } else
    for (int i = tid; i < 18 * SH; i += 256) {
        int tx = i % 18 + 3, ty = i / 18 + 3;
        uint2 f = A0[ty * 24 + tx];
        float2 f01 = __half22float2(*reinterpret_cast<__half2*>(&f.x)), f23 = __half22float2(*reinterpret_cast<__half2*>(&f.y));
        uint2 a1 = A1[(ty >> 1) * 12 + (tx >> 1)];
        float2 m01 = __half22float2(*reinterpret_cast<__half2*>(&a1.x)), m23 = __half22float2(*reinterpret_cast<__half2*>(&a1.y));
        int a = (ty >> 2) * 24 + (tx >> 2) * 2;
        float4 s = make_float4(0, 0, 0, 0);
        int idx[4] = {a, a + 1, a + 12, a + 13};
        #pragma unroll
        for (int k = 0; k < 4; ++k) {
            uint2 e = A1[idx[k]];
            float2 e01 = __half22float2(*reinterpret_cast<__half2*>(&e.x)), e23 = __half22float2(*reinterpret_cast<__half2*>(&e.y));
            s.x += e01.x; s.y += e01.y; s.z += e23.x; s.w += e23.y;
        }
        float w = f23.y;
        float4 m2 = s.w > 0 ? make_float4(s.x / s.w * w, s.y / s.w * w, s.z / s.w * w, w) : make_float4(0, 0, 0, 0);
        S[i * 3] = make_uint4(f.x, f.y, pack2(m01.x * w, m01.y * w), pack2(m23.x * w, m2.x));
        S[i * 3 + 1] = make_uint4(pack2(m2.y, m2.z), 0u, 0u, 0u);
        S[i * 3 + 2] = make_uint4(0u, 0u, 0u, 0u);
    }
    __syncthreads();
    // GEMM: rows r, r+1; A block of staged row e, column kx: pixels e*18 + kx + 0..15, 16 halves each.
    const int r = R * warp;
    uint32_t c[R][2] = {};
    uint32_t b[9][2];
    #pragma unroll
    for (int tap = 0; tap < 9; ++tap) {
        // B block of tap: 16 (k) x 8 (n) halves row-major (16 bytes a row) at tap * 16 uint4s.
        uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(&Wsh[tap * 16 + (lane & 15)]));
        asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(b[tap][0]), "=r"(b[tap][1]) : "r"(addr));
    }
    #pragma unroll
    for (int e = 0; e < R + 2; ++e) {
        #pragma unroll
        for (int kx = 0; kx < 3; ++kx) {
            int pix = (r + e) * 18 + kx + (lane & 15);
            const uint4* p = &S[pix * 3 + (lane >> 4)];
            uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(p));
            uint32_t a0, a1, a2, a3;
            asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(a0), "=r"(a1), "=r"(a2), "=r"(a3) : "r"(addr));
            #pragma unroll
            for (int ri = 0; ri < R; ++ri) {
                int ky = e - ri;
                if (ky < 0 || ky > 2) continue;
                int tap = ky * 3 + kx;
                asm volatile("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%0,%1};"
                             : "+r"(c[ri][0]), "+r"(c[ri][1]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b[tap][0]), "r"(b[tap][1]));
            }
        }
    }
    if (MODE == 0) {
        __syncthreads();
        // C[pixel][8 channels] over S as halves: row r + ri, pixel lane/4 (+8), channels (lane%4)*2..+1.
        uint32_t* C = reinterpret_cast<uint32_t*>(S);
        #pragma unroll
        for (int ri = 0; ri < R; ++ri) {
            int p0 = (r + ri) * 16 + lane / 4;
            C[p0 * 4 + lane % 4] = c[ri][0];
            C[(p0 + 8) * 4 + lane % 4] = c[ri][1];
        }
        __syncthreads();
        for (int pi = tid; pi < 16 * TH; pi += 256) {
        int px = pi % 16, py = pi / 16;
        int x = tx0 + px, y = ty0 + py;
        if (x >= W || y >= H) continue;
        uint4 v = reinterpret_cast<uint4*>(S)[pi];
        uint32_t w4[4] = {v.x, v.y, v.z, v.w};
        uint32_t o[4];
        #pragma unroll
        for (int j = 0; j < 4; ++j) {
            float2 f = __half22float2(*reinterpret_cast<__half2*>(&w4[j]));
            float y0 = fmaxf((f.x + film[16 + 2 * j]) * film[2 * j] + film[8 + 2 * j], 0.f);
            float y1 = fmaxf((f.y + film[17 + 2 * j]) * film[2 * j + 1] + film[9 + 2 * j], 0.f);
            o[j] = pack2(y0, y1);
        }
        out[y * W + x] = make_uint4(o[0], o[1], o[2], o[3]);
        }
    } else {
        // Straight from the fragments: lane holds pixels lane/4 and lane/4 + 8 of rows r, r+1, channels (lane%4)*2..+1;
        // four lanes exchange so that each stores 16 bytes of one pixel.
        #pragma unroll
        for (int ri = 0; ri < R; ++ri) {
            #pragma unroll
            for (int h = 0; h < 2; ++h) {
                int ch = (lane % 4) * 2;
                float2 f = __half22float2(*reinterpret_cast<__half2*>(&c[ri][h]));
                float y0 = fmaxf((f.x + film[16 + ch]) * film[ch] + film[8 + ch], 0.f);
                float y1 = fmaxf((f.y + film[17 + ch]) * film[ch + 1] + film[9 + ch], 0.f);
                uint32_t mine = pack2(y0, y1);
                uint32_t q0 = __shfl_sync(0xffffffffu, mine, (lane & ~3) + 0);
                uint32_t q1 = __shfl_sync(0xffffffffu, mine, (lane & ~3) + 1);
                uint32_t q2 = __shfl_sync(0xffffffffu, mine, (lane & ~3) + 2);
                uint32_t q3 = __shfl_sync(0xffffffffu, mine, (lane & ~3) + 3);
                int x = tx0 + lane / 4 + 8 * h, y = ty0 + r + ri;
                if ((lane & 3) == 0 && x < W && y < H) out[y * W + x] = make_uint4(q0, q1, q2, q3);
            }
        }
    }
}

int main(int argc, char** argv)
{
    int W = 3840, H = 2160, iters = 200;
    std::vector<uint2> hin(static_cast<size_t>(W) * H);
    for (size_t i = 0; i < hin.size(); ++i) {
        __half2 a = __floats2half2_rn((i % 97) / 97.f, (i % 89) / 89.f), bb = __floats2half2_rn((i % 83) / 83.f, 1.f);
        hin[i] = make_uint2(*reinterpret_cast<uint32_t*>(&a), *reinterpret_cast<uint32_t*>(&bb));
    }
    std::vector<uint4> hw(144);
    for (int i = 0; i < 144; ++i) { __half2 h = __floats2half2_rn(0.01f * (i % 7), -0.01f * (i % 5)); uint32_t u = *reinterpret_cast<uint32_t*>(&h); hw[i] = make_uint4(u, u, u, u); }
    std::vector<float> hf(24, 0.5f);
    uint2* din; uint4* dout; uint4* dw; float* df;
    CK(cudaMalloc(&din, hin.size() * 8)); CK(cudaMalloc(&dout, hin.size() * 16)); CK(cudaMalloc(&dw, 144 * 16)); CK(cudaMalloc(&df, 24 * 4));
    CK(cudaMemcpy(din, hin.data(), hin.size() * 8, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dw, hw.data(), 144 * 16, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(df, hf.data(), 24 * 4, cudaMemcpyHostToDevice));
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    auto launch = [&](int v) {
        dim3 g2((W + 15) / 16, (H + 15) / 16), g4((W + 15) / 16, (H + 31) / 32);
        if (v == 0) enc0<0, 2><<<g2, 256>>>(din, dout, dw, df, W, H);
        if (v == 1) enc0<1, 2><<<g2, 256>>>(din, dout, dw, df, W, H);
        if (v == 2) enc0<0, 4><<<g4, 256>>>(din, dout, dw, df, W, H);
        if (v == 3) enc0<1, 4><<<g4, 256>>>(din, dout, dw, df, W, H);
        if (v == 4) enc0<0, 2, true><<<g2, 256>>>(din, dout, dw, df, W, H);
        if (v == 5) enc0<0, 4, true><<<g4, 256>>>(din, dout, dw, df, W, H);
    };
    auto run = [&](int v) {
        for (int it = 0; it < 20; ++it) launch(v);
        cudaEventRecord(e0);
        for (int it = 0; it < iters; ++it) launch(v);
        cudaEventRecord(e1); CK(cudaEventSynchronize(e1));
        float ms; cudaEventElapsedTime(&ms, e0, e1);
        printf("enc0 probe variant %d %dx%d: %.4f ms/launch\n", v, W, H, ms / iters);
    };
    int only = argc > 1 ? atoi(argv[1]) : -1;
    for (int v = 0; v < 6; ++v) if (only < 0 || only == v) run(v);
    CK(cudaGetLastError());
    return 0;
}
