#include "serving/model_manager.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd {
namespace {

std::shared_ptr<const ServedModel> Make(size_t n_features) {
  auto s = std::make_shared<ServedModel>();
  s->model = std::make_shared<testing::FakeRegressor>(n_features, 1);
  return s;
}

TEST(ModelManagerTest, EmptyThenSwap) {
  ModelManager m;
  EXPECT_EQ(m.Get(), nullptr);
  m.Swap(Make(3));
  ASSERT_NE(m.Get(), nullptr);
  EXPECT_EQ(m.Get()->model->n_features(), 3u);
}

TEST(ModelManagerTest, HandleOutlivesSwap) {
  ModelManager m;
  m.Swap(Make(3));
  std::shared_ptr<const ServedModel> held = m.Get();
  std::weak_ptr<const ServedModel> weak = held;
  m.Swap(Make(5));
  EXPECT_EQ(held->model->n_features(), 3u);  // still valid for the request holding it
  EXPECT_EQ(m.Get()->model->n_features(), 5u);
  held.reset();
  EXPECT_TRUE(weak.expired());  // released with its last handle
}

TEST(ModelManagerTest, ConcurrentGetAndSwap) {
  ModelManager m;
  m.Swap(Make(1));
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto h = m.Get();
        size_t n = h->model->n_features();
        if (n < 1 || n > 4) ++bad;
      }
    });
  }
  for (int i = 0; i < 20000; ++i) m.Swap(Make(1 + i % 4));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(ModelManagerTest, NameFromPath) {
  EXPECT_EQ(ModelNameFromPath("/models/iris.pkl"), "iris");
  EXPECT_EQ(ModelNameFromPath("model.joblib"), "model");
  EXPECT_EQ(ModelNameFromPath("dir.v2/noext"), "noext");
  EXPECT_EQ(ModelNameFromPath(".hidden"), ".hidden");
  EXPECT_EQ(ModelNameFromPath("/"), "model");
}

}  // namespace
}  // namespace inferd
