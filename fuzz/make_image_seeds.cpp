// Writes the seeds of fuzz_image into fuzz/corpus/image/: tiny images in every format
// nnzero documents (PNG grey and RGBA, JPEG grey and colour, BMP, TGA, HDR, PGM, PPM, GIF),
// and the damaged ones of issue 17 (a truncated JPEG, a PNG header claiming 100000 x 100000).
//
//   c++ -std=c++20 fuzz/make_image_seeds.cpp -I/usr/include/stb -lstb -o /tmp/seeds && /tmp/seeds
#include <stb_image_write.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace {
const std::string kOut = "fuzz/corpus/image/";

void spit(const std::string& name, const std::string& bytes) {
  std::ofstream(kOut + name, std::ios::binary) << bytes;
}

// A w x h card with `comp` channels: value (x * 37 + y * 91 + c * 53) % 256.
std::vector<uint8_t> card(int w, int h, int comp) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * comp));
  for (int i = 0; i < w * h * comp; ++i) {
    const int x = i / comp % w, y = i / comp / w, c = i % comp;
    px[static_cast<size_t>(i)] = static_cast<uint8_t>((x * 37 + y * 91 + c * 53) % 256);
  }
  return px;
}
}  // namespace

int main() {
  const auto grey = card(8, 6, 1), rgb = card(5, 4, 3), rgba = card(4, 3, 4);
  stbi_write_png((kOut + "grey.png").c_str(), 8, 6, 1, grey.data(), 8);
  stbi_write_png((kOut + "rgba.png").c_str(), 4, 3, 4, rgba.data(), 16);
  stbi_write_jpg((kOut + "grey.jpg").c_str(), 8, 6, 1, grey.data(), 75);
  stbi_write_jpg((kOut + "rgb.jpg").c_str(), 5, 4, 3, rgb.data(), 90);
  stbi_write_bmp((kOut + "rgb.bmp").c_str(), 5, 4, 3, rgb.data());
  stbi_write_tga((kOut + "rgba.tga").c_str(), 4, 3, 4, rgba.data());
  std::vector<float> hdr(5 * 4 * 3);
  for (size_t i = 0; i < hdr.size(); ++i) hdr[i] = static_cast<float>(rgb[i]) / 64.0f;
  stbi_write_hdr((kOut + "rgb.hdr").c_str(), 5, 4, 3, hdr.data());
  spit("grey.pgm", "P5\n8 6\n255\n" + std::string(grey.begin(), grey.end()));
  spit("rgb.ppm", "P6\n5 4\n255\n" + std::string(rgb.begin(), rgb.end()));
  // The smallest GIF: 1 x 1, a two-colour palette, one LZW-coded pixel.
  spit("one.gif", std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                              "!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00"
                              "\x00\x02\x02\x44\x01\x00;",
                              43));
  // Issue 17: a JPEG cut inside its header, and a PNG header claiming 100000 x 100000.
  std::ifstream jpg(kOut + "rgb.jpg", std::ios::binary);
  std::string jpeg((std::istreambuf_iterator<char>(jpg)), std::istreambuf_iterator<char>());
  spit("truncated.jpg", jpeg.substr(0, 120));
  spit("huge.png", std::string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86"
                               "\xa0\x08\x00\x00\x00\x00\x00\x00\x00\x00",
                               33));
  return 0;
}
