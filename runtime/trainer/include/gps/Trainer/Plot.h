//===- Plot.h - learning curves of a run as a PNG ---------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The learning curves of a run directory: chosen columns of metrics.jsonl
// (training) and eval.jsonl (the test split) over the update count, drawn
// into an RGB Image (Png.h) with axes, tick labels in a small built-in
// bitmap font and a legend. docs/trainer.md, "plot".
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_PLOT_H
#define GPS_TRAINER_PLOT_H

#include "gps/Runtime/Error.h"
#include "gps/Trainer/Png.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gps::rt {

/// One curve: (update, value) points in update order.
struct Curve {
  /// The legend: "train nll_bound", "test nll_bound".
  std::string label;
  /// A test-split curve (eval.jsonl): dashed, with a marker at each point.
  bool test = false;
  /// Its colour index; a metric's train and test curves share one.
  int colour = 0;
  std::vector<std::pair<double, double>> points;
};

/// The plot area of a drawn image, in pixels: x in [left, right], y in
/// [top, bottom] (the axes run along left and bottom), and the values at
/// its edges.
struct PlotFrame {
  int64_t left = 0, top = 0, right = 0, bottom = 0;
  double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
};

/// The colour of curve colour index `colour` (RGB).
void curveColour(int colour, uint8_t rgb[3]);

/// Reads the curves of `metrics` from the JSON Lines files `trainPath`
/// (required) and `testPath` (optional: absent is no test curves). A record
/// whose value is null or missing adds no point; the last line of a file
/// may be cut short (a run writing it) and is then ignored. Fails, naming
/// the file and line, on a line that is not a JSON object with a numeric
/// "step", on a value that is neither a number nor null, and on a metric
/// that neither file has.
Error readCurves(const std::string &trainPath, const std::string &testPath,
                 const std::vector<std::string> &metrics,
                 std::vector<Curve> &curves);

/// Draws `curves` into a width x height RGB image: white background, a
/// legend above the plot area, axes with tick labels (updates along x,
/// values along y) and light grid lines. The value range covers every
/// point, with 5% margins. `frame` receives the plot area.
Image drawCurves(const std::vector<Curve> &curves, int64_t width,
                 int64_t height, PlotFrame *frame = nullptr);

/// The default metrics of a run: nll_bound when metrics.jsonl has values of
/// it, else total_cost.
std::vector<std::string> defaultPlotMetrics(const std::string &trainPath);

} // namespace gps::rt

#endif // GPS_TRAINER_PLOT_H
