#include "nnzero/io/channel_norm.h"

#include <cmath>

#include "nnzero/error.h"

namespace nnzero {

void ChannelNorm::apply(float* x, int64_t n, int64_t plane) const {
  const int64_t c_count = channels();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < c_count; ++c) {
      // (x - mean) / std as one multiply-add: x * (1 / std) - mean / std.
      const float scale = 1.0f / std[static_cast<size_t>(c)];
      const float shift = -mean[static_cast<size_t>(c)] * scale;
      float* p = x + (i * c_count + c) * plane;
      for (int64_t k = 0; k < plane; ++k) p[k] = p[k] * scale + shift;
    }
  }
}

void ChannelNorm::add_to(nlohmann::json& preprocess) const {
  if (empty()) return;
  preprocess["mean"] = mean;
  preprocess["std"] = std;
}

ChannelNorm ChannelNorm::from(const nlohmann::json& preprocess, int64_t channels,
                              const std::string& where) {
  ChannelNorm norm;
  if (!preprocess.contains("mean") && !preprocess.contains("std")) return norm;
  const auto values = [&](const char* key, bool positive) {
    const std::string what = where + ": nnzero.preprocess \"" + key + "\"";
    if (!preprocess.contains(key)) throw Error(what + " is missing");
    const nlohmann::json& list = preprocess[key];
    if (!list.is_array() || static_cast<int64_t>(list.size()) != channels) {
      throw Error(what + " must be a list of " + std::to_string(channels) +
                  " numbers (one per channel), got " + list.dump());
    }
    std::vector<float> out;
    for (const nlohmann::json& v : list) {
      const double d = v.is_number() ? v.get<double>() : std::nan("");
      if (!std::isfinite(d) || (positive && !(d > 0))) {
        throw Error(what + " holds " + v.dump() +
                    (positive ? "; each must be a positive number" : "; each must be a number"));
      }
      out.push_back(static_cast<float>(d));
    }
    return out;
  };
  norm.mean = values("mean", false);
  norm.std = values("std", true);
  return norm;
}

}  // namespace nnzero
