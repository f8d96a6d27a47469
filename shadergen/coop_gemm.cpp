#include "coop_gemm.h"

#include "half.h"

#include <stdexcept>

namespace cnnv3 {

CoopGeometry coop_geometry(const ConvShape& conv, int channels, CoopSums sums)
{
    CoopGeometry g;
    g.sums = sums;
    g.dilation = conv.dilation;
    g.kp = (channels + CoopGeometry::k - 1) / CoopGeometry::k * CoopGeometry::k;
    g.np = (conv.out + CoopGeometry::n - 1) / CoopGeometry::n * CoopGeometry::n;
    return g;
}

std::vector<std::uint16_t> pack_coop_weights(const ConvWeights& conv, const std::vector<int>& channel_map,
                                             const CoopGeometry& g)
{
    if (static_cast<int>(channel_map.size()) != g.kp)
        throw std::invalid_argument("pack_coop_weights: the channel map must have kp entries");
    std::vector<std::uint16_t> out(static_cast<std::size_t>(9 * g.k_blocks() * g.n_blocks() * g.k * g.n), 0);
    for (int tap = 0; tap < 9; ++tap)
        for (int kb = 0; kb < g.k_blocks(); ++kb)
            for (int nb = 0; nb < g.n_blocks(); ++nb)
                for (int kk = 0; kk < g.k; ++kk)
                    for (int nn = 0; nn < g.n; ++nn) {
                        const int in = channel_map[static_cast<std::size_t>(kb * g.k + kk)], o = nb * g.n + nn;
                        const float w = in >= 0 && o < conv.shape.out ? conv.weight(o, in, tap / 3, tap % 3) : 0.0f;
                        out[static_cast<std::size_t>(g.b_offset(tap, kb, nb) + kk * g.n + nn)] = float_to_half(w);
                    }
    return out;
}

std::vector<std::uint16_t> pack_paired_weights(const ConvWeights& conv)
{
    if (conv.shape.in != 8 || conv.shape.out != 16 || conv.shape.dilation != 1)
        throw std::invalid_argument("pack_paired_weights: expected an 8 -> 16 conv without dilation");
    constexpr int k = CoopGeometry::k, n = CoopGeometry::n;
    std::vector<std::uint16_t> out(static_cast<std::size_t>(CoopLowRes::enc1_k_blocks * 2 * k * n), 0);
    for (int kb = 0; kb < CoopLowRes::enc1_k_blocks; ++kb)
        for (int nb = 0; nb < 2; ++nb)
            for (int kk = 0; kk < k; ++kk)
                for (int nn = 0; nn < n; ++nn) {
                    const int ky = kb / 2, kx = 2 * (kb % 2) + kk / 8;
                    const float w = kx < 3 ? conv.weight(nb * n + nn, kk % 8, ky, kx) : 0.0f;
                    out[static_cast<std::size_t>(((kb * 2 + nb) * k + kk) * n + nn)] = float_to_half(w);
                }
    return out;
}

}  // namespace cnnv3
