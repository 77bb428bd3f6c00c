#include "serving/inference.h"

#include <gtest/gtest.h>

#include "serving/testing/fake_model.h"

namespace inferd {
namespace {

// A protocol that decodes from fixed rows and records what the request path gave it.
class RecordingCodec : public ProtocolCodec {
 public:
  std::vector<double> rows;
  std::vector<OutputKind> ask;
  Status decode_error;

  int encoded = 0;
  std::vector<OutputTensor> outputs;
  std::string model_name;
  Status failed;
  InputSpec seen_spec;

  Status Decode(const InputSpec& spec, InferenceRequest* r) override {
    seen_spec = spec;
    if (!decode_error.ok()) return decode_error;
    r->x = rows;
    r->n_rows = rows.size() / spec.n_features;
    r->outputs = ask;
    return Status::Ok();
  }
  void Encode(const InferenceResult& result) override {
    ++encoded;
    outputs = result.outputs;
    model_name = result.served->name + "/" + result.served->version;
  }
  void Fail(const Status& s) override { failed = s; }
  int metrics_code() const override { return failed.ok() ? 200 : 400; }
};

std::shared_ptr<const ServedModel> Served(std::string name, std::string version, std::shared_ptr<const Model> m) {
  auto s = std::make_shared<ServedModel>();
  s->model = std::move(m);
  s->name = std::move(name);
  s->version = std::move(version);
  return s;
}

std::shared_ptr<const Model> Classifier() {
  return std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(1)});
}

// A regressor explained per input column (x0 + 2 x1) or per transformed feature (one, "s" =
// x0 + x1, whose contribution is the sum), or only per transformed feature (`mixing`).
class TwoFormModel final : public Model {
 public:
  explicit TwoFormModel(bool mixing) : mixing_(mixing) {}
  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return 2; }
  size_t n_outputs() const override { return 1; }
  const std::vector<Label>& classes() const override { return none_; }
  std::string Describe() const override { return "TwoForm"; }
  size_t contribution_groups() const override { return 1; }
  ContributionForm contribution_form() const override {
    return mixing_ ? ContributionForm::kTransformedFeatures : ContributionForm::kInputColumns;
  }
  const std::vector<std::string>& transformed_feature_names() const override { return names_; }
  Status Contributions(const double* x, size_t n, double* out) const override {
    if (mixing_) return TransformedContributions(x, n, out);
    for (size_t r = 0; r < n; ++r) {
      out[3 * r] = x[2 * r];
      out[3 * r + 1] = 2 * x[2 * r + 1];
      out[3 * r + 2] = 0.5;
    }
    return Status::Ok();
  }
  Status TransformedContributions(const double* x, size_t n, double* out) const override {
    for (size_t r = 0; r < n; ++r) {
      out[2 * r] = x[2 * r] + 2 * x[2 * r + 1];
      out[2 * r + 1] = 0.5;
    }
    return Status::Ok();
  }

 private:
  const bool mixing_;
  const std::vector<std::string> names_{"s"};
  const std::vector<Label> none_;
};

TEST(InferenceTest, ContributionsInTheRequestedForm) {
  const double x[2] = {1, 3};
  InferenceService::ComputeScratch s;
  OutputTensor t;
  TwoFormModel columns(false), mixing(true);
  ASSERT_TRUE(InferenceService::Compute(columns, OutputKind::kContributions, x, 1, &s, &t).ok());
  EXPECT_EQ(t.contributions_form, ContributionForm::kInputColumns);
  EXPECT_EQ(t.feature_names, nullptr);
  EXPECT_EQ(std::vector<double>(t.values, t.values + t.width), (std::vector<double>{1, 6, 0.5}));
  ASSERT_TRUE(InferenceService::Compute(columns, OutputKind::kContributions, x, 1, &s, &t,
                                        ContributionRequest::kTransformedFeatures)
                  .ok());
  EXPECT_EQ(t.contributions_form, ContributionForm::kTransformedFeatures);
  ASSERT_NE(t.feature_names, nullptr);
  EXPECT_EQ(*t.feature_names, (std::vector<std::string>{"s"}));
  EXPECT_EQ(std::vector<double>(t.values, t.values + t.width), (std::vector<double>{7, 0.5}));
  for (ContributionRequest form : {ContributionRequest::kDefault, ContributionRequest::kTransformedFeatures}) {
    ASSERT_TRUE(InferenceService::Compute(mixing, OutputKind::kContributions, x, 1, &s, &t, form).ok());
    EXPECT_EQ(t.contributions_form, ContributionForm::kTransformedFeatures);
    EXPECT_EQ(t.width, 2u);
  }
  Status st =
      InferenceService::Compute(mixing, OutputKind::kContributions, x, 1, &s, &t, ContributionRequest::kInputColumns);
  EXPECT_EQ(st.message(),
            "the model (TwoForm) has no contributions per input column (a pipeline step mixes columns: ask for the "
            "transformed features)");
}

TEST(InferenceTest, FindGivesOneErrorTextPerCase) {
  ModelManager models;
  InferenceService service(&models, InferenceOptions{});
  StatusOr<ModelHandle> h = service.Find({});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(h.status().message(), "no model is loaded");

  models.SetVersions("iris", {Served("iris", "1", Classifier()), Served("iris", "2", Classifier())});
  h = service.Find({"nope", ""});
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.status().message(), "no model named 'nope'");
  h = service.Find({"iris", "7"});
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(h.status().message(), "model 'iris' has no version '7'");
  h = service.Find({"iris", ""});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->served->version, "2");
  EXPECT_NE(h->stats, nullptr);
  h = service.Find({"iris", "1"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->served->version, "1");
  h = service.Find({});  // the default model is the first name set
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->served->name, "iris");
  EXPECT_EQ(h->stats, service.Find({"iris", "1"})->stats);  // one ModelStats per name
}

TEST(InferenceTest, InferComputesEveryRequestedOutputInOrder) {
  ModelManager models;
  models.Swap(Served("m", "1", Classifier()));
  InferenceService service(&models, InferenceOptions{5});
  RecordingCodec codec;
  codec.rows = {3, 0, 0, 0};
  codec.ask = {OutputKind::kPredictProba, OutputKind::kPredict};
  service.Infer(Protocol::kV2, {"m", ""}, codec);
  ASSERT_TRUE(codec.failed.ok()) << codec.failed.message();
  EXPECT_EQ(codec.seen_spec.n_features, 2u);
  EXPECT_EQ(codec.seen_spec.max_rows, 5u);
  EXPECT_EQ(codec.model_name, "m/1");
  ASSERT_EQ(codec.outputs.size(), 2u);
  EXPECT_EQ(codec.outputs[0].kind, OutputKind::kPredictProba);
  EXPECT_EQ(codec.outputs[0].width, 2u);
  EXPECT_EQ(codec.outputs[1].kind, OutputKind::kPredict);
  ASSERT_NE(codec.outputs[1].classes, nullptr);
  EXPECT_EQ(codec.outputs[1].n_rows, 2u);

  RecordingCodec defaults;  // no outputs asked: the model's default (predict)
  defaults.rows = {1, 1};
  service.Infer(Protocol::kV2, {"m", ""}, defaults);
  ASSERT_EQ(defaults.outputs.size(), 1u);
  EXPECT_EQ(defaults.outputs[0].kind, OutputKind::kPredict);
}

TEST(InferenceTest, ErrorsGoToFailAndEveryRequestIsCounted) {
  ModelManager models;
  models.Swap(Served("m", "1", std::make_shared<testing::FakeRegressor>(2, 1)));
  InferenceService service(&models, InferenceOptions{});

  RecordingCodec bad_body;
  bad_body.decode_error = Status::InvalidArgument("expected 2 features, got 1");
  service.Infer(Protocol::kReference, {}, bad_body);
  EXPECT_EQ(bad_body.failed.message(), "expected 2 features, got 1");
  EXPECT_EQ(bad_body.encoded, 0);

  RecordingCodec no_proba;
  no_proba.rows = {1, 2};
  no_proba.ask = {OutputKind::kPredictProba};
  service.Infer(Protocol::kReference, {}, no_proba);
  EXPECT_EQ(no_proba.failed.message(), "the model (FakeRegressor) has no predict_proba");

  RecordingCodec ok;
  ok.rows = {1, 2};
  service.Infer(Protocol::kReference, {}, ok);
  EXPECT_EQ(ok.encoded, 1);

  RecordingCodec unknown;
  service.Infer(Protocol::kV1, {"other", ""}, unknown);
  EXPECT_EQ(unknown.failed.code(), StatusCode::kNotFound);

  std::string text;
  models.stats().Render(&text);
  EXPECT_NE(text.find("inferd_model_requests_total{model=\"m\",protocol=\"reference\",code=\"400\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("inferd_model_requests_total{model=\"m\",protocol=\"reference\",code=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("model=\"other\""), std::string::npos);  // unknown names create no series
}

TEST(InferenceTest, HandleKeepsItsVersionAliveAcrossASwap) {
  ModelManager models;
  std::weak_ptr<const Model> first;
  {
    auto m = Classifier();
    first = m;
    models.Swap(Served("m", "1", m));
  }
  ModelHandle h = models.Find("", "");
  models.Swap(Served("m", "1", Classifier()));
  EXPECT_FALSE(first.expired());  // the request's handle still holds version 1
  h = {};
  EXPECT_TRUE(first.expired());
}

}  // namespace
}  // namespace inferd
