#include "sklearn/tree/tree_shap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace inferd::sklearn {
namespace {

// A tree with its arrays owned, as a test builds it.
struct OwnedTree {
  std::vector<int32_t> left, right, feature;
  std::vector<double> cover, values;
  size_t width = 1;

  ShapTreeView view() const {
    return {left.data(), right.data(), feature.data(), cover.data(), values.data(), left.size(), width};
  }
};

// A random tree: nodes split until `max_depth` or by chance, features drawn with repeats (so
// a path may split on one feature several times), leaf covers random and each internal
// node's cover the sum of its children's, as training gives.
OwnedTree RandomTree(std::mt19937_64* rng, size_t n_features, int max_depth, size_t width) {
  OwnedTree t;
  t.width = width;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int32_t> pick_feature(0, static_cast<int32_t>(n_features) - 1);
  std::vector<int> depth{0};
  t.left.push_back(-1);
  t.right.push_back(-1);
  t.feature.push_back(0);
  // Breadth-first: children always get ids after their parent.
  for (size_t n = 0; n < t.left.size(); ++n) {
    if (depth[n] >= max_depth || (n > 0 && unit(*rng) < 0.25)) continue;
    const auto l = static_cast<int32_t>(t.left.size());
    t.left[n] = l;
    t.right[n] = l + 1;
    t.feature[n] = pick_feature(*rng);
    for (int c = 0; c < 2; ++c) {
      t.left.push_back(-1);
      t.right.push_back(-1);
      t.feature.push_back(0);
      depth.push_back(depth[n] + 1);
    }
  }
  const size_t count = t.left.size();
  t.cover.assign(count, 0);
  t.values.assign(count * width, 0);
  for (size_t n = count; n-- > 0;) {
    if (t.left[n] < 0) {
      t.cover[n] = 0.5 + 10 * unit(*rng);
      for (size_t k = 0; k < width; ++k) t.values[n * width + k] = 4 * unit(*rng) - 2;
    } else {
      t.cover[n] = t.cover[static_cast<size_t>(t.left[n])] + t.cover[static_cast<size_t>(t.right[n])];
    }
  }
  return t;
}

// The tree in arithmetic T (covers and values converted), viewed as the walks read it.
template <typename T>
struct TypedTree {
  explicit TypedTree(const OwnedTree& t)
      : owned(t), cover(t.cover.begin(), t.cover.end()), values(t.values.begin(), t.values.end()) {}
  ShapTreeViewT<T> view() const {
    return {owned.left.data(), owned.right.data(), owned.feature.data(), cover.data(),
            values.data(),     owned.left.size(),  owned.width};
  }
  const OwnedTree& owned;
  std::vector<T> cover, values;
};

// The row: at each internal node, the child it goes to (any choice per node is a row of some
// inputs, since the decision at a node depends only on that node's feature).
std::vector<int32_t> RandomHotChildren(const OwnedTree& t, std::mt19937_64* rng) {
  std::vector<int32_t> hot(t.left.size(), -1);
  std::bernoulli_distribution coin(0.5);
  for (size_t n = 0; n < t.left.size(); ++n) {
    if (t.left[n] >= 0) hot[n] = coin(*rng) ? t.left[n] : t.right[n];
  }
  return hot;
}

// v(S), output k: the tree's expectation when the features in `known` (a bit set) follow the
// row and every other split averages its children by cover.
double Expectation(const OwnedTree& t, const std::vector<int32_t>& hot, uint32_t known, size_t k, int32_t node = 0) {
  const auto n = static_cast<size_t>(node);
  if (t.left[n] < 0) return t.values[n * t.width + k];
  if (known & (1u << t.feature[n])) return Expectation(t, hot, known, k, hot[n]);
  const int32_t l = t.left[n], r = t.right[n];
  return (t.cover[static_cast<size_t>(l)] * Expectation(t, hot, known, k, l) +
          t.cover[static_cast<size_t>(r)] * Expectation(t, hot, known, k, r)) /
         t.cover[n];
}

// Shapley values from the definition: for each feature i, the weighted sum over every subset S
// of the other features of v(S + i) - v(S), weight |S|! (M - |S| - 1)! / M!.
std::vector<double> ShapleyFromDefinition(const OwnedTree& t, const std::vector<int32_t>& hot, size_t m) {
  std::vector<double> factorial(m + 1, 1);
  for (size_t i = 1; i <= m; ++i) factorial[i] = factorial[i - 1] * static_cast<double>(i);
  std::vector<double> phi(m * t.width, 0);
  for (size_t i = 0; i < m; ++i) {
    for (uint32_t s = 0; s < (1u << m); ++s) {
      if (s & (1u << i)) continue;
      const auto size = static_cast<size_t>(__builtin_popcount(s));
      const double weight = factorial[size] * factorial[m - size - 1] / factorial[m];
      for (size_t k = 0; k < t.width; ++k) {
        phi[i * t.width + k] += weight * (Expectation(t, hot, s | (1u << i), k) - Expectation(t, hot, s, k));
      }
    }
  }
  return phi;
}

TEST(TreeShapTest, EqualsShapleyValuesFromTheDefinition) {
  std::mt19937_64 rng(7);
  TreeShapScratch scratch;
  size_t trees = 0;
  for (size_t n_features : {1, 2, 3, 5, 8, 10}) {
    for (int max_depth : {1, 2, 4, 7}) {
      for (size_t width : {1, 3}) {
        for (int rep = 0; rep < 4; ++rep) {
          const OwnedTree t = RandomTree(&rng, n_features, max_depth, width);
          ASSERT_TRUE(ValidateShapTree(t.view(), n_features).ok());
          const std::vector<int32_t> hot = RandomHotChildren(t, &rng);
          std::vector<double> phi(n_features * width, 0);
          TreeShap(t.view(), hot.data(), phi.data(), &scratch);
          const std::vector<double> expected = ShapleyFromDefinition(t, hot, n_features);
          for (size_t i = 0; i < phi.size(); ++i) {
            EXPECT_NEAR(phi[i], expected[i], 1e-9 * std::max(1.0, std::abs(expected[i])))
                << "features " << n_features << " depth " << max_depth << " width " << width << " entry " << i;
          }
          // Additivity: the expected value plus the contributions is the row's leaf.
          std::vector<double> bias(width);
          ShapExpectedValue(t.view(), bias.data());
          const uint32_t all = (1u << n_features) - 1;
          for (size_t k = 0; k < width; ++k) {
            EXPECT_NEAR(bias[k], Expectation(t, hot, 0, k), 1e-12);
            double sum = bias[k];
            for (size_t f = 0; f < n_features; ++f) sum += phi[f * width + k];
            EXPECT_NEAR(sum, Expectation(t, hot, all, k), 1e-9);
          }
          ++trees;
        }
      }
    }
  }
  EXPECT_EQ(trees, 6u * 4 * 2 * 4);
}

// The lanes' walk gives every row exactly TreeShap's result (same operations, same order of
// additions), in float and in double, for any number of lanes.
template <typename T>
void CheckLanesEqualTreeShap(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int rep = 0; rep < 40; ++rep) {
    const size_t nf = 1 + rep % 9, width = rep % 3 == 0 ? 3 : 1;
    const OwnedTree owned = RandomTree(&rng, nf, 1 + rep % 8, width);
    const TypedTree<T> typed(owned);
    const ShapTreeViewT<T> view = typed.view();
    const size_t lanes = 1 + static_cast<size_t>(rep) % kShapLanes<T>;
    std::vector<int32_t> hot;
    for (size_t l = 0; l < lanes; ++l) {
      const std::vector<int32_t> h = RandomHotChildren(owned, &rng);
      hot.insert(hot.end(), h.begin(), h.end());
    }
    std::vector<std::vector<T>> got(lanes, std::vector<T>(nf * width, T{0.25}));
    std::vector<T*> rows;
    for (auto& g : got) rows.push_back(g.data());
    TreeShapLanesScratch<T> lanes_scratch;
    TreeShapLanes(view, hot.data(), lanes, rows.data(), &lanes_scratch);
    TreeShapScratchT<T> scratch;
    for (size_t l = 0; l < lanes; ++l) {
      std::vector<T> want(nf * width, T{0.25});
      TreeShap(view, hot.data() + l * owned.left.size(), want.data(), &scratch);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[l][i], want[i]) << "rep " << rep << " lane " << l << " entry " << i;
      }
    }
  }
}

TEST(TreeShapTest, LanesEqualTreeShapBitForBit) {
  CheckLanesEqualTreeShap<float>(3);
  CheckLanesEqualTreeShap<double>(4);
}

// The table gives every row exactly TreeShap's result, in float and in double, for trees of
// every depth up to the table's limit (repeated features included).
template <typename T>
void CheckTableEqualsTreeShap(uint64_t seed) {
  std::mt19937_64 rng(seed);
  TreeShapTable<T> table;  // reused across trees, as callers do
  TreeShapScratchT<T> scratch;
  size_t built = 0;
  for (int rep = 0; rep < 60; ++rep) {
    const size_t nf = 1 + rep % 9, width = rep % 3 == 0 ? 3 : 1;
    const int max_depth = rep % static_cast<int>(kMaxTreeShapTableDepth + 1);
    const OwnedTree owned = RandomTree(&rng, nf, max_depth, width);
    const TypedTree<T> typed(owned);
    const ShapTreeViewT<T> view = typed.view();
    ASSERT_TRUE(ValidateShapTree(view, nf).ok());
    TreeShapTablePays(view, 1u << 20, &table);  // a batch large enough for any of these trees
    BuildTreeShapTable(view, &table);
    ++built;
    for (int row = 0; row < 12; ++row) {
      const std::vector<int32_t> hot = RandomHotChildren(owned, &rng);
      std::vector<T> got(nf * width, T{0.25}), want(nf * width, T{0.25});
      TreeShapFromTable(view, hot.data(), got.data(), &table);
      TreeShap(view, hot.data(), want.data(), &scratch);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "rep " << rep << " row " << row << " entry " << i;
      }
    }
  }
  EXPECT_EQ(built, 60u);
}

TEST(TreeShapTest, TableEqualsTreeShapBitForBit) {
  CheckTableEqualsTreeShap<float>(5);
  CheckTableEqualsTreeShap<double>(6);
}

TEST(TreeShapTest, TablePaysForBatchesOfShallowTreesOnly) {
  std::mt19937_64 rng(7);
  const OwnedTree shallow = RandomTree(&rng, 5, 6, 1);
  TreeShapTable<double> table;
  EXPECT_FALSE(TreeShapTablePays(shallow.view(), 1, &table));
  EXPECT_TRUE(TreeShapTablePays(shallow.view(), 1000, &table));
  // A chain deeper than the table's limit: internal node 2k has the leaf 2k+1 and node 2k+2.
  OwnedTree deep;
  const size_t levels = kMaxTreeShapTableDepth + 1;
  for (size_t k = 0; k < levels; ++k) {
    const auto id = static_cast<int32_t>(2 * k);
    deep.left.insert(deep.left.end(), {id + 1, -1});
    deep.right.insert(deep.right.end(), {id + 2, -1});
    deep.feature.insert(deep.feature.end(), {static_cast<int32_t>(k % 5), 0});
  }
  deep.left.push_back(-1);
  deep.right.push_back(-1);
  deep.feature.push_back(0);
  deep.cover.assign(deep.left.size(), 1.0);
  deep.values.assign(deep.left.size(), 0.5);
  EXPECT_FALSE(TreeShapTablePays(deep.view(), size_t{1} << 30, &table));
  EXPECT_EQ(table.max_depth, levels);
  // A full tree of depth 10: 1024 leaves x 256 mask groups x 10 terms, over the terms budget.
  OwnedTree full;
  const int32_t internal = 1023, count = 2047;
  for (int32_t i = 0; i < count; ++i) {
    full.left.push_back(i < internal ? 2 * i + 1 : -1);
    full.right.push_back(i < internal ? 2 * i + 2 : -1);
    full.feature.push_back(i % 5);
  }
  full.cover.assign(count, 1.0);
  full.values.assign(count, 0.5);
  EXPECT_TRUE(TreeShapTablePays(shallow.view(), 1u << 30, &table));  // the same batch, a small tree
  EXPECT_FALSE(TreeShapTablePays(full.view(), size_t{1} << 30, &table));
}

TEST(TreeShapTest, AddsToWhatIsInPhi) {
  std::mt19937_64 rng(11);
  const OwnedTree t = RandomTree(&rng, 4, 4, 1);
  const std::vector<int32_t> hot = RandomHotChildren(t, &rng);
  TreeShapScratch scratch;
  std::vector<double> once(4, 0), twice(4, 0);
  TreeShap(t.view(), hot.data(), once.data(), &scratch);
  TreeShap(t.view(), hot.data(), twice.data(), &scratch);
  TreeShap(t.view(), hot.data(), twice.data(), &scratch);
  for (size_t f = 0; f < 4; ++f) EXPECT_NEAR(twice[f], 2 * once[f], 1e-12);
}

TEST(TreeShapTest, SingleLeafContributesNothing) {
  OwnedTree t;
  t.left = {-1};
  t.right = {-1};
  t.feature = {0};
  t.cover = {3};
  t.values = {1.5};
  ASSERT_TRUE(ValidateShapTree(t.view(), 2).ok());
  std::vector<double> phi(2, 0);
  TreeShapScratch scratch;
  const int32_t hot = -1;
  TreeShap(t.view(), &hot, phi.data(), &scratch);
  EXPECT_EQ(phi, std::vector<double>(2, 0.0));
  double bias = 0;
  ShapExpectedValue(t.view(), &bias);
  EXPECT_EQ(bias, 1.5);
}

TEST(TreeShapTest, RefusesTreesItCannotWalk) {
  const auto check = [](OwnedTree t, size_t n_features, const std::string& message) {
    const Status s = ValidateShapTree(t.view(), n_features);
    EXPECT_FALSE(s.ok()) << message;
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
  };
  OwnedTree ok;
  ok.left = {1, -1, -1};
  ok.right = {2, -1, -1};
  ok.feature = {1, 0, 0};
  ok.cover = {3, 1, 2};
  ok.values = {0, 1, 2};
  ASSERT_TRUE(ValidateShapTree(ok.view(), 2).ok());

  OwnedTree t = ok;
  t.left[0] = 0;  // a cycle
  check(t, 2, "node 0 has children 0, 2");
  t = ok;
  t.right[0] = 3;
  check(t, 2, "node 0 has children 1, 3");
  t = ok;
  t.right[1] = 2;
  check(t, 2, "node 1 has one child");
  t = ok;
  t.feature[0] = 2;
  check(t, 2, "node 0 splits on feature 2");
  t = ok;
  t.cover[0] = 0;
  check(t, 2, "root has no training cover");
  t = ok;
  t.cover[2] = std::nan("");
  check(t, 2, "node 2 has cover");

  // Two parents for one node: node 1 -> (3, 4), node 2 -> (3, 4).
  t.left = {1, 3, 3, -1, -1};
  t.right = {2, 4, 4, -1, -1};
  t.feature = {0, 0, 0, 0, 0};
  t.cover = {2, 1, 1, 1, 1};
  t.values = {0, 0, 0, 0, 0};
  check(t, 1, "node 3 has two parents");

  // A chain deeper than the bound: internal node 2i has a leaf 2i+1 and the next node 2i+2.
  const size_t levels = kMaxTreeShapDepth + 1;
  const size_t count = 2 * levels + 1;
  t.left.assign(count, -1);
  t.right.assign(count, -1);
  t.feature.assign(count, 0);
  t.cover.assign(count, 1);
  t.values.assign(count, 0);
  for (size_t i = 0; i < levels; ++i) {
    t.left[2 * i] = static_cast<int32_t>(2 * i + 1);
    t.right[2 * i] = static_cast<int32_t>(2 * i + 2);
  }
  check(t, 1, "levels deep");
}

}  // namespace
}  // namespace inferd::sklearn
