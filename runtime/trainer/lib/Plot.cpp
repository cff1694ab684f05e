//===- Plot.cpp - learning curves; the plot command -------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Plot.h"

#include "TrainerImpl.h"

#include "gps/Trainer/Files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace gps::rt;
using namespace gps::rt::impl;
using nlohmann::json;

//===----------------------------------------------------------------------===//
// Reading the records
//===----------------------------------------------------------------------===//

namespace {
/// The records of one JSON Lines file.
struct Records {
  std::string path;
  std::vector<json> lines;
};
} // namespace

static Error readRecords(const std::string &path, Records &out) {
  std::string text;
  if (Error err = readFile(path, text))
    return err;
  out.path = path;
  size_t begin = 0;
  for (size_t number = 1; begin < text.size(); ++number) {
    size_t end = text.find('\n', begin);
    bool complete = end != std::string::npos;
    std::string line = text.substr(begin, complete ? end - begin
                                                   : std::string::npos);
    begin = complete ? end + 1 : text.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || !record.contains("step") ||
        !record["step"].is_number()) {
      // A last line without its newline is a record still being written.
      if (!complete)
        break;
      return Error::failure("'" + path + "' line " + std::to_string(number) +
                            ": not a JSON object with a numeric \"step\"");
    }
    out.lines.push_back(std::move(record));
  }
  return Error::success();
}

/// Adds the curve of `metric` in `records` to `curves` when any record has
/// the metric; fails on a value that is neither a number nor null.
static Error addCurve(const Records &records, const std::string &metric,
                      bool test, int colour, std::vector<Curve> &curves,
                      bool &found) {
  Curve curve;
  curve.label = std::string(test ? "test " : "train ") + metric;
  curve.test = test;
  curve.colour = colour;
  bool present = false;
  for (size_t i = 0; i < records.lines.size(); ++i) {
    const json &record = records.lines[i];
    auto it = record.find(metric);
    if (it == record.end())
      continue;
    present = true;
    if (it->is_null())
      continue;
    if (!it->is_number())
      return Error::failure("'" + records.path + "': \"" + metric +
                            "\" of the record of step " +
                            record["step"].dump() + " is not a number");
    double value = it->get<double>();
    if (std::isfinite(value))
      curve.points.emplace_back(record["step"].get<double>(), value);
  }
  if (!present)
    return Error::success();
  found = true;
  curves.push_back(std::move(curve));
  return Error::success();
}

Error gps::rt::readCurves(const std::string &trainPath,
                          const std::string &testPath,
                          const std::vector<std::string> &metrics,
                          std::vector<Curve> &curves) {
  Records train, test;
  if (Error err = readRecords(trainPath, train))
    return err;
  bool hasTest = !testPath.empty() && pathExists(testPath);
  if (hasTest)
    if (Error err = readRecords(testPath, test))
      return err;
  std::vector<Curve> out;
  for (size_t i = 0; i < metrics.size(); ++i) {
    bool found = false;
    int colour = static_cast<int>(i);
    if (Error err = addCurve(train, metrics[i], false, colour, out, found))
      return err;
    if (hasTest)
      if (Error err = addCurve(test, metrics[i], true, colour, out, found))
        return err;
    if (!found)
      return Error::failure("no record of '" + trainPath + "'" +
                            (hasTest ? " or '" + testPath + "'" : "") +
                            " has the metric '" + metrics[i] + "'");
  }
  curves = std::move(out);
  return Error::success();
}

std::vector<std::string> gps::rt::defaultPlotMetrics(
    const std::string &trainPath) {
  Records train;
  if (!readRecords(trainPath, train))
    for (const json &record : train.lines) {
      auto it = record.find("nll_bound");
      if (it != record.end() && it->is_number())
        return {"nll_bound"};
    }
  return {"total_cost"};
}

//===----------------------------------------------------------------------===//
// Drawing
//===----------------------------------------------------------------------===//

namespace {
/// A 3 x 5 bitmap font: rows top to bottom, '#' set. Letters are capitals
/// (lower case is drawn as upper case).
struct Glyph {
  char c;
  const char *rows[5];
};
constexpr Glyph kFont[] = {
    {'A', {".#.", "#.#", "###", "#.#", "#.#"}},
    {'B', {"##.", "#.#", "##.", "#.#", "##."}},
    {'C', {".##", "#..", "#..", "#..", ".##"}},
    {'D', {"##.", "#.#", "#.#", "#.#", "##."}},
    {'E', {"###", "#..", "##.", "#..", "###"}},
    {'F', {"###", "#..", "##.", "#..", "#.."}},
    {'G', {".##", "#..", "#.#", "#.#", ".##"}},
    {'H', {"#.#", "#.#", "###", "#.#", "#.#"}},
    {'I', {"###", ".#.", ".#.", ".#.", "###"}},
    {'J', {"..#", "..#", "..#", "#.#", ".#."}},
    {'K', {"#.#", "#.#", "##.", "#.#", "#.#"}},
    {'L', {"#..", "#..", "#..", "#..", "###"}},
    {'M', {"#.#", "###", "###", "#.#", "#.#"}},
    {'N', {"##.", "#.#", "#.#", "#.#", "#.#"}},
    {'O', {".#.", "#.#", "#.#", "#.#", ".#."}},
    {'P', {"##.", "#.#", "##.", "#..", "#.."}},
    {'Q', {".#.", "#.#", "#.#", "##.", ".##"}},
    {'R', {"##.", "#.#", "##.", "#.#", "#.#"}},
    {'S', {".##", "#..", ".#.", "..#", "##."}},
    {'T', {"###", ".#.", ".#.", ".#.", ".#."}},
    {'U', {"#.#", "#.#", "#.#", "#.#", "###"}},
    {'V', {"#.#", "#.#", "#.#", "#.#", ".#."}},
    {'W', {"#.#", "#.#", "###", "###", "#.#"}},
    {'X', {"#.#", "#.#", ".#.", "#.#", "#.#"}},
    {'Y', {"#.#", "#.#", ".#.", ".#.", ".#."}},
    {'Z', {"###", "..#", ".#.", "#..", "###"}},
    {'0', {"###", "#.#", "#.#", "#.#", "###"}},
    {'1', {".#.", "##.", ".#.", ".#.", "###"}},
    {'2', {"##.", "..#", ".#.", "#..", "###"}},
    {'3', {"##.", "..#", ".#.", "..#", "##."}},
    {'4', {"#.#", "#.#", "###", "..#", "..#"}},
    {'5', {"###", "#..", "##.", "..#", "##."}},
    {'6', {".##", "#..", "###", "#.#", "###"}},
    {'7', {"###", "..#", ".#.", ".#.", ".#."}},
    {'8', {"###", "#.#", "###", "#.#", "###"}},
    {'9', {"###", "#.#", "###", "..#", "##."}},
    {'.', {"...", "...", "...", "...", ".#."}},
    {'-', {"...", "...", "###", "...", "..."}},
    {'+', {"...", ".#.", "###", ".#.", "..."}},
    {'_', {"...", "...", "...", "...", "###"}},
    {'(', {"..#", ".#.", ".#.", ".#.", "..#"}},
    {')', {"#..", ".#.", ".#.", ".#.", "#.."}},
    {'|', {".#.", ".#.", ".#.", ".#.", ".#."}},
    {',', {"...", "...", "...", ".#.", "#.."}},
    {'=', {"...", "###", "...", "###", "..."}},
    {' ', {"...", "...", "...", "...", "..."}},
    {'?', {"##.", "..#", ".#.", "...", ".#."}},
};
/// Each font pixel is kScale x kScale image pixels; characters advance by
/// kAdvance.
constexpr int64_t kScale = 2;
constexpr int64_t kAdvance = 4 * kScale;
constexpr int64_t kTextHeight = 5 * kScale;

const Glyph &glyphOf(char c) {
  if (c >= 'a' && c <= 'z')
    c = static_cast<char>(c - 'a' + 'A');
  for (const Glyph &glyph : kFont)
    if (glyph.c == c)
      return glyph;
  return kFont[sizeof(kFont) / sizeof(kFont[0]) - 1];
}

struct Canvas {
  Image &image;

  void set(int64_t x, int64_t y, const uint8_t rgb[3]) {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height)
      return;
    uint8_t *pixel = image.at(x, y);
    pixel[0] = rgb[0];
    pixel[1] = rgb[1];
    pixel[2] = rgb[2];
  }
  void rect(int64_t x0, int64_t y0, int64_t x1, int64_t y1,
            const uint8_t rgb[3]) {
    for (int64_t y = y0; y <= y1; ++y)
      for (int64_t x = x0; x <= x1; ++x)
        set(x, y, rgb);
  }
  /// A line from (x0, y0) to (x1, y1), two pixels thick; with `dash`, only
  /// its pixels in the first half of each 8-pixel period.
  void line(int64_t x0, int64_t y0, int64_t x1, int64_t y1,
            const uint8_t rgb[3], bool dash = false,
            int64_t *dashPhase = nullptr) {
    int64_t dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int64_t err = dx + dy, phase = dashPhase ? *dashPhase : 0;
    while (true) {
      if (!dash || phase % 8 < 5) {
        set(x0, y0, rgb);
        set(x0 + (dx > -dy ? 0 : 1), y0 + (dx > -dy ? 1 : 0), rgb);
      }
      ++phase;
      if (x0 == x1 && y0 == y1)
        break;
      int64_t e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
    if (dashPhase)
      *dashPhase = phase;
  }
  void text(int64_t x, int64_t y, const std::string &s, const uint8_t rgb[3]) {
    for (char c : s) {
      const Glyph &glyph = glyphOf(c);
      for (int64_t row = 0; row < 5; ++row)
        for (int64_t col = 0; col < 3; ++col)
          if (glyph.rows[row][col] == '#')
            rect(x + col * kScale, y + row * kScale, x + col * kScale + 1,
                 y + row * kScale + 1, rgb);
      x += kAdvance;
    }
  }
};

/// Tick positions: multiples of 1, 2 or 5 times a power of ten, about
/// `count` of them in [lo, hi].
std::vector<double> ticks(double lo, double hi, int count) {
  double span = hi - lo;
  if (!(span > 0))
    return {lo};
  double raw = span / count;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9;
       t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string tickLabel(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}
} // namespace

void gps::rt::curveColour(int colour, uint8_t rgb[3]) {
  static const uint8_t kPalette[][3] = {{31, 119, 180}, {214, 39, 40},
                                        {44, 160, 44},  {255, 127, 14},
                                        {148, 103, 189}, {140, 86, 75}};
  const uint8_t *c = kPalette[colour % 6];
  rgb[0] = c[0];
  rgb[1] = c[1];
  rgb[2] = c[2];
}

Image gps::rt::drawCurves(const std::vector<Curve> &curves, int64_t width,
                          int64_t height, PlotFrame *frameOut) {
  Image image(width, height, 3, 255);
  Canvas canvas{image};
  const uint8_t black[3] = {0, 0, 0}, grid[3] = {225, 225, 225};

  // The value ranges, with 5% margins (a constant gets +-1).
  PlotFrame frame;
  double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
  for (const Curve &curve : curves)
    for (auto [x, y] : curve.points) {
      xMin = std::min(xMin, x);
      xMax = std::max(xMax, x);
      yMin = std::min(yMin, y);
      yMax = std::max(yMax, y);
    }
  if (!(xMin <= xMax)) {
    xMin = 0;
    xMax = 1;
    yMin = 0;
    yMax = 1;
  }
  xMin = std::min(xMin, 0.0);
  if (xMax <= xMin)
    xMax = xMin + 1;
  if (yMax <= yMin) {
    yMin -= 1;
    yMax += 1;
  }
  double pad = (yMax - yMin) * 0.05;
  frame.xMin = xMin;
  frame.xMax = xMax;
  frame.yMin = yMin - pad;
  frame.yMax = yMax + pad;

  // Legend above the plot, two entries a row; tick labels left and below.
  std::vector<double> yTicks = ticks(frame.yMin, frame.yMax, 5);
  std::vector<double> xTicks = ticks(frame.xMin, frame.xMax, 6);
  size_t labelChars = 1;
  for (double t : yTicks)
    labelChars = std::max(labelChars, tickLabel(t).size());
  int64_t legendRows = (static_cast<int64_t>(curves.size()) + 1) / 2;
  frame.left = 10 + static_cast<int64_t>(labelChars) * kAdvance + 6;
  frame.right = width - 16;
  frame.top = 8 + legendRows * (kTextHeight + 6) + 6;
  frame.bottom = height - (8 + kTextHeight + 8);
  if (frame.right <= frame.left + 10 || frame.bottom <= frame.top + 10) {
    if (frameOut)
      *frameOut = frame;
    return image;
  }
  auto px = [&](double x) {
    return frame.left + static_cast<int64_t>(std::lround(
                            (x - frame.xMin) / (frame.xMax - frame.xMin) *
                            double(frame.right - frame.left)));
  };
  auto py = [&](double y) {
    return frame.bottom - static_cast<int64_t>(std::lround(
                              (y - frame.yMin) / (frame.yMax - frame.yMin) *
                              double(frame.bottom - frame.top)));
  };

  for (double t : yTicks) {
    int64_t y = py(t);
    canvas.rect(frame.left + 1, y, frame.right, y, grid);
    canvas.rect(frame.left - 4, y, frame.left, y, black);
    std::string label = tickLabel(t);
    canvas.text(frame.left - 6 - static_cast<int64_t>(label.size()) * kAdvance,
                y - kTextHeight / 2, label, black);
  }
  for (double t : xTicks) {
    int64_t x = px(t);
    canvas.rect(x, frame.top, x, frame.bottom - 1, grid);
    canvas.rect(x, frame.bottom, x, frame.bottom + 4, black);
    std::string label = tickLabel(t);
    canvas.text(x - static_cast<int64_t>(label.size()) * kAdvance / 2,
                frame.bottom + 8, label, black);
  }
  canvas.rect(frame.left, frame.top, frame.left, frame.bottom, black);
  canvas.rect(frame.left, frame.bottom, frame.right, frame.bottom, black);

  for (const Curve &curve : curves) {
    uint8_t rgb[3];
    curveColour(curve.colour, rgb);
    int64_t phase = 0;
    for (size_t i = 0; i < curve.points.size(); ++i) {
      int64_t x = px(curve.points[i].first), y = py(curve.points[i].second);
      if (i > 0)
        canvas.line(px(curve.points[i - 1].first),
                    py(curve.points[i - 1].second), x, y, rgb, curve.test,
                    &phase);
      if (curve.test)
        canvas.rect(x - 2, y - 2, x + 2, y + 2, rgb);
    }
  }

  int64_t column = (width - 20) / 2;
  for (size_t i = 0; i < curves.size(); ++i) {
    uint8_t rgb[3];
    curveColour(curves[i].colour, rgb);
    int64_t x = 10 + static_cast<int64_t>(i % 2) * column;
    int64_t y = 8 + static_cast<int64_t>(i / 2) * (kTextHeight + 6);
    int64_t mid = y + kTextHeight / 2;
    int64_t phase = 0;
    canvas.line(x, mid, x + 24, mid, rgb, curves[i].test, &phase);
    if (curves[i].test)
      canvas.rect(x + 10, mid - 2, x + 14, mid + 2, rgb);
    canvas.text(x + 32, y, curves[i].label, black);
  }
  if (frameOut)
    *frameOut = frame;
  return image;
}

//===----------------------------------------------------------------------===//
// The plot command and train --plot
//===----------------------------------------------------------------------===//

Error impl::plotRun(const std::string &dir, const std::string &pngPath,
                    std::vector<std::string> metrics, int64_t width,
                    int64_t height) {
  std::string trainPath = dir + "/metrics.jsonl";
  if (metrics.empty())
    metrics = defaultPlotMetrics(trainPath);
  std::vector<Curve> curves;
  if (Error err = readCurves(trainPath, dir + "/eval.jsonl", metrics, curves))
    return err;
  return writePng(pngPath, drawCurves(curves, width, height));
}

int impl::plotCommand(const std::vector<std::string> &args,
                      const ModelEntryPoints &, const Manifest &manifest,
                      const Console &console) {
  FlagSet flags(console.program + " plot [flags]",
                "Draws the learning curves of a run of model '" +
                    manifest.model +
                    "' to a PNG: the chosen columns of\nmetrics.jsonl "
                    "(training, solid) and eval.jsonl (test split, dashed "
                    "with markers)\nover the updates.");
  flags.add("out", "DIR",
            "run directory (default runs/" + manifest.model + ")");
  flags.add("png", "FILE", "output image (default DIR/curves.png)");
  flags.addList("metrics", "NAME[,NAME...]",
                "columns to draw (default nll_bound, else total_cost)");
  flags.add("width", "PIXELS", "image width (default 640)");
  flags.add("height", "PIXELS", "image height (default 400)");
  if (Error err = flags.parse(args, 2))
    return console.usage("plot", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  uint64_t width = kPlotWidth, height = kPlotHeight;
  std::vector<std::string> metrics;
  Error err;
  if ((err = flags.getUnsigned("width", width, 200, 8000)) ||
      (err = flags.getUnsigned("height", height, 150, 8000)) ||
      (err = flags.getList("metrics", metrics)))
    return console.usage("plot", err.message());
  std::string dir = flags.has("out") ? flags.value("out")
                                     : defaultRunDir(manifest);
  std::string pngPath =
      flags.has("png") ? flags.value("png") : dir + "/curves.png";
  if (Error err = plotRun(dir, pngPath, metrics, static_cast<int64_t>(width),
                          static_cast<int64_t>(height)))
    return console.fail(err.message());
  console.out << "wrote the learning curves of '" << dir << "' to '"
              << pngPath << "'\n";
  return kExitSuccess;
}
