// libFuzzer target for the PNG reader (cnnv3-shadergen reference IN.png): any input must give a
// picture or an ImageError, never a crash, a leak or an allocation past png_max_pixels.
#include "png_image.h"

#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        const cnnv3::PngImage image = cnnv3::decode_png(std::span(data, size), "fuzz.png");
        // Every sample of a decoded picture is a value in [0, 1].
        for (const float v : image.rgb.data)
            if (!(v >= 0.0f && v <= 1.0f))
                __builtin_trap();
    } catch (const cnnv3::ImageError&) {
    }
    return 0;
}
