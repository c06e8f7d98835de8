// Image loading (io/image.h): every format the docs promise decodes to the right grey levels,
// and every bad file (missing, empty, not an image, damaged, huge) fails with an
// nnzero::Error naming it, the huge one before any decoding.
#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>  // the implementation is in libstb, linked by nnzero_lib
#include <turbojpeg.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/io/image.h"
#include "nnzero/io/image_header.h"
#include "nnzero/io/image_sample.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::ScratchDir;

namespace {
// A w x h test card with `comp` channels: value (x * 16 + y * 8) % 256 in every channel.
std::vector<uint8_t> card(int w, int h, int comp) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * comp));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < comp; ++c) {
        px[static_cast<size_t>((y * w + x) * comp + c)] =
            static_cast<uint8_t>((x * 16 + y * 8) % 256);
      }
    }
  }
  return px;
}

std::string pgm(int w, int h, const std::vector<uint8_t>& px) {
  std::string s = "P5\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
  return s + std::string(px.begin(), px.end());
}

std::vector<uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

float level(int x, int y) {
  return static_cast<float>((x * 16 + y * 8) % 256) / 255.0f;
}
}  // namespace

TEST(Image, DecodesPngBmpPgmAndJpeg) {
  ScratchDir dir;
  const int w = 13, h = 7;
  const auto grey = card(w, h, 1), rgb = card(w, h, 3);
  ASSERT_TRUE(stbi_write_png((dir / "a.png").c_str(), w, h, 1, grey.data(), w));
  ASSERT_TRUE(stbi_write_bmp((dir / "a.bmp").c_str(), w, h, 3, rgb.data()));
  ASSERT_TRUE(stbi_write_jpg((dir / "a.jpg").c_str(), w, h, 1, grey.data(), 100));
  nnzero_test::spit(dir / "a.pgm", pgm(w, h, grey));
  for (const char* name : {"a.png", "a.bmp", "a.pgm", "a.jpg"}) {
    const GrayImage img = load_image(dir / name);
    ASSERT_EQ(img.width, w) << name;
    ASSERT_EQ(img.height, h) << name;
    // Lossless formats exactly (grey RGB has luminance = the grey level), JPEG nearly.
    const float tol = std::string(name) == "a.jpg" ? 0.06f : 1e-6f;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x)
        EXPECT_NEAR(img.at(x, y), level(x, y), tol) << name << " " << x << "," << y;
    }
  }
}

TEST(Image, ColourBecomesLuminanceAndTransparencyWhite) {
  // Red, green, blue, white pixels; then the same with alpha 0, 255, 128, 0.
  const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  const std::vector<uint8_t> rgba = {0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 128, 255, 0, 0, 255};
  std::vector<uint8_t> png;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, 4, 1, 3, rgb.data(), 12));
  GrayImage img = decode_image(png, "rgb.png");
  EXPECT_NEAR(img.pixels[0], 0.299f, 1e-5f);
  EXPECT_NEAR(img.pixels[1], 0.587f, 1e-5f);
  EXPECT_NEAR(img.pixels[2], 0.114f, 1e-5f);
  EXPECT_NEAR(img.pixels[3], 1.0f, 1e-5f);
  png.clear();
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, 4, 1, 4, rgba.data(), 16));
  img = decode_image(png, "rgba.png");
  EXPECT_NEAR(img.pixels[0], 1.0f, 1e-5f);                 // transparent black: white
  EXPECT_NEAR(img.pixels[1], 0.0f, 1e-5f);                 // opaque black
  EXPECT_NEAR(img.pixels[2], 1.0f - 128 / 255.0f, 1e-5f);  // half transparent black
  EXPECT_NEAR(img.pixels[3], 0.299f, 1e-5f);               // opaque red
}

TEST(Image, MissingEmptyAndNonImageFilesFailNamingTheFile) {
  ScratchDir dir;
  nnzero_test::spit(dir / "empty.png", "");
  nnzero_test::spit(dir / "notes.png", "these are not the pixels you are looking for\n");
  nnzero_test::spit(dir / "spec.json", R"({"input": [784]})");
  EXPECT_HAS(error_of([&] { load_image(dir / "missing.png"); }), "missing.png: cannot open");
  EXPECT_HAS(error_of([&] { load_image(dir / "empty.png"); }),
             "empty.png: empty file, not an image");
  EXPECT_HAS(error_of([&] { load_image(dir / "notes.png"); }),
             "notes.png: not an image nnzero can read");
  EXPECT_HAS(error_of([&] { load_image(dir / "spec.json"); }), "spec.json: not an image");
  EXPECT_HAS(error_of([&] { load_image(dir.path().string()); }), "is a folder");
}

TEST(Image, DamagedImagesFailCleanly) {
  const int w = 40, h = 30;
  const auto rgb = card(w, h, 3);
  std::vector<uint8_t> png;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, w, h, 3, rgb.data(), w * 3));
  // Cut anywhere after the header: the size is known, the pixels are not.
  for (size_t keep : {size_t{8}, size_t{33}, png.size() / 2, png.size() - 13}) {
    const std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(keep));
    const std::string e = error_of([&] { decode_image(cut, "cut.png"); });
    EXPECT_HAS(e, "cut.png: ") << keep;
  }
  // A PGM whose pixels stop early.
  const std::string short_pgm = pgm(w, h, std::vector<uint8_t>(100, 7));
  EXPECT_HAS(error_of([&] { decode_image(bytes_of(short_pgm), "short.pgm"); }),
             "short.pgm: cannot decode");
}

TEST(Image, HugeImagesAreRefusedFromTheHeaderAlone) {
  // Headers that claim huge images, followed by no pixels: the error names the size, which
  // proves the limit was checked before decoding (decoding would fail on the missing data).
  EXPECT_HAS(
      error_of([] { decode_image(bytes_of("P5\n10000 10000\n255\n"), "huge.pgm"); }),
      "huge.pgm: image is 10000 x 10000 pixels; nnzero reads images of at most 64 megapixels");
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P5\n8193 8192\n255\n"), "over.pgm"); }),
             "8193 x 8192");
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P5\n70000 1\n255\n"), "long.pgm"); }),
             "70000 x 1");
  // Exactly the limit passes the header check (and fails only for its missing pixels).
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P5\n8192 8192\n255\n"), "limit.pgm"); }),
             "limit.pgm: cannot decode");
  // A PNG header (signature + IHDR) claiming 9000 x 9000 grey pixels.
  const std::vector<uint8_t> png = {0x89, 'P',  'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0, 0,
                                    13,   'I',  'H', 'D', 'R',  0,    0,    0x23, 0x28, 0, 0,
                                    0x23, 0x28, 8,   0,   0,    0,    0,    0,    0,    0, 0};
  EXPECT_HAS(error_of([&] { decode_image(png, "huge.png"); }), "huge.png: image is 9000 x 9000");
  // A BMP header (file header + BITMAPINFOHEADER) claiming 20000 x 10000, 24 bits a pixel.
  std::vector<uint8_t> bmp = {'B', 'M', 0, 0,    0,    0, 0, 0,    0,    0, 54, 0, 0, 0,  40,
                              0,   0,   0, 0x20, 0x4e, 0, 0, 0x10, 0x27, 0, 0,  1, 0, 24, 0};
  bmp.resize(54, 0);
  EXPECT_HAS(error_of([&] { decode_image(bmp, "huge.bmp"); }), "huge.bmp: image is 20000 x 10000");
  const ImageInfo info =
      read_image_info(bytes_of(pgm(3, 2, std::vector<uint8_t>(6, 0))), "small.pgm");
  EXPECT_EQ(info.width, 3);
  EXPECT_EQ(info.height, 2);
  EXPECT_EQ(info.channels, 1);
}

// Issue 17: stb_image tries every format and keeps the last one's complaint, so a truncated
// JPEG was reported as "bad png sig" and a PNG too large for stb_image as "unknown image
// type". The format is now told from the signature and the size read from the header.
TEST(Image, TruncatedJpegAndHugePngNameTheRealProblem) {
  const int w = 40, h = 30;
  const auto grey = card(w, h, 1);
  std::vector<uint8_t> jpg;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &jpg, w, h, 1, grey.data(), 90));
  for (size_t keep : {size_t{3}, size_t{20}, size_t{100}}) {
    const std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + static_cast<std::ptrdiff_t>(keep));
    const std::string e = error_of([&] { decode_image(cut, "cut.jpg"); });
    EXPECT_HAS(e, "cut.jpg: truncated or corrupt JPEG") << keep;
    EXPECT_EQ(e.find("png"), std::string::npos) << e;
  }
  // A PNG header claiming 100000 x 100000 (stb_image refuses it as "unknown image type").
  std::vector<uint8_t> png = {0x89, 'P',  'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0, 0,
                              13,   'I',  'H', 'D', 'R',  0,    0x01, 0x86, 0xa0, 0, 0x01,
                              0x86, 0xa0, 8,   0,   0,    0,    0,    0,    0,    0, 0};
  EXPECT_HAS(error_of([&] { decode_image(png, "huge.png"); }),
             "huge.png: image is 100000 x 100000 pixels; nnzero reads images of at most");
  // A JPEG start-of-frame claiming 60000 x 60000 (stb_image: "unknown image type" too).
  const std::vector<uint8_t> big_jpg = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xEA,
                                        0x60, 0xEA, 0x60, 0x03, 0x01, 0x22, 0x00, 0x02,
                                        0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9};
  EXPECT_HAS(error_of([&] { decode_image(big_jpg, "big.jpg"); }),
             "big.jpg: image is 60000 x 60000 pixels");
  // A PNG cut inside its IHDR: the format is still named.
  png.resize(20);
  EXPECT_HAS(error_of([&] { decode_image(png, "cut.png"); }), "cut.png: truncated or corrupt PNG");
  // A signature nnzero does not know keeps the general message.
  EXPECT_HAS(error_of([] { decode_image(bytes_of("GIF00a..."), "odd.gif"); }),
             "odd.gif: not an image nnzero can read");
}

// Found by fuzz/fuzz_image.cpp: the stb_image that Debian 12 ships (v2.27) builds a JPEG
// Huffman table of any size its counts say, writing past its 257-byte size list (up to
// 16 x 255 codes), already when reading the header (stbi_info). Such tables are refused
// before stb_image sees the file.
TEST(Image, JpegHuffmanTablesOfMoreThan256CodesAreRefusedBeforeStb) {
  const int w = 16, h = 8;
  const auto grey = card(w, h, 1);
  std::vector<uint8_t> jpg;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &jpg, w, h, 1, grey.data(), 90));
  ASSERT_NO_THROW(decode_image(jpg, "ok.jpg"));
  size_t dht = 0;
  for (size_t i = 2; i + 1 < jpg.size() && dht == 0; ++i) {
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) dht = i;
  }
  ASSERT_NE(dht, 0u) << "no DHT segment in the JPEG stb_image_write made";
  // The first table's 16 code counts (after FF C4, the length and the class/slot byte).
  for (size_t i = 0; i < 16; ++i) jpg[dht + 5 + i] = 32;
  EXPECT_HAS(error_of([&] { decode_image(jpg, "evil.jpg"); }),
             "evil.jpg: corrupt JPEG (a Huffman table of 512 codes (at most 256))");
  EXPECT_HAS(error_of([&] { read_image_info(jpg, "evil.jpg"); }), "corrupt JPEG");
  // The same when fill bytes come before the start-of-image marker (stb_image skips them).
  jpg.insert(jpg.begin(), {0xFF, 0xFF, 0xFF});
  EXPECT_HAS(error_of([&] { decode_image(jpg, "fill.jpg"); }), "fill.jpg: corrupt JPEG");
}

// Found by fuzz/fuzz_image.cpp: stb_image's PGM/PPM header reader multiplies a signed int by
// 10 per digit, an overflow (undefined behaviour) past 2^31 - 1.
TEST(Image, PnmHeaderNumbersPastIntRangeAreRefusedBeforeStb) {
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P5\n88888888888 3\n255\n"), "w.pgm"); }),
             "w.pgm: corrupt PGM (a header number past 2^31 - 1)");
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P6 1 #c\n2 99999999999\n"), "m.ppm"); }),
             "m.ppm: corrupt PPM (a header number past 2^31 - 1)");
  // Large but in range: the usual size check.
  EXPECT_HAS(error_of([] { decode_image(bytes_of("P5\n2147483647 1\n255\n"), "l.pgm"); }),
             "l.pgm: image is 2147483647 x 1 pixels");
}

// Found by fuzz/fuzz_image.cpp: stb_image copies a zero-length IDAT chunk that comes before
// any image data to a null pointer. nnzero drops empty IDAT chunks first; they carry no data,
// so the picture is the same.
TEST(Image, EmptyPngDataChunksAreDroppedWithoutChangingThePicture) {
  const int w = 5, h = 3;
  std::vector<uint8_t> png;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, w, h, 1, card(w, h, 1).data(), w));
  EXPECT_TRUE(png_without_empty_idat(png).empty()) << "nothing to drop";
  // An empty IDAT chunk (length 0, type, CRC) before the first one and another after it.
  const std::vector<uint8_t> empty = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
  const size_t ihdr_end = 8 + 12 + 13;
  std::vector<uint8_t> padded = png;
  padded.insert(padded.begin() + ihdr_end, empty.begin(), empty.end());
  padded.insert(padded.end() - 12, empty.begin(), empty.end());  // before IEND
  EXPECT_EQ(png_without_empty_idat(padded), png);
  const GrayImage img = decode_image(padded, "empty-idat.png");
  ASSERT_EQ(img.width, w);
  ASSERT_EQ(img.height, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) EXPECT_FLOAT_EQ(img.pixels[y * w + x], level(x, y));
  }
  // The file the fuzzer found: a 4 x 3 RGBA PNG whose IHDR CRC is damaged and whose first
  // IDAT is empty (what follows is garbage): refused with an nnzero::Error, no undefined
  // behaviour.
  const std::vector<uint8_t> found = {
      0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x08, 0x06, 0x00, 0x00, 0x00, 0x48,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5E, 0x63, 0x64,
      0x30, 0xCD, 0x9A, 0xAF, 0x8A, 0x04, 0x18, 0xA3, 0x27, 0x1C, 0xFD, 0x85, 0x22, 0xB0, 0xED,
      0xB5, 0x42, 0x28, 0xB2, 0x00, 0x00, 0x28, 0x3C, 0x0B, 0x36, 0x7A, 0x7C, 0xA8, 0xE7, 0x00,
      0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
  };
  ASSERT_EQ(png_without_empty_idat(found).size(), found.size() - 12);
  EXPECT_HAS(error_of([&] { decode_image(found, "found.png"); }),
             "found.png: truncated or corrupt PNG: cannot decode the image");
}

// JPEGs decode through libjpeg-turbo: a colour JPEG's planes are exactly TurboJPEG's own
// decoding of it (which differs from stb_image's, so the test tells them apart). A file it
// only decodes with a warning (here two stray bytes between two of the header's segments,
// "Corrupt JPEG data: 2 extraneous bytes before marker 0xdb") goes to stb_image instead,
// which reads it.
TEST(Image, JpegsDecodeThroughLibjpegTurboAndDamagedOnesThroughStb) {
  const int w = 24, h = 16;
  std::vector<uint8_t> rgb(static_cast<size_t>(w * h * 3));
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 37) % 251);
  std::vector<uint8_t> jpg;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &jpg, w, h, 3, rgb.data(), 90));

  tjhandle tj = tjInitDecompress();
  std::vector<uint8_t> turbo(rgb.size());
  ASSERT_EQ(tjDecompress2(tj, jpg.data(), static_cast<unsigned long>(jpg.size()), turbo.data(), w,
                          0, h, TJPF_RGB, 0),
            0);
  tjDestroy(tj);
  int sw = 0, sh = 0, sc = 0;
  stbi_uc* stb = stbi_load_from_memory(jpg.data(), static_cast<int>(jpg.size()), &sw, &sh, &sc, 3);
  ASSERT_NE(stb, nullptr);
  const std::vector<uint8_t> by_stb(stb, stb + rgb.size());
  stbi_image_free(stb);
  ASSERT_NE(turbo, by_stb)
      << "the two decoders agree on this image: the test cannot tell them apart";

  const auto planes_as_rgb = [&](std::span<const uint8_t> bytes) {
    const ImagePlanes p = decode_image_planes(bytes, "c.jpg", 3);
    EXPECT_EQ(p.width, w);
    EXPECT_EQ(p.height, h);
    std::vector<uint8_t> out(rgb.size());
    for (int64_t i = 0; i < w * h; ++i) {
      for (int64_t c = 0; c < 3; ++c) {
        out[static_cast<size_t>(i * 3 + c)] = static_cast<uint8_t>(p.values[c * w * h + i]);
      }
    }
    return out;
  };
  EXPECT_EQ(planes_as_rgb(jpg), turbo);

  std::vector<uint8_t> stray = jpg;  // SOI, then APP0 (FF E0, its length at bytes 4-5)
  ASSERT_EQ(stray[3], 0xE0);
  stray.insert(stray.begin() + 4 + (stray[4] << 8 | stray[5]), {0x00, 0x00});
  stb = stbi_load_from_memory(stray.data(), static_cast<int>(stray.size()), &sw, &sh, &sc, 3);
  ASSERT_NE(stb, nullptr);
  const std::vector<uint8_t> stray_by_stb(stb, stb + rgb.size());
  stbi_image_free(stb);
  EXPECT_EQ(planes_as_rgb(stray), stray_by_stb);

  // A file cut right after its frame header: stb_image reads its size from it, TurboJPEG
  // fails on the header (its decompressor, left mid-file, is made anew) and stb_image then
  // refuses the file. The next JPEG still decodes through TurboJPEG.
  size_t sof = 2;
  while (sof + 3 < jpg.size() && !(jpg[sof] == 0xFF && jpg[sof + 1] == 0xC0)) ++sof;
  ASSERT_LT(sof + 3, jpg.size());
  const std::vector<uint8_t> cut(
      jpg.begin(),
      jpg.begin() + static_cast<std::ptrdiff_t>(sof + 2 + (jpg[sof + 2] << 8 | jpg[sof + 3])));
  ASSERT_NO_THROW(read_image_info(cut, "cut.jpg"));
  EXPECT_THROW(decode_image_planes(cut, "cut.jpg", 3), Error);
  EXPECT_EQ(planes_as_rgb(jpg), turbo);
}

// A JPEG much larger than what it will be resized to is decoded at 1/2, 1/4 or 1/8 of its
// size (the smallest that keeps both sides at least the target's), and the sample made from
// it is within a few levels of the one made from every pixel.
TEST(Image, LargeJpegsDecodeAtTheSmallestScaleThatKeepsTheTargetSize) {
  const int w = 256, h = 192;
  std::vector<uint8_t> rgb(static_cast<size_t>(w * h * 3));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* px = &rgb[static_cast<size_t>((y * w + x) * 3)];
      px[0] = static_cast<uint8_t>(x);
      px[1] = static_cast<uint8_t>(y);
      px[2] = static_cast<uint8_t>((x + y) / 2);
    }
  }
  std::vector<uint8_t> jpg;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  ASSERT_TRUE(stbi_write_jpg_to_func(sink, &jpg, w, h, 3, rgb.data(), 95));
  const auto size_at = [&](DecodeSize at_least) {
    const ImagePlanes p = decode_image_planes(jpg, "big.jpg", 3, at_least);
    return std::pair{p.width, p.height};
  };
  EXPECT_EQ(size_at({}), (std::pair<int64_t, int64_t>{256, 192}));
  EXPECT_EQ(size_at({32, 32}), (std::pair<int64_t, int64_t>{64, 48}));  // 1/8 leaves 24 rows
  EXPECT_EQ(size_at({32, 24}), (std::pair<int64_t, int64_t>{32, 24}));
  EXPECT_EQ(size_at({100, 20}), (std::pair<int64_t, int64_t>{128, 96}));
  EXPECT_EQ(size_at({200, 20}), (std::pair<int64_t, int64_t>{256, 192}));
  EXPECT_EQ(decode_image_planes(jpg, "big.jpg", 1, {32, 24}).width, 32);

  const Shape input{3, 24, 32};
  const std::vector<uint8_t> scaled = image_sample(jpg, "big.jpg", input);
  const std::vector<uint8_t> full = planes_sample(decode_image_planes(jpg, "big.jpg", 3), input);
  ASSERT_EQ(scaled.size(), full.size());
  int worst = 0;
  for (size_t i = 0; i < full.size(); ++i) worst = std::max(worst, std::abs(scaled[i] - full[i]));
  EXPECT_LE(worst, 3);
}
