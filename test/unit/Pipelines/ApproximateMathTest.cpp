//===- ApproximateMathTest.cpp - accuracy of gps-approximate-math ---------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Compiles elementwise loops of math.exp, math.log, math.log1p and math.tanh
// on f32 through the CPU code generation pipeline (which approximates them,
// gps-approximate-math), runs them in the JIT over sweeps of inputs and compares each result with
// the function evaluated in double precision by libm. The largest relative
// error must stay within a few float32 roundings (FLT_EPSILON = 1.2e-7),
// which the gradient checks and the equal-work check of bench/run tolerate
// by orders of magnitude; libm's own float functions are measured alongside
// for scale.
//
//===----------------------------------------------------------------------===//

#include "gps/Pipelines/Pipelines.h"
#include "gps/Target/CPU.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

/// A rank-1 memref descriptor of the C interface.
struct Memref1D {
  float *allocated, *aligned;
  int64_t offset, size, stride;
};
using ArrayFn = void (*)(Memref1D *x, Memref1D *y);

// Each function maps an array elementwise, the form of the models' loops.
constexpr const char *kModule = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @gps_test_exp(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  }
  return
}
func.func @gps_test_log(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.log %in : f32
    linalg.yield %r : f32
  }
  return
}
func.func @gps_test_log1p(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.log1p %in : f32
    linalg.yield %r : f32
  }
  return
}
func.func @gps_test_tanh(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.tanh %in : f32
    linalg.yield %r : f32
  }
  return
}
)mlir";

/// The approximated functions, compiled once for all tests.
class ApproximateMathTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    mlir::DialectRegistry registry;
    gps::registerDialects(registry);
    gps::registerLLVMTranslations(registry);
    context = new mlir::MLIRContext(registry);
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(kModule, context);
    ASSERT_TRUE(module);
    mlir::PassManager pm(context);
    gps::buildCPUCodegenPipeline(pm);
    ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
    // The pipeline approximated them: no math op is left to become a libm
    // call.
    bool hasMath = false;
    module->walk([&](mlir::Operation *op) {
      hasMath |= op->getName().getStringRef().contains("exp") ||
                 op->getName().getStringRef().contains("log") ||
                 op->getName().getStringRef().contains("tanh");
    });
    EXPECT_FALSE(hasMath);
    auto created = mlir::ExecutionEngine::create(*module);
    ASSERT_TRUE(bool(created)) << llvm::toString(created.takeError());
    engine = created->release();
  }

  static void TearDownTestSuite() {
    delete engine;
    delete context;
  }

  /// The compiled function gps_test_<name>, mapping a vector of inputs.
public:
  static std::function<std::vector<float>(std::vector<float>)>
  lookup(const std::string &name) {
    auto address = engine->lookup("_mlir_ciface_gps_test_" + name);
    if (!address) {
      llvm::consumeError(address.takeError());
      return nullptr;
    }
    auto fn = reinterpret_cast<ArrayFn>(*address);
    return [fn](std::vector<float> xs) {
      std::vector<float> ys(xs.size());
      Memref1D x{xs.data(), xs.data(), 0, int64_t(xs.size()), 1};
      Memref1D y{ys.data(), ys.data(), 0, int64_t(ys.size()), 1};
      fn(&x, &y);
      return ys;
    };
  }

protected:
  static mlir::MLIRContext *context;
  static mlir::ExecutionEngine *engine;
};

mlir::MLIRContext *ApproximateMathTest::context = nullptr;
mlir::ExecutionEngine *ApproximateMathTest::engine = nullptr;

/// Inputs from lo to hi: n evenly spaced, plus n spaced geometrically on
/// each side of zero within the range.
std::vector<float> sweep(float lo, float hi, int n) {
  std::vector<float> xs;
  for (int i = 0; i <= n; ++i)
    xs.push_back(lo + (hi - lo) * float(i) / float(n));
  for (int i = 0; i <= n; ++i) {
    float x = std::pow(10.0f, -30.0f + 40.0f * float(i) / float(n));
    if (x >= lo && x <= hi)
      xs.push_back(x);
    if (-x >= lo && -x <= hi)
      xs.push_back(-x);
  }
  return xs;
}

struct Error {
  double maxRel = 0.0;
  float worst = 0.0f;
};

/// The largest |ys[i] - ref(xs[i])| / |ref(xs[i])| (ref in double).
Error relativeError(const std::vector<float> &ys, double (*ref)(double),
                    const std::vector<float> &xs) {
  Error error;
  for (size_t i = 0; i < xs.size(); ++i) {
    float x = xs[i];
    double want = ref(double(x));
    double got = double(ys[i]);
    double rel = want == 0.0 ? std::fabs(got) : std::fabs(got - want) /
                                                     std::fabs(want);
    if (!(rel <= error.maxRel)) {
      error.maxRel = rel;
      error.worst = x;
    }
  }
  return error;
}

/// Checks the approximation of `name` against libm over xs: its largest
/// relative error is at most `bound`. Prints it and libm's float error.
void expectAccurate(const char *name, float (*libmFloat)(float),
                    double (*ref)(double), const std::vector<float> &xs,
                    double bound) {
  auto approx = ApproximateMathTest::lookup(name);
  ASSERT_TRUE(approx) << name;
  std::vector<float> libmYs;
  for (float x : xs)
    libmYs.push_back(libmFloat(x));
  Error mine = relativeError(approx(xs), ref, xs);
  Error libm = relativeError(libmYs, ref, xs);
  std::printf("%-6s %zu inputs: max relative error %.2e (at %.6g), libm's "
              "float function %.2e\n",
              name, xs.size(), mine.maxRel, double(mine.worst), libm.maxRel);
  EXPECT_LE(mine.maxRel, bound)
      << name << " is off by " << mine.maxRel << " at x = " << mine.worst;
}

TEST_F(ApproximateMathTest, ExpOverItsNormalRange) {
  // exp(x) is a normal float for x in about [-87.3, 88.7].
  expectAccurate("exp", expf, std::exp, sweep(-87.0f, 88.5f, 200000),
                 4 * FLT_EPSILON);
}

TEST_F(ApproximateMathTest, LogFromTinyToHuge) {
  // Away from x = 1, where log(x) -> 0 and any float rounding of x - 1
  // counts as a large relative error.
  std::vector<float> xs;
  for (float x : sweep(1e-30f, 1e30f, 200000))
    if (x > 0 && std::fabs(x - 1.0f) > 1e-3f)
      xs.push_back(x);
  expectAccurate("log", logf, std::log, xs, 4 * FLT_EPSILON);
}

TEST_F(ApproximateMathTest, Log1pNearZeroAndFar) {
  // Bernoulli's log-likelihood takes log1p(exp(-|x|)), x in (0, 1]; tiny
  // arguments must keep their relative precision.
  expectAccurate("log1p", log1pf, std::log1p, sweep(-0.999f, 1e6f, 200000),
                 4 * FLT_EPSILON);
}

TEST_F(ApproximateMathTest, TanhNearZeroAndSaturated) {
  expectAccurate("tanh", tanhf, std::tanh, sweep(-20.0f, 20.0f, 200000),
                 4 * FLT_EPSILON);
}

TEST_F(ApproximateMathTest, LimitsAndSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto exp = lookup("exp"), log = lookup("log"), log1p = lookup("log1p"),
       tanh = lookup("tanh");
  ASSERT_TRUE(exp && log && log1p && tanh);
  std::vector<float> e = exp({0.0f, -inf, inf, 100.0f, -100.0f, nan});
  EXPECT_EQ(e[0], 1.0f);
  EXPECT_EQ(e[1], 0.0f);
  EXPECT_EQ(e[2], inf);
  EXPECT_EQ(e[3], inf);
  EXPECT_GE(e[4], 0.0f);
  EXPECT_LE(e[4], 1e-37f);
  EXPECT_TRUE(std::isnan(e[5]));
  std::vector<float> l = log({1.0f, 0.0f, inf, -1.0f});
  EXPECT_EQ(l[0], 0.0f);
  EXPECT_EQ(l[1], -inf);
  EXPECT_EQ(l[2], inf);
  EXPECT_TRUE(std::isnan(l[3]));
  std::vector<float> l1 = log1p({0.0f, -1.0f, 1e-30f});
  EXPECT_EQ(l1[0], 0.0f);
  EXPECT_EQ(l1[1], -inf);
  EXPECT_EQ(l1[2], 1e-30f);
  std::vector<float> t = tanh({0.0f, inf, -inf, 1e-20f, nan});
  EXPECT_EQ(t[0], 0.0f);
  EXPECT_EQ(t[1], 1.0f);
  EXPECT_EQ(t[2], -1.0f);
  EXPECT_EQ(t[3], 1e-20f);
  EXPECT_TRUE(std::isnan(t[4]));
}

} // namespace
