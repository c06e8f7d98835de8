// The attention picture (book 2, figure 8-26): the weights with which each character of an
// answer looked at each character of the question, as a grey heat map (white: weight 1,
// black: 0, as the book's Greys_r), the question along the bottom, the answer down the side.
#pragma once

#include <string>
#include <vector>

namespace nnzero::plot {

// weights: rows = answer characters, columns = question characters, row-major.
void draw_attention(const std::string& png, const std::vector<float>& weights,
                    const std::vector<std::string>& answer,
                    const std::vector<std::string>& question, const std::string& title);

}  // namespace nnzero::plot
