// Tensor: shapes, zero initialisation, bounds-checked indexing, views (reshape, copies),
// storage reuse (resize), deep copies (clone), alignment and the error messages.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/tensor.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {}  // namespace

TEST(Shape, NumelRankAndString) {
  const Shape s{100, 1, 28, 28};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s.numel(), 78400);
  EXPECT_EQ(s.str(), "(100, 1, 28, 28)");
  EXPECT_EQ(Shape{}.numel(), 1);  // a scalar
  EXPECT_EQ(Shape{}.str(), "()");
  EXPECT_EQ((Shape{3, 0, 2}.numel()), 0);
  EXPECT_TRUE((Shape{2, 3} == Shape{2, 3}));
  EXPECT_FALSE((Shape{2, 3} == Shape{3, 2}));
  EXPECT_FALSE((Shape{6} == Shape{6, 1}));
  EXPECT_TRUE((Shape{1, 28, 28}.with_batch(5) == Shape{5, 1, 28, 28}));
  EXPECT_TRUE((Shape{5, 1, 28, 28}.drop_first() == Shape{1, 28, 28}));
}

TEST(Shape, RejectsSevenDimensionsAndNegativeSizes) {
  EXPECT_NO_THROW((Shape{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW((Shape{1, 2, 3, 4, 5, 6, 7}), Error);
  EXPECT_NE(error_of([] { Shape s{2, -1}; }).find("negative dimension -1"), std::string::npos);
}

// Issue 17: an input of [2^31, 2^31, 2^31] flattened to 0 elements (2^93 wraps to 0 in 64
// bits) and the network was built on it. Shapes past 2^60 elements are refused when built.
TEST(Shape, ElementCountsThatOverflowAreRefused) {
  const int64_t big = int64_t{1} << 31;
  EXPECT_HAS(error_of([&] {
               Shape s{big, big, big};
             }),
             "shape: (2147483648, 2147483648, 2147483648) holds more than 2^60 elements");
  EXPECT_HAS(error_of([&] { Shape s{int64_t{1} << 40, int64_t{1} << 30}; }), "more than 2^60");
  EXPECT_EQ((Shape{int64_t{1} << 30, int64_t{1} << 30}.numel()), Shape::kMaxNumel);
  // A batch dimension in front counts too.
  EXPECT_HAS(error_of([&] { (void)Shape{big, big}.with_batch(big); }), "more than 2^60");
  // A zero leaves nothing to hold, but the other sizes must still fit: dropping the zero
  // later must not expose an overflow.
  EXPECT_HAS(error_of([&] { Shape s{0, big, big, big}; }), "more than 2^60");
  EXPECT_EQ((Shape{0, int64_t{1} << 29, int64_t{1} << 29}.numel()), 0);
}

TEST(Tensor, ShapeAndDims) {
  Tensor t(Shape{2, 3, 4});
  EXPECT_EQ(t.rank(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE((t.shape() == Shape{2, 3, 4}));
  EXPECT_EQ(t.dim(0), 2);
  EXPECT_EQ(t.dim(2), 4);
  EXPECT_EQ(t.dim(-1), 4);
  EXPECT_EQ(t.dim(-3), 2);
  EXPECT_FALSE(t.empty());
  const std::string msg = error_of([&] { (void)t.dim(3); });
  EXPECT_NE(msg.find("(2, 3, 4)"), std::string::npos) << msg;
  EXPECT_THROW((void)t.dim(-4), Error);
}

TEST(Tensor, DefaultIsEmpty) {
  Tensor t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.begin(), t.end());
}

TEST(Tensor, ZeroInitialisedAndFilled) {
  Tensor t(Shape{7, 5});
  for (float v : t) EXPECT_EQ(v, 0.0f);
  Tensor f(Shape{3, 3}, 2.5f);
  for (float v : f) EXPECT_EQ(v, 2.5f);
  f.zero();
  for (float v : f) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, ValuesAreRowMajor) {
  Tensor t(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.at(0, 0), 1.0f);
  EXPECT_EQ(t.at(0, 2), 3.0f);
  EXPECT_EQ(t.at(1, 0), 4.0f);
  EXPECT_EQ(t.at(1, 2), 6.0f);
  EXPECT_EQ(t[4], 5.0f);
  t.at(1, 1) = 50.0f;
  EXPECT_EQ(t[4], 50.0f);
}

TEST(Tensor, ConstructorRejectsWrongNumberOfValues) {
  const std::string msg = error_of([] { Tensor t(Shape{2, 3}, {1, 2, 3}); });
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 3"), std::string::npos) << msg;
}

TEST(Tensor, AtIndexesEveryAxisOfANchwTensor) {
  Tensor t(Shape{2, 3, 4, 5});
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i);
  // offset of (n, c, h, w) = ((n*3 + c)*4 + h)*5 + w
  EXPECT_EQ(t.at(1, 2, 3, 4), 119.0f);
  EXPECT_EQ(t.at(1, 0, 2, 1), static_cast<float>(((1 * 3 + 0) * 4 + 2) * 5 + 1));
  EXPECT_EQ(t.at(0, 1, 0, 3), static_cast<float>((1 * 4 + 0) * 5 + 3));
}

TEST(Tensor, AtChecksBounds) {
  Tensor t(Shape{2, 3});
  std::string msg = error_of([&] { t.at(2, 0) = 1.0f; });
  EXPECT_NE(msg.find("index 2 out of range for axis 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  msg = error_of([&] { t.at(0, 3) = 1.0f; });
  EXPECT_NE(msg.find("axis 1"), std::string::npos) << msg;
  EXPECT_THROW(t.at(-1, 0), Error);
  // Wrong number of indices.
  msg = error_of([&] { t.at(1) = 1.0f; });
  EXPECT_NE(msg.find("1 indices for shape (2, 3)"), std::string::npos) << msg;
  EXPECT_THROW(t.at(0, 0, 0), Error);
  const Tensor& c = t;
  EXPECT_THROW((void)c.at(0, 5), Error);
  EXPECT_EQ(c.at(1, 2), 0.0f);
}

TEST(Tensor, RankSix) {
  Tensor t(Shape{2, 1, 3, 1, 2, 2});
  EXPECT_EQ(t.rank(), 6);
  EXPECT_EQ(t.numel(), 24);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i);
  // ((((1*1 + 0)*3 + 2)*1 + 0)*2 + 1)*2 + 1 = 23
  EXPECT_EQ(t.at(1, 0, 2, 0, 1, 1), 23.0f);
  EXPECT_EQ(t.at(0, 0, 1, 0, 0, 1), 5.0f);
  EXPECT_THROW(t.at(0, 1, 0, 0, 0, 0), Error);
}

TEST(Tensor, ReshapeIsAView) {
  Tensor a(Shape{2, 6});
  for (int64_t i = 0; i < a.numel(); ++i) a[i] = static_cast<float>(i);
  Tensor b = a.reshape(Shape{3, 2, 2});
  EXPECT_TRUE((b.shape() == Shape{3, 2, 2}));
  EXPECT_TRUE((a.shape() == Shape{2, 6}));  // the original keeps its shape
  EXPECT_EQ(b.data(), a.data());
  EXPECT_EQ(b.at(2, 1, 1), 11.0f);
  b.at(1, 0, 1) = -7.0f;  // element 5
  EXPECT_EQ(a.at(0, 5), -7.0f);
  a.at(1, 0) = 42.0f;  // element 6
  EXPECT_EQ(b.at(1, 1, 0), 42.0f);
}

TEST(Tensor, CopyIsAViewToo) {
  Tensor a(Shape{4}, {1, 2, 3, 4});
  Tensor b = a;  // like a NumPy array: same storage
  b[0] = 9.0f;
  EXPECT_EQ(a[0], 9.0f);
}

TEST(Tensor, ReshapeRejectsWrongElementCountNamingBothShapes) {
  Tensor a(Shape{2, 3});
  const std::string msg = error_of([&] { (void)a.reshape(Shape{4, 2}); });
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(4, 2)"), std::string::npos) << msg;
}

TEST(Tensor, ResizeReusesStorageWhenLargeEnough) {
  Tensor t(Shape{4, 4});
  float* p = t.data();
  t.resize(Shape{2, 3});
  EXPECT_EQ(t.data(), p);
  EXPECT_TRUE((t.shape() == Shape{2, 3}));
  EXPECT_EQ(t.numel(), 6);
  t.resize(Shape{16});  // back up to the capacity: still the same storage
  EXPECT_EQ(t.data(), p);
  t.resize(Shape{8, 8});  // larger: new storage
  EXPECT_EQ(t.numel(), 64);
  t.fill(1.0f);  // every element of the new storage is writable
  EXPECT_EQ(t.at(7, 7), 1.0f);
}

TEST(Tensor, ResizeLeavesOldViewsOnOldStorage) {
  Tensor t(Shape{2}, {1, 2});
  Tensor view = t;
  t.resize(Shape{100});
  t.fill(5.0f);
  EXPECT_TRUE((view.shape() == Shape{2}));
  EXPECT_EQ(view[0], 1.0f);
  EXPECT_EQ(view[1], 2.0f);
}

TEST(Tensor, CloneIsDeep) {
  Tensor a(Shape{2, 2}, {1, 2, 3, 4});
  Tensor b = a.clone();
  EXPECT_NE(b.data(), a.data());
  EXPECT_TRUE((b.shape() == a.shape()));
  b[0] = 100.0f;
  EXPECT_EQ(a[0], 1.0f);
  a[3] = -1.0f;
  EXPECT_EQ(b[3], 4.0f);
  EXPECT_EQ(b[1], 2.0f);
}

TEST(Tensor, DataIs64ByteAligned) {
  for (int64_t n : {1, 3, 15, 16, 17, 100, 1000, 4097}) {
    Tensor t(Shape{n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u) << "n = " << n;
    Tensor c = t.clone();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(c.data()) % 64, 0u) << "clone, n = " << n;
    t.resize(Shape{n * 3 + 1});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u) << "resized, n = " << n;
  }
}

TEST(Tensor, CopyFrom) {
  Tensor src(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor dst(Shape{3, 2});  // same number of elements, other shape: allowed
  dst.copy_from(src);
  EXPECT_TRUE((dst.shape() == Shape{3, 2}));
  EXPECT_EQ(dst.at(2, 1), 6.0f);
  EXPECT_NE(dst.data(), src.data());
  src[0] = 10.0f;
  EXPECT_EQ(dst[0], 1.0f);
}

TEST(Tensor, CopyFromMismatchNamesBothShapes) {
  Tensor src(Shape{2, 3});
  Tensor dst(Shape{5});
  const std::string msg = error_of([&] { dst.copy_from(src); });
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(5)"), std::string::npos) << msg;
}

TEST(Tensor, SpanCoversEveryElement) {
  Tensor t(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  std::span<float> s = t.span();
  EXPECT_EQ(s.size(), 6u);
  EXPECT_EQ(s.data(), t.data());
  float sum = 0.0f;
  for (float v : t) sum += v;
  EXPECT_EQ(sum, 21.0f);
}

TEST(Tensor, CheckSameShape) {
  EXPECT_NO_THROW(check_same_shape(Shape{2, 3}, Shape{2, 3}, "add"));
  const std::string msg = error_of([] { check_same_shape(Shape{2, 3}, Shape{3, 2}, "add"); });
  EXPECT_NE(msg.find("add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(3, 2)"), std::string::npos) << msg;
}

// A tensor beyond the size limit (a layer of a million outputs on MNIST: 3 GB) is refused with
// a message naming its shape, before anything is allocated.
TEST(Tensor, TooLargeIsRefusedBeforeAllocating) {
  const int64_t before = tensor_allocations();
  const std::string message = nnzero_test::error_of([] { Tensor t(Shape{1000000, 784}); });
  EXPECT_HAS(message, "(1000000, 784)");
  EXPECT_HAS(message, "NNZERO_MAX_TENSOR_MB");
  EXPECT_EQ(tensor_allocations(), before);
  Tensor small(Shape{10, 10});
  EXPECT_HAS(nnzero_test::error_of([&] { small.resize(Shape{int64_t{1} << 30}); }),
             "more than the limit");
  EXPECT_EQ(small.numel(), 100);  // unchanged
}
