// Test helper for the end-to-end GPU tests.
//
//   png_tool crop-tile SRC.png W H OUT.png    SRC tiled (mirrored) to W x H, 8-bit RGB, no colour chunks
//   png_tool to-raw16 IN.png OUT.raw          planar R, G, B planes, u16 little-endian, value * 65535
//   png_tool from-raw16 IN.raw W H OUT.png    the inverse, written as a 16-bit RGB PNG
//   png_tool interlace IN.png OUT.png         IN's pixels as an 8-bit RGB Adam7-interlaced PNG
//   png_tool diff A.png B.png MAX_ABS         max |A - B| over RGB, overall and on the 1-pixel border;
//                                             exit 1 when it exceeds MAX_ABS (a number or "N/255")
#include "png_image.h"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>
#include <string>

using namespace cnnv3;

namespace {

int mirror(int i, int n)
{
    const int period = 2 * n;
    i %= period;
    return i < n ? i : period - 1 - i;
}

double parse_tolerance(const std::string& s)
{
    const auto slash = s.find('/');
    if (slash == std::string::npos)
        return std::stod(s);
    return std::stod(s.substr(0, slash)) / std::stod(s.substr(slash + 1));
}

// An 8-bit RGB PNG with Adam7 interlacing (write_png_rgb writes progressive files only).
void write_interlaced_png(const char* path, const Planes& p)
{
    std::vector<png_byte> pixels(static_cast<std::size_t>(p.width) * p.height * 3);
    std::vector<png_bytep> rows;
    for (int y = 0; y < p.height; ++y) {
        for (int x = 0; x < p.width; ++x)
            for (int c = 0; c < 3; ++c)
                pixels[(static_cast<std::size_t>(y) * p.width + x) * 3 + c] =
                    static_cast<png_byte>(std::lround(std::clamp(p.at(c, y, x), 0.0f, 1.0f) * 255.0f));
        rows.push_back(pixels.data() + static_cast<std::size_t>(y) * p.width * 3);
    }
    std::FILE* f = std::fopen(path, "wb");
    if (!f)
        throw std::runtime_error(fmt::format("{}: cannot create", path));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        throw std::runtime_error(fmt::format("{}: libpng could not write it", path));
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, p.width, p.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fclose(f) != 0)
        throw std::runtime_error(fmt::format("{}: write failed", path));
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const std::string cmd = argc > 1 ? argv[1] : "";
        if (cmd == "crop-tile" && argc == 6) {
            const Planes src = read_png(argv[2]).rgb;
            const int w = std::stoi(argv[3]), h = std::stoi(argv[4]);
            Planes out(3, h, w);
            for (int c = 0; c < 3; ++c)
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x)
                        out.at(c, y, x) = src.at(c, mirror(y, src.height), mirror(x, src.width));
            write_png_rgb(argv[5], out, 8, true);
            return 0;
        }
        if (cmd == "to-raw16" && argc == 4) {
            const Planes p = read_png(argv[2]).rgb;
            std::vector<std::uint8_t> bytes;
            for (float v : p.data) {
                const auto q = static_cast<unsigned>(std::lround(std::clamp(v, 0.0f, 1.0f) * 65535.0f));
                bytes.push_back(static_cast<std::uint8_t>(q & 0xff));
                bytes.push_back(static_cast<std::uint8_t>(q >> 8));
            }
            std::ofstream(argv[3], std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                           static_cast<std::streamsize>(bytes.size()));
            return 0;
        }
        if (cmd == "from-raw16" && argc == 6) {
            const int w = std::stoi(argv[3]), h = std::stoi(argv[4]);
            Planes p(3, h, w);
            std::ifstream in(argv[2], std::ios::binary);
            std::vector<std::uint8_t> bytes(p.data.size() * 2);
            in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
            if (!in)
                throw std::runtime_error(std::string(argv[2]) + ": shorter than 3 planes of W x H u16");
            for (std::size_t i = 0; i < p.data.size(); ++i)
                p.data[i] = static_cast<float>(bytes[2 * i] | (bytes[2 * i + 1] << 8)) / 65535.0f;
            write_png_rgb(argv[5], p, 16, true);
            return 0;
        }
        if (cmd == "interlace" && argc == 4) {
            write_interlaced_png(argv[3], read_png(argv[2]).rgb);
            return 0;
        }
        if (cmd == "diff" && argc == 5) {
            const Planes a = read_png(argv[2]).rgb, b = read_png(argv[3]).rgb;
            if (a.width != b.width || a.height != b.height) {
                fmt::print("size differs: {}x{} vs {}x{}\n", a.width, a.height, b.width, b.height);
                return 1;
            }
            double worst = 0, border = 0, sum = 0;
            for (int c = 0; c < 3; ++c)
                for (int y = 0; y < a.height; ++y)
                    for (int x = 0; x < a.width; ++x) {
                        const double d = std::abs(double(a.at(c, y, x)) - b.at(c, y, x));
                        worst = std::max(worst, d);
                        sum += d;
                        if (x == 0 || y == 0 || x == a.width - 1 || y == a.height - 1)
                            border = std::max(border, d);
                    }
            const double limit = parse_tolerance(argv[4]);
            fmt::print("{}x{}: max abs {:.6f} ({:.3f}/255), border {:.3f}/255, mean {:.3f}/255, limit {:.3f}/255\n",
                       a.width, a.height, worst, worst * 255, border * 255, sum / (3.0 * a.width * a.height) * 255,
                       limit * 255);
            return worst <= limit ? 0 : 1;
        }
        fmt::print(stderr, "usage: png_tool crop-tile SRC W H OUT | to-raw16 IN OUT | from-raw16 IN W H OUT | interlace IN OUT | diff A B MAX_ABS\n");
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "png_tool: {}\n", e.what());
        return 1;
    }
}
