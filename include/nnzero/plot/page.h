// Page: one PNG picture drawn through PLplot (its cairo driver renders into memory; stb
// encodes the PNG, written atomically). PLplot draws the axes, ticks, labels, legends,
// contours, vector fields and image panels; this class only lays out panels and keeps
// PLplot's global state behind one object at a time.
//
// Coordinates: a viewport is a Box of page fractions (0..1 from the left and the bottom);
// inside it, data coordinates are those given to axes().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnzero::plot {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};
constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kGrey{127, 127, 127};
constexpr Rgb kLightGrey{220, 220, 220};
// Series colour i: matplotlib's "tab10" cycle, so the pictures look like the book's.
Rgb series_color(size_t i);

// Throws an Error naming what is missing and how to install it unless pictures can be
// drawn: PLplot's cairo driver (Debian plplot-driver-cairo) and a font for the text
// (fonts-dejavu-core); scripts/install-deps.sh installs both.
void check_plotting_available();

struct Box {
  double left = 0, right = 1, bottom = 0, top = 1;
};
// Cell k (row-major from the top left) of a rows x cols grid filling `area`, with gaps
// (page fractions) between cells.
Box grid_cell(const Box& area, int rows, int cols, int k, double hgap, double vgap);

struct Axes {
  std::string title{}, xlabel{}, ylabel{};
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool x_numbers = true, y_numbers = true;  // tick labels
  bool grid = true;
  double xtick = 0, ytick = 0;  // spacing of the numbered ticks (0: PLplot chooses)
};

enum class Marker { none, circle, square, triangle, diamond, cross };

struct Line {
  std::vector<double> x{}, y{};
  Rgb color = kBlack;
  double width = 1.5;
  bool dashed = false;
  bool draw_line = true;
  Marker marker = Marker::none;
  int64_t marker_every = 1;
  std::string label{};  // legend text ("" : not in the legend)
};

enum class Corner { top_right, top_left, bottom_right, bottom_left };

// Values on a regular grid: z[i * y.size() + j] at (x[i], y[j]).
struct Grid {
  std::vector<double> x, y, z;
};
// Arrows (u, v)[i * y.size() + j] at the grid points (x[i], y[j]).
struct VectorField {
  std::vector<double> x, y, u, v;
};

// Grey or colour scale of image panels and heat maps.
enum class ColorMap {
  grey,           // 0 black .. 1 white
  grey_reversed,  // 0 white .. 1 black (the book's digits: dark ink on white)
  blues           // 0 white .. 1 dark blue (heat maps)
};

class Page {
 public:
  // A width x height picture, white. Throws (check_plotting_available) when it cannot draw.
  Page(int width, int height);
  ~Page();
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  // The largest square (in pixels) centred in `b`: where an image keeps square pixels.
  Box square_within(const Box& b) const;

  // Text size relative to PLplot's default (1).
  void set_text_scale(double scale);
  // A line of text centred at the top.
  void title(const std::string& text);
  // Text at page fractions (x, y); just: 0 left, 0.5 centred, 1 right aligned.
  void page_text(double x, double y, const std::string& text, double just = 0.5);

  // Makes `viewport` the current panel with these data ranges and draws its frame, ticks,
  // labels and title.
  void axes(const Box& viewport, const Axes& a);
  // In the current panel's data coordinates:
  void line(const Line& l);
  void contour(const Grid& g, const std::vector<double>& levels, Rgb color);
  // The field's arrows, scaled so that the longest is `longest` data units long.
  void arrows(const VectorField& f, double longest, Rgb color);
  // Filled bars [edges[i], edges[i+1]] x [0, heights[i]].
  void bars(const std::vector<double>& edges, const std::vector<double>& heights, Rgb fill,
            Rgb outline);
  // Filled rectangle.
  void rectangle(double x0, double y0, double x1, double y1, Rgb fill);
  // Text beside the current panel's frame (PLplot's plmtex): side "b", "t", "l", "r" (or
  // "lv", "rv": written horizontally), `displacement` in character heights out from the
  // edge, `position` along it (0..1).
  void edge_text(const char* side, double displacement, double position, const std::string& text,
                 double just = 0.5);
  // Text at data coordinates.
  void text(double x, double y, const std::string& text, double just = 0.5, Rgb color = kBlack);
  void legend(const std::vector<Line>& entries, Corner corner, double text_scale = 0.85);

  // An image panel without axes: pixels (height x width, row-major from the top), lo..hi
  // mapped onto `map`; `caption` above it; a thin frame around it.
  void image(const Box& viewport, const std::vector<float>& pixels, int64_t width, int64_t height,
             double lo, double hi, ColorMap map, const std::string& caption = "",
             double caption_scale = 0.8);
  // The same for colour pixels: `rgb` holds height x width x 3 bytes (R, G, B), rows from the
  // top. PLplot's images map one value through a colour map, so the pixels are pasted into
  // the picture when it is saved (nearest neighbour, inside the frame).
  void colour_image(const Box& viewport, std::vector<uint8_t> rgb, int64_t width, int64_t height,
                    const std::string& caption = "", double caption_scale = 0.8);

  // Encodes the picture and writes it to `path` (temporary file, then rename). Throws an
  // Error naming the file, or a message PLplot reported while drawing.
  void save(const std::string& path);

 private:
  int color_index(Rgb c);
  void set_color_map(ColorMap map);
  void frame_and_caption(const std::string& caption, double caption_scale);
  void paste_colour_images();

  struct ColourImage {
    Box where;
    std::vector<uint8_t> rgb;
    int64_t width, height;
  };
  std::vector<ColourImage> colour_images_;

  int width_, height_;
  std::vector<uint8_t> rgba_;
  std::vector<Rgb> colors_;  // cmap0 entries assigned so far
  double text_scale_ = 1.0;
  bool ended_ = false;
  std::unique_ptr<struct PageLock> lock_;
  void end();
};

}  // namespace nnzero::plot
