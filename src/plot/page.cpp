#include "nnzero/plot/page.h"

#include <fontconfig/fontconfig.h>
#include <plplot.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <span>

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero::plot {

namespace {

// PLplot keeps one global current stream: one Page at a time draws.
std::mutex g_plplot_mutex;
// What PLplot's non-fatal error handler reported while the current page was drawn.
std::string g_plplot_message;

void on_plplot_abort(PLCHAR_VECTOR message) {
  g_plplot_message = message != nullptr ? message : "unknown error";
}

// PLplot calls exit() after a fatal error; check_plotting_available() rules out the known
// causes first, so this only names the library if one happens anyway.
int on_plplot_exit(PLCHAR_VECTOR message) {
  std::fprintf(stderr, "error: the plot library (PLplot) stopped: %s\n",
               message != nullptr ? message : "");
  return 1;
}

// PLplot's default text height grows with the page; a fixed height (in PLplot's millimetres,
// 72 to the inch with the cairo driver: about 12 pixels) keeps the text the same size in
// every picture.
constexpr double kTextHeightMm = 4.2;

std::string driver_folder() {
  const char* env = std::getenv("PLPLOT_DRV_DIR");  // PLplot looks there first, as we do
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(NNZERO_PLPLOT_DRV_DIR);
}

// PLplot lists the devices of a driver module in <module>.driver_info, one per line
// ("memcairo:Cairo Memory Driver:..."); without them it asks on the terminal or exits.
void check_cairo_driver() {
  const std::filesystem::path dir = driver_folder();
  const std::string info = (dir / "cairo.driver_info").string();
  const std::string hint =
      ": PNG pictures need PLplot's cairo driver (Debian package plplot-driver-cairo; "
      "scripts/install-deps.sh installs it)";
  std::ifstream in(info);
  if (!in) throw Error("plot: " + info + " is missing" + hint);
  bool listed = false;
  for (std::string line; std::getline(in, line);) listed |= line.rfind("memcairo:", 0) == 0;
  if (!listed) throw Error("plot: " + info + " lists no memcairo device" + hint);
  if (!std::filesystem::exists(dir / "cairo.so")) {
    throw Error("plot: " + (dir / "cairo.so").string() + " is missing" + hint);
  }
}

// The cairo driver draws text through Pango and fontconfig: without a font the labels come
// out as empty boxes, so a missing font is an error before anything is drawn.
void check_font() {
  static const std::string problem = [] {
    FcPattern* pattern = FcNameParse(reinterpret_cast<const FcChar8*>("sans-serif"));
    if (pattern == nullptr) return std::string("fontconfig could not parse a font name");
    FcConfigSubstitute(nullptr, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result = FcResultNoMatch;
    FcPattern* match = FcFontMatch(nullptr, pattern, &result);
    FcPatternDestroy(pattern);
    FcChar8* file = nullptr;
    const bool found =
        match != nullptr && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
        file != nullptr && std::filesystem::exists(reinterpret_cast<const char*>(file));
    if (match != nullptr) FcPatternDestroy(match);
    return found ? std::string() : std::string("fontconfig finds no sans-serif font");
  }();
  if (!problem.empty()) {
    throw Error("plot: " + problem +
                ": the pictures' text needs one (Debian package fonts-dejavu-core; "
                "scripts/install-deps.sh installs it)");
  }
}

const char* marker_glyph(Marker m) {
  switch (m) {
    case Marker::circle:
      return "●";
    case Marker::square:
      return "■";
    case Marker::triangle:
      return "▲";
    case Marker::diamond:
      return "◆";
    case Marker::cross:
      return "×";
    case Marker::none:
      break;
  }
  return "";
}

// About how many characters PLplot's tick labels between lo and hi take ("0.8", "6000",
// "-10"), to place the axis label beside them.
int tick_label_chars(double lo, double hi) {
  const double m = std::max(std::fabs(lo), std::fabs(hi));
  const int digits = m < 1.0 ? 1 : static_cast<int>(std::floor(std::log10(m))) + 1;
  const double range = hi - lo;
  const int decimals = range >= 5.0 ? 0 : range >= 0.5 ? 1 : 2;
  return digits + (decimals > 0 ? decimals + 1 : 0) + (lo < 0.0 ? 1 : 0);
}

// A PLplot matrix argument: column pointers into values stored x-major (values[i * ny + j]).
struct Matrix {
  std::vector<PLFLT> values;
  std::vector<PLFLT*> columns;
  Matrix(std::vector<double> v, size_t nx, size_t ny) : values(std::move(v)), columns(nx) {
    if (values.size() != nx * ny) throw Error("plot: grid values do not match the grid's size");
    for (size_t i = 0; i < nx; ++i) columns[i] = values.data() + i * ny;
  }
  PLFLT_MATRIX data() const { return columns.data(); }
};

// Splits a line at NaN values (a missing test accuracy) and calls draw on each piece.
template <class Draw>
void each_finite_piece(const std::vector<double>& x, const std::vector<double>& y, Draw draw) {
  std::vector<PLFLT> px, py;
  auto flush = [&] {
    if (!px.empty()) draw(px, py);
    px.clear();
    py.clear();
  };
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      px.push_back(x[i]);
      py.push_back(y[i]);
    } else {
      flush();
    }
  }
  flush();
}
}  // namespace

struct PageLock {
  std::unique_lock<std::mutex> lock{g_plplot_mutex};
};

Rgb series_color(size_t i) {
  static constexpr std::array<Rgb, 10> kTab10 = {{{31, 119, 180},
                                                  {255, 127, 14},
                                                  {44, 160, 44},
                                                  {214, 39, 40},
                                                  {148, 103, 189},
                                                  {140, 86, 75},
                                                  {227, 119, 194},
                                                  {127, 127, 127},
                                                  {188, 189, 34},
                                                  {23, 190, 207}}};
  return kTab10[i % kTab10.size()];
}

void check_plotting_available() {
  check_cairo_driver();
  check_font();
}

Box grid_cell(const Box& area, int rows, int cols, int k, double hgap, double vgap) {
  const int r = k / cols, c = k % cols;
  const double w = (area.right - area.left - hgap * (cols - 1)) / cols;
  const double h = (area.top - area.bottom - vgap * (rows - 1)) / rows;
  const double left = area.left + c * (w + hgap);
  const double top = area.top - r * (h + vgap);
  return {left, left + w, top - h, top};
}

Page::Page(int width, int height) : width_(width), height_(height) {
  if (width < 16 || height < 16 || width > 8192 || height > 8192) {
    throw Error("plot: a picture of " + std::to_string(width) + " x " + std::to_string(height) +
                " pixels is out of range");
  }
  check_plotting_available();
  lock_ = std::make_unique<PageLock>();
  g_plplot_message.clear();
  rgba_.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 4, 255);
  plsexit(on_plplot_exit);
  plsabort(on_plplot_abort);
  plsdev("memcairo");
  plsmema(width, height, rgba_.data());
  plscmap0n(256);
  plscolbg(255, 255, 255);
  colors_ = {{255, 255, 255}, kBlack};
  plscol0(1, 0, 0, 0);
  plscmap1n(256);
  plinit();
  pladv(0);
  plcol0(1);
  set_text_scale(1.0);
}

Box Page::square_within(const Box& b) const {
  const double side = std::min((b.right - b.left) * width_, (b.top - b.bottom) * height_);
  const double cx = (b.left + b.right) / 2, cy = (b.bottom + b.top) / 2;
  const double hw = side / 2 / width_, hh = side / 2 / height_;
  return {cx - hw, cx + hw, cy - hh, cy + hh};
}

Page::~Page() {
  end();
}

void Page::end() {
  if (ended_) return;
  plend();
  ended_ = true;
}

int Page::color_index(Rgb c) {
  for (size_t i = 0; i < colors_.size(); ++i) {
    if (colors_[i].r == c.r && colors_[i].g == c.g && colors_[i].b == c.b) {
      return static_cast<int>(i);
    }
  }
  if (colors_.size() >= 255) return 1;  // out of palette slots: black
  colors_.push_back(c);
  const int i = static_cast<int>(colors_.size() - 1);
  plscol0(i, c.r, c.g, c.b);
  return i;
}

void Page::set_text_scale(double scale) {
  text_scale_ = scale;
  plschr(kTextHeightMm, scale);
}

void Page::page_text(double x, double y, const std::string& text, double just) {
  plvpor(0.0, 1.0, 0.0, 1.0);
  plwind(0.0, 1.0, 0.0, 1.0);
  plcol0(1);
  plptex(x, y, 1.0, 0.0, just, text.c_str());
}

void Page::title(const std::string& text) {
  const double scale = text_scale_;
  set_text_scale(scale * 1.2);
  page_text(0.5, 1.0 - 26.0 / height_, text);
  set_text_scale(scale);
}

void Page::axes(const Box& v, const Axes& a) {
  plvpor(v.left, v.right, v.bottom, v.top);
  plwind(a.xmin, a.xmax, a.ymin, a.ymax);
  if (a.grid) {
    plcol0(color_index(kLightGrey));
    plwidth(0.6);
    pllsty(1);
    plbox("g", a.xtick, 0, "g", a.ytick, 0);
  }
  plcol0(1);
  plwidth(1.0);
  pllsty(1);
  // "f": plain numbers (12000), not PLplot's scaled ones with an "(x10^4)" note.
  plbox(a.x_numbers ? "bcnstf" : "bcst", a.xtick, 0, a.y_numbers ? "bcnstvf" : "bcstv", a.ytick, 0);
  if (!a.xlabel.empty()) plmtex("b", a.x_numbers ? 3.0 : 1.2, 0.5, 0.5, a.xlabel.c_str());
  if (!a.ylabel.empty()) {
    const double width = a.y_numbers ? 0.8 * tick_label_chars(a.ymin, a.ymax) + 1.0 : 0.0;
    plmtex("l", width + 1.2, 0.5, 0.5, a.ylabel.c_str());
  }
  if (!a.title.empty()) plmtex("t", 0.8, 0.5, 0.5, a.title.c_str());
}

void Page::line(const Line& l) {
  plcol0(color_index(l.color));
  plwidth(l.width);
  if (l.draw_line) {
    pllsty(l.dashed ? 3 : 1);
    each_finite_piece(l.x, l.y, [](std::vector<PLFLT>& x, std::vector<PLFLT>& y) {
      if (x.size() >= 2) plline(static_cast<PLINT>(x.size()), x.data(), y.data());
    });
    pllsty(1);
  }
  if (l.marker != Marker::none) {
    std::vector<double> mx, my;
    for (size_t i = 0; i < std::min(l.x.size(), l.y.size());
         i += static_cast<size_t>(std::max<int64_t>(1, l.marker_every))) {
      mx.push_back(l.x[i]);
      my.push_back(l.y[i]);
    }
    const char* glyph = marker_glyph(l.marker);
    plschr(kTextHeightMm, text_scale_ * 0.55);
    each_finite_piece(mx, my, [glyph](std::vector<PLFLT>& x, std::vector<PLFLT>& y) {
      plstring(static_cast<PLINT>(x.size()), x.data(), y.data(), glyph);
    });
    plschr(kTextHeightMm, text_scale_);
  }
  plwidth(1.0);
}

void Page::contour(const Grid& g, const std::vector<double>& levels, Rgb color) {
  const Matrix z(g.z, g.x.size(), g.y.size());
  std::vector<PLFLT> xg(g.x.begin(), g.x.end()), yg(g.y.begin(), g.y.end());
  PLcGrid grid{
      xg.data(), yg.data(), nullptr, static_cast<PLINT>(xg.size()), static_cast<PLINT>(yg.size()),
      0};
  std::vector<PLFLT> lv(levels.begin(), levels.end());
  plcol0(color_index(color));
  plwidth(1.0);
  plcont(z.data(), static_cast<PLINT>(xg.size()), static_cast<PLINT>(yg.size()), 1,
         static_cast<PLINT>(xg.size()), 1, static_cast<PLINT>(yg.size()), lv.data(),
         static_cast<PLINT>(lv.size()), pltr1, &grid);
}

void Page::arrows(const VectorField& f, double longest, Rgb color) {
  const Matrix u(f.u, f.x.size(), f.y.size()), v(f.v, f.x.size(), f.y.size());
  double max_length = 0.0;
  for (size_t i = 0; i < f.u.size(); ++i)
    max_length = std::max(max_length, std::hypot(f.u[i], f.v[i]));
  if (max_length == 0.0) return;
  std::vector<PLFLT> xg(f.x.begin(), f.x.end()), yg(f.y.begin(), f.y.end());
  PLcGrid grid{
      xg.data(), yg.data(), nullptr, static_cast<PLINT>(xg.size()), static_cast<PLINT>(yg.size()),
      0};
  plcol0(color_index(color));
  plwidth(1.0);
  plsvect(nullptr, nullptr, 0, 0);  // PLplot's default arrow head
  plvect(u.data(), v.data(), static_cast<PLINT>(xg.size()), static_cast<PLINT>(yg.size()),
         longest / max_length, pltr1, &grid);
}

void Page::rectangle(double x0, double y0, double x1, double y1, Rgb fill) {
  PLFLT x[4] = {x0, x1, x1, x0}, y[4] = {y0, y0, y1, y1};
  plcol0(color_index(fill));
  plpsty(0);
  plfill(4, x, y);
}

void Page::bars(const std::vector<double>& edges, const std::vector<double>& heights, Rgb fill,
                Rgb outline) {
  for (size_t i = 0; i + 1 < edges.size() && i < heights.size(); ++i) {
    if (!(heights[i] > 0.0)) continue;
    rectangle(edges[i], 0.0, edges[i + 1], heights[i], fill);
    PLFLT x[5] = {edges[i], edges[i + 1], edges[i + 1], edges[i], edges[i]};
    PLFLT y[5] = {0.0, 0.0, heights[i], heights[i], 0.0};
    plcol0(color_index(outline));
    plwidth(0.5);
    plline(5, x, y);
  }
  plwidth(1.0);
}

void Page::edge_text(const char* side, double displacement, double position,
                     const std::string& text, double just) {
  plcol0(1);
  plmtex(side, displacement, position, just, text.c_str());
}

void Page::text(double x, double y, const std::string& text, double just, Rgb color) {
  plcol0(color_index(color));
  plptex(x, y, 1.0, 0.0, just, text.c_str());
  plcol0(1);
}

void Page::legend(const std::vector<Line>& entries, Corner corner, double text_scale) {
  std::vector<const Line*> shown;
  for (const Line& l : entries) {
    if (!l.label.empty()) shown.push_back(&l);
  }
  if (shown.empty()) return;
  const auto n = static_cast<PLINT>(shown.size());
  std::vector<PLINT> opt(shown.size()), text_colors(shown.size(), 1), colors(shown.size()),
      styles(shown.size()), symbol_numbers(shown.size(), 1);
  std::vector<PLFLT> widths(shown.size()), symbol_scales(shown.size(), 0.7);
  std::vector<const char*> texts(shown.size()), symbols(shown.size());
  for (size_t i = 0; i < shown.size(); ++i) {
    const Line& l = *shown[i];
    opt[i] = (l.draw_line ? PL_LEGEND_LINE : 0) | (l.marker != Marker::none ? PL_LEGEND_SYMBOL : 0);
    if (opt[i] == 0) opt[i] = PL_LEGEND_NONE;
    colors[i] = color_index(l.color);
    styles[i] = l.dashed ? 3 : 1;
    widths[i] = l.width;
    texts[i] = l.label.c_str();
    symbols[i] = marker_glyph(l.marker);
  }
  PLINT position = PL_POSITION_INSIDE;
  position |= (corner == Corner::top_left || corner == Corner::top_right) ? PL_POSITION_TOP
                                                                          : PL_POSITION_BOTTOM;
  position |= (corner == Corner::top_left || corner == Corner::bottom_left) ? PL_POSITION_LEFT
                                                                            : PL_POSITION_RIGHT;
  PLFLT width = 0, height = 0;
  pllegend(&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, 0.02, 0.03,
           0.08, 0, color_index(kGrey), 1, 0, 0, n, opt.data(), 0.8, text_scale, 1.8, 0.0,
           text_colors.data(), texts.data(), nullptr, nullptr, nullptr, nullptr, colors.data(),
           styles.data(), widths.data(), colors.data(), symbol_scales.data(), symbol_numbers.data(),
           symbols.data());
}

void Page::set_color_map(ColorMap map) {
  // Piecewise-linear ramps through these colours (cmap1, which plimage uses).
  std::vector<PLFLT> at, r, g, b;
  switch (map) {
    case ColorMap::grey:
      at = {0, 1}, r = g = b = {0, 1};
      break;
    case ColorMap::grey_reversed:
      at = {0, 1}, r = g = b = {1, 0};
      break;
    case ColorMap::blues:
      at = {0, 0.5, 1}, r = {1, 0.42, 0.03}, g = {1, 0.68, 0.19}, b = {1, 0.84, 0.42};
      break;
  }
  plscmap1l(1, static_cast<PLINT>(at.size()), at.data(), r.data(), g.data(), b.data(), nullptr);
}

void Page::image(const Box& v, const std::vector<float>& pixels, int64_t width, int64_t height,
                 double lo, double hi, ColorMap map, const std::string& caption,
                 double caption_scale) {
  if (static_cast<int64_t>(pixels.size()) != width * height || width < 1 || height < 1) {
    throw Error("plot: an image's pixels do not match its size");
  }
  if (!(hi > lo)) hi = lo + 1.0;
  // PLplot's matrix is x-major with y upwards; the pixels are rows from the top.
  std::vector<double> values(pixels.size());
  for (int64_t x = 0; x < width; ++x) {
    for (int64_t y = 0; y < height; ++y) {
      const double p = pixels[static_cast<size_t>((height - 1 - y) * width + x)];
      values[static_cast<size_t>(x * height + y)] = std::clamp(p, lo, hi);
    }
  }
  const Matrix m(std::move(values), static_cast<size_t>(width), static_cast<size_t>(height));
  plvpor(v.left, v.right, v.bottom, v.top);
  const auto w = static_cast<PLFLT>(width), h = static_cast<PLFLT>(height);
  plwind(0.0, w, 0.0, h);
  set_color_map(map);
  // plimagefr, not plimage: plimage stretches the colours over the image's own value range,
  // which shades an all-zero map mid-grey and gives images meant to share lo..hi each their own.
  plimagefr(m.data(), static_cast<PLINT>(width), static_cast<PLINT>(height), 0.0, w, 0.0, h, lo, hi,
            lo, hi, nullptr, nullptr);
  frame_and_caption(caption, caption_scale);
}

void Page::colour_image(const Box& v, std::vector<uint8_t> rgb, int64_t width, int64_t height,
                        const std::string& caption, double caption_scale) {
  if (static_cast<int64_t>(rgb.size()) != width * height * 3 || width < 1 || height < 1) {
    throw Error("plot: a colour image's pixels do not match its size");
  }
  plvpor(v.left, v.right, v.bottom, v.top);
  plwind(0.0, static_cast<PLFLT>(width), 0.0, static_cast<PLFLT>(height));
  frame_and_caption(caption, caption_scale);
  colour_images_.push_back({v, std::move(rgb), width, height});
}

// A thin frame around the current panel and `caption` above it.
void Page::frame_and_caption(const std::string& caption, double caption_scale) {
  plcol0(color_index(kGrey));
  plwidth(0.5);
  plbox("bc", 0.0, 0, "bc", 0.0, 0);
  plwidth(1.0);
  plcol0(1);
  if (!caption.empty()) {
    plschr(kTextHeightMm, text_scale_ * caption_scale);
    plmtex("t", 0.5, 0.5, 0.5, caption.c_str());
    plschr(kTextHeightMm, text_scale_);
  }
}

// Each colour image into its panel's pixels (page fractions, y upwards, to pixel rows from
// the top), leaving the frame's pixels.
void Page::paste_colour_images() {
  for (const ColourImage& im : colour_images_) {
    const auto x0 = std::lround(im.where.left * width_), x1 = std::lround(im.where.right * width_);
    const auto y0 = std::lround((1.0 - im.where.top) * height_);
    const auto y1 = std::lround((1.0 - im.where.bottom) * height_);
    for (long py = std::max(y0 + 1, 0L); py < std::min(y1 - 1, long{height_}); ++py) {
      const int64_t sy = (py - y0) * im.height / std::max(1L, y1 - y0);
      for (long px = std::max(x0 + 1, 0L); px < std::min(x1 - 1, long{width_}); ++px) {
        const int64_t sx = (px - x0) * im.width / std::max(1L, x1 - x0);
        const uint8_t* from = &im.rgb[static_cast<size_t>((sy * im.width + sx) * 3)];
        uint8_t* to = &rgba_[(static_cast<size_t>(py) * static_cast<size_t>(width_) +
                              static_cast<size_t>(px)) *
                             4];
        std::copy(from, from + 3, to);
      }
    }
  }
}

void Page::save(const std::string& path) {
  end();  // the cairo driver copies its picture into rgba_ when the stream ends
  if (!g_plplot_message.empty()) {
    throw Error("plot: drawing " + path + " failed: " + g_plplot_message);
  }
  paste_colour_images();
  std::vector<uint8_t> rgb(static_cast<size_t>(width_) * static_cast<size_t>(height_) * 3);
  for (size_t p = 0, q = 0; q < rgb.size(); p += 4, q += 3) {
    rgb[q] = rgba_[p];
    rgb[q + 1] = rgba_[p + 1];
    rgb[q + 2] = rgba_[p + 2];
  }
  std::vector<uint8_t> png;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    const auto* bytes = static_cast<const uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
  };
  if (stbi_write_png_to_func(append, &png, width_, height_, 3, rgb.data(), width_ * 3) == 0) {
    throw Error("plot: encoding " + path + " as PNG failed");
  }
  write_file_atomic(path, std::span<const uint8_t>(png));
}

}  // namespace nnzero::plot
