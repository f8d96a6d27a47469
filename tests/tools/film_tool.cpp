// Test helper: the C++ FiLM MLP (evaluate_film_mlp) on given conditioning vectors.
//
//   film_tool MODEL_DIR a,b,c,d,e [a,b,c,d,e ...]   one line per vector: the FiLM values, space
//                                                   separated, each printed so it reads back exactly
#include "cond_option.h"
#include "film.h"
#include "model.h"

#include <fmt/format.h>

#include <cstdio>

int main(int argc, char** argv)
{
    using namespace cnnv3;
    if (argc < 3) {
        fmt::print(stderr, "usage: film_tool MODEL_DIR a,b,c,d,e [a,b,c,d,e ...]\n");
        return 2;
    }
    try {
        const Model model = load_model(argv[1]);
        for (int i = 2; i < argc; ++i) {
            const std::vector<float> cond = parse_cond_option(argv[i]);
            check_cond_count(cond, model.shape.cond_dim);
            const std::vector<float> film = evaluate_film_mlp(model.film_mlp, cond);
            for (std::size_t k = 0; k < film.size(); ++k)
                fmt::print("{}{}", k ? " " : "", film[k]);
            fmt::print("\n");
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "film_tool: {}\n", e.what());
        return 1;
    }
    return 0;
}
