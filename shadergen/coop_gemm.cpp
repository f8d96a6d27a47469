#include "coop_gemm.h"

#include "half.h"

#include <stdexcept>

namespace cnnv3 {

CoopGeometry coop_geometry(const ConvShape& conv, int channels)
{
    CoopGeometry g;
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

}  // namespace cnnv3
