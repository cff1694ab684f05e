//===- BlasTest.cpp - tests of sgemm and stream-numbered normals ----------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"
#include "gps/Runtime/Interface.h"
#include "gps/Runtime/Philox.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

using namespace gps::rt;

namespace {

/// A rows x cols view at `offset` into a buffer with row stride `ld`.
gps_memref<float, 2> view(std::vector<float> &buffer, int64_t offset,
                          int64_t rows, int64_t cols, int64_t ld) {
  return {buffer.data(), buffer.data(), offset, {rows, cols}, {ld, 1}};
}

/// A buffer of `size` floats with distinct, exactly representable values.
std::vector<float> pattern(size_t size, int seed) {
  std::vector<float> values(size);
  for (size_t i = 0; i < size; ++i)
    values[i] = static_cast<float>((int(i) * 7 + seed * 13) % 17 - 8) / 4.0f;
  return values;
}

/// Checks the library's product against naive loops in double precision for
/// every transpose, on sub-views with padded rows.
void checkAgainstNaiveLoops(int64_t m, int64_t n, int64_t k) {
  const float alpha = 1.5f, beta = -0.5f;
  for (int transA = 0; transA < 2; ++transA)
    for (int transB = 0; transB < 2; ++transB) {
      // Stored shapes, as sub-views (offset 2, row stride +3) of larger
      // buffers.
      int64_t aRows = transA ? k : m, aCols = transA ? m : k;
      int64_t bRows = transB ? n : k, bCols = transB ? k : n;
      std::vector<float> aBuf = pattern(2 + aRows * (aCols + 3), 1);
      std::vector<float> bBuf = pattern(2 + bRows * (bCols + 3), 2);
      std::vector<float> cBuf = pattern(2 + m * (n + 3), 3);
      gps_memref<float, 2> a = view(aBuf, 2, aRows, aCols, aCols + 3);
      gps_memref<float, 2> b = view(bBuf, 2, bRows, bCols, bCols + 3);
      gps_memref<float, 2> c = view(cBuf, 2, m, n, n + 3);
      std::vector<float> before = cBuf;

      _mlir_ciface_gps_rt_sgemm(transA, transB, alpha, &a, &b, beta, &c);

      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < k; ++p) {
            float av = transA ? a({p, i}) : a({i, p});
            float bv = transB ? b({j, p}) : b({p, j});
            sum += double(av) * double(bv);
          }
          double expected = alpha * sum + beta * before[2 + i * (n + 3) + j];
          // The pattern's values are multiples of 1/4 and the sums stay
          // far below 2^24 / 16: every partial sum is exact in float.
          ASSERT_NEAR(c({i, j}), expected, 1e-5)
              << m << "x" << n << "x" << k << " transA " << transA
              << " transB " << transB << " at " << i << "," << j;
        }
      // Padding between rows is untouched.
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = n; j < n + 3; ++j) {
          ASSERT_EQ(cBuf[2 + i * (n + 3) + j], before[2 + i * (n + 3) + j]);
        }
      }
    }
}

} // namespace

TEST(BlasTest, SgemmMatchesNaiveLoopsForAllTransposes) {
  checkAgainstNaiveLoops(5, 4, 3);
}

// Large enough for the library's blocked, threaded kernels and their edges.
TEST(BlasTest, SgemmMatchesNaiveLoopsOnBlockedSizes) {
  int before = getBlasThreads();
  for (int threads : {1, 2}) {
    setBlasThreads(threads);
    checkAgainstNaiveLoops(257, 130, 301);
  }
  setBlasThreads(before);
}

TEST(BlasTest, ThreadCountIsSetAndRead) {
  int before = getBlasThreads();
  setBlasThreads(1);
  EXPECT_EQ(getBlasThreads(), 1);
  setBlasThreads(3);
  EXPECT_EQ(getBlasThreads(), 3);
  setBlasThreads(before);
}

TEST(BlasTest, NamesItsLibrary) {
  std::string name = gemmLibrary();
  EXPECT_TRUE(name.rfind(std::string(GPS_TEST_GEMM_NAME) + " ", 0) == 0)
      << name;
}

#if GPS_TEST_GEMM_ONEDNN
// GemmOneDNN.cpp gives OpenMP a wait policy (passive, unless the
// environment has one) before it loads oneDNN and libgomp.
TEST(BlasTest, OpenMPHasAWaitPolicy) {
  EXPECT_FALSE(gemmLibrary().empty());
  EXPECT_NE(std::getenv("OMP_WAIT_POLICY"), nullptr);
}
#endif

namespace {

TEST(BlasTest, SgemmWithBetaZeroIgnoresNaNInC) {
  std::vector<float> a = {1, 2, 3, 4}, b = {1, 0, 0, 1};
  std::vector<float> c(4, NAN);
  gps_memref<float, 2> av = view(a, 0, 2, 2, 2), bv = view(b, 0, 2, 2, 2),
                       cv = view(c, 0, 2, 2, 2);
  _mlir_ciface_gps_rt_sgemm(0, 0, 1.0f, &av, &bv, 0.0f, &cv);
  EXPECT_EQ(c, a);
}

TEST(BlasTest, SgemmWithEmptyInnerDimensionScalesC) {
  std::vector<float> a(1), b(1), c = {1, 2, 3, 4, 5, 6};
  gps_memref<float, 2> av = view(a, 0, 2, 0, 0), bv = view(b, 0, 0, 3, 3),
                       cv = view(c, 0, 2, 3, 3);
  _mlir_ciface_gps_rt_sgemm(0, 0, 1.0f, &av, &bv, 2.0f, &cv);
  EXPECT_EQ(c, (std::vector<float>{2, 4, 6, 8, 10, 12}));
}

TEST(BlasDeathTest, SgemmShapeMismatchAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<float> a(6), b(6), c(4);
  gps_memref<float, 2> av = view(a, 0, 2, 3, 3), bv = view(b, 0, 2, 3, 3),
                       cv = view(c, 0, 2, 2, 2);
  EXPECT_DEATH(_mlir_ciface_gps_rt_sgemm(0, 0, 1.0f, &av, &bv, 0.0f, &cv),
               "gps_rt_sgemm: shape mismatch: op\\(A\\) of A \\[2, 3\\] is "
               "2x3, op\\(B\\) of B \\[2, 3\\] is 2x3");
}

TEST(BlasDeathTest, SgemmColumnStrideAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<float> a(8), b(4), c(4);
  gps_memref<float, 2> av = {a.data(), a.data(), 0, {2, 2}, {1, 2}};
  gps_memref<float, 2> bv = view(b, 0, 2, 2, 2), cv = view(c, 0, 2, 2, 2);
  EXPECT_DEATH(_mlir_ciface_gps_rt_sgemm(0, 0, 1.0f, &av, &bv, 0.0f, &cv),
               "operand A \\[2, 2\\] has strides \\[1, 2\\]; the last stride "
               "must be 1");
}

TEST(NormalStreamTest, DeterministicAndBlockwise) {
  std::vector<float> first(10), second(10);
  gps_rt_philox_normal_stream_f32(first.data(), 10, 42, 7);
  gps_rt_philox_normal_stream_f32(second.data(), 10, 42, 7);
  EXPECT_EQ(first, second);
  // Block 0 of stream 7 is Philox at counter {0, 0, 7, 0}.
  PhiloxCounter bits = philox4x32({0, 0, 7, 0}, philoxKey(42));
  float z0, z1;
  boxMuller(uniformFromBits(bits[0]), uniformFromBits(bits[1]), z0, z1);
  EXPECT_EQ(first[0], z0);
  EXPECT_EQ(first[1], z1);
  // The 64-bit stream fills counter words 2 and 3.
  uint64_t stream = 0x0000000500000003ull;
  gps_rt_philox_normal_stream_f32(first.data(), 4, 42, stream);
  bits = philox4x32({0, 0, 3, 5}, philoxKey(42));
  boxMuller(uniformFromBits(bits[2]), uniformFromBits(bits[3]), z0, z1);
  EXPECT_EQ(first[2], z0);
  EXPECT_EQ(first[3], z1);
  // A prefix of a longer draw is the shorter draw.
  std::vector<float> longer(12);
  gps_rt_philox_normal_stream_f32(longer.data(), 12, 42, 7);
  gps_rt_philox_normal_stream_f32(second.data(), 10, 42, 7);
  EXPECT_TRUE(std::equal(second.begin(), second.end(), longer.begin()));
}

TEST(NormalStreamTest, MeanAndVariance) {
  const int64_t count = 200000;
  std::vector<float> z(count);
  gps_rt_philox_normal_stream_f32(z.data(), count, 1, 123);
  double sum = 0, sumSquares = 0;
  for (float v : z) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    sumSquares += double(v) * v;
  }
  double mean = sum / count, var = sumSquares / count - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
}

TEST(NormalStreamTest, StreamsAndKeysDiffer) {
  std::vector<float> a(64), b(64), c(64);
  gps_rt_philox_normal_stream_f32(a.data(), 64, 1, 0);
  gps_rt_philox_normal_stream_f32(b.data(), 64, 1, 1);
  gps_rt_philox_normal_stream_f32(c.data(), 64, 2, 0);
  int sameAB = 0, sameAC = 0;
  for (int i = 0; i < 64; ++i) {
    sameAB += a[i] == b[i];
    sameAC += a[i] == c[i];
  }
  EXPECT_EQ(sameAB, 0);
  EXPECT_EQ(sameAC, 0);
  // Stream 0 is the counter-numbered variant from counter 0.
  std::vector<float> plain(64);
  gps_rt_philox_normal_f32(plain.data(), 64, 1, 0);
  EXPECT_EQ(plain, a);
}

TEST(NormalStreamTest, MemrefFillIsIndependentOfStrides) {
  const int64_t rows = 3, cols = 5;
  std::vector<float> expected(rows * cols);
  // Site 2 at step 7 of seed 9.
  gps_rt_philox_normal_stream_f32(expected.data(), rows * cols,
                                  gps_rt_noise_key(9, 2, 7), 4);

  // Contiguous.
  std::vector<float> dense(rows * cols);
  gps_memref<float, 2> denseRef = view(dense, 0, rows, cols, cols);
  _mlir_ciface_gps_rt_normal(&denseRef, 9, 4, 2, 7);
  EXPECT_EQ(dense, expected);

  // Padded rows at an offset; the padding stays untouched.
  std::vector<float> padded(3 + rows * (cols + 2), -100.0f);
  gps_memref<float, 2> paddedRef = view(padded, 3, rows, cols, cols + 2);
  _mlir_ciface_gps_rt_normal(&paddedRef, 9, 4, 2, 7);
  // Transposed storage (column-major).
  std::vector<float> transposed(rows * cols);
  gps_memref<float, 2> transposedRef = {
      transposed.data(), transposed.data(), 0, {rows, cols}, {1, rows}};
  _mlir_ciface_gps_rt_normal(&transposedRef, 9, 4, 2, 7);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      EXPECT_EQ(paddedRef({r, c}), expected[r * cols + c]);
      EXPECT_EQ(transposedRef({r, c}), expected[r * cols + c]);
    }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = cols; c < cols + 2; ++c) {
      EXPECT_EQ(padded[3 + r * (cols + 2) + c], -100.0f);
    }
  }
}

} // namespace
