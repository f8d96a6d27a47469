#include "reference.h"

#include <algorithm>
#include <cmath>

namespace cnnv3 {

Planes avgpool2(const Planes& in)
{
    Planes out(in.channels, (in.height + 1) / 2, (in.width + 1) / 2);
    for (int c = 0; c < in.channels; ++c) {
        for (int y = 0; y < out.height; ++y) {
            const int y1 = std::min(2 * y + 1, in.height - 1);
            for (int x = 0; x < out.width; ++x) {
                const int x1 = std::min(2 * x + 1, in.width - 1);
                float sum = 0.0f;
                int n = 0;
                for (int yy = 2 * y; yy <= y1; ++yy)
                    for (int xx = 2 * x; xx <= x1; ++xx, ++n)
                        sum += in.at(c, yy, xx);
                out.at(c, y, x) = sum / static_cast<float>(n);
            }
        }
    }
    return out;
}

Planes upsample2(const Planes& low, int height, int width)
{
    Planes out(low.channels, height, width);
    for (int c = 0; c < low.channels; ++c)
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                out.at(c, y, x) = low.at(c, y >> 1, x >> 1);
    return out;
}

Planes conv3x3(const Planes& in, const ConvWeights& conv)
{
    const ConvShape& s = conv.shape;
    if (in.channels != s.in)
        throw std::invalid_argument("conv3x3: input channel count does not match the layer");
    const int h = in.height, w = in.width, d = s.dilation;
    Planes out(s.out, h, w);
    for (int o = 0; o < s.out; ++o) {
        float* dst = out.plane(o);
        std::fill(dst, dst + out.plane_size(), conv.bias[static_cast<std::size_t>(o)]);
        for (int i = 0; i < s.in; ++i) {
            const float* src = in.plane(i);
            for (int ky = 0; ky < 3; ++ky) {
                const int dy = (ky - 1) * d;
                for (int kx = 0; kx < 3; ++kx) {
                    const int dx = (kx - 1) * d;
                    const float wt = conv.weight(o, i, ky, kx);
                    // Only output pixels whose tap lands inside the image; outside is zero padding.
                    const int y0 = std::max(0, -dy), y1 = std::min(h, h - dy);
                    const int x0 = std::max(0, -dx), x1 = std::min(w, w - dx);
                    for (int y = y0; y < y1; ++y) {
                        float* drow = dst + static_cast<std::size_t>(y) * w;
                        const float* srow = src + static_cast<std::size_t>(y + dy) * w + dx;
                        for (int x = x0; x < x1; ++x)
                            drow[x] += wt * srow[x];
                    }
                }
            }
        }
    }
    return out;
}

Planes photo_features(const Planes& rgb_in, const Planes* prev)
{
    if (rgb_in.channels != 3)
        throw std::invalid_argument("photo_features: expected 3 RGB channels");
    if (prev && (prev->channels != 3 || prev->height != rgb_in.height || prev->width != rgb_in.width))
        throw std::invalid_argument("photo_features: prev must hold 3 channels of the frame's size");
    Planes rgb = rgb_in;
    for (float& v : rgb.data)
        v = std::clamp(v, 0.0f, 1.0f);
    const int h = rgb.height, w = rgb.width;
    Planes f(feature_channels, h, w, 0.0f);
    const Planes mip1 = avgpool2(rgb);
    const Planes mip2 = avgpool2(mip1);
    for (int c = 0; c < 3; ++c) {
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
                f.at(c, y, x) = rgb.at(c, y, x);
                if (prev)
                    f.at(9 + c, y, x) = prev->at(c, y, x);
                f.at(12 + c, y, x) = mip1.at(c, y >> 1, x >> 1);
                f.at(15 + c, y, x) = mip2.at(c, y >> 2, x >> 2);
            }
        }
    }
    std::fill(f.plane(18), f.plane(18) + f.plane_size(), 1.0f);  // shadow: fully lit
    return f;
}

namespace {

// FiLM then activation, in place: y = act(gamma * x + beta).
enum class Activation { relu, sigmoid };

void film_activate(Planes& x, const FilmParams& film, Layer layer, Activation act)
{
    for (int c = 0; c < x.channels; ++c) {
        const float g = film.gamma(layer, c), b = film.beta(layer, c);
        float* p = x.plane(c);
        for (std::size_t i = 0; i < x.plane_size(); ++i) {
            const float v = g * p[i] + b;
            p[i] = act == Activation::relu ? std::max(v, 0.0f) : 1.0f / (1.0f + std::exp(-v));
        }
    }
}

Planes concat(const Planes& a, const Planes& b)
{
    Planes out(a.channels + b.channels, a.height, a.width);
    std::copy(a.data.begin(), a.data.end(), out.data.begin());
    std::copy(b.data.begin(), b.data.end(), out.data.begin() + static_cast<std::ptrdiff_t>(a.data.size()));
    return out;
}

}  // namespace

Planes run_network(const Model& model, const FilmParams& film, const Planes& features)
{
    if (features.channels != feature_channels)
        throw std::invalid_argument("run_network: expected 20 feature channels");
    if (features.height < 1 || features.width < 1)
        throw std::invalid_argument("run_network: empty image");
    Planes e0 = conv3x3(features, model.conv(Layer::enc0));
    film_activate(e0, film, Layer::enc0, Activation::relu);
    Planes e1 = conv3x3(avgpool2(e0), model.conv(Layer::enc1));
    film_activate(e1, film, Layer::enc1, Activation::relu);
    Planes b = conv3x3(avgpool2(e1), model.conv(Layer::bottleneck));
    film_activate(b, film, Layer::bottleneck, Activation::relu);  // identity FiLM: plain ReLU
    Planes d1 = conv3x3(concat(upsample2(b, e1.height, e1.width), e1), model.conv(Layer::dec1));
    film_activate(d1, film, Layer::dec1, Activation::relu);
    Planes out = conv3x3(concat(upsample2(d1, e0.height, e0.width), e0), model.conv(Layer::dec0));
    film_activate(out, film, Layer::dec0, Activation::sigmoid);
    return out;
}

Planes stylize_rgb(const Model& model, std::span<const float> cond, const Planes& rgb, const Planes* prev)
{
    FilmParams film(model.shape, evaluate_film_mlp(model.film_mlp, cond));
    return run_network(model, film, photo_features(rgb, prev));
}

}  // namespace cnnv3
