#include "http/protocols/web_ui.h"

#include <gtest/gtest.h>

#include <cctype>

#include <simdjson.h>

#include "http/protocols/openapi.h"
#include "http/protocols/reference_protocol.h"
#include "http/protocols/v1_protocol.h"
#include "http/protocols/v2_protocol.h"
#include "serving/testing/fake_model.h"

namespace inferd::http {
namespace {

std::shared_ptr<const ServedModel> Served(std::string name) {
  auto s = std::make_shared<ServedModel>();
  s->model = std::make_shared<testing::FakeClassifier>(2, std::vector<Label>{Label::Int(0), Label::Int(1)});
  s->name = std::move(name);
  return s;
}

// A classifier fitted on a DataFrame: age (number), sex (string, unknown refused), a markup
// category in "cabin" (string, unknown allowed) and a column the model does not read.
class TabularClassifier : public testing::FakeClassifier {
 public:
  TabularClassifier()
      : FakeClassifier(4, {Label::Int(0), Label::Int(1)}),
        schema_({{"age", InputColumn::Type::kNumber, {}, false},
                 {"sex", InputColumn::Type::kString, {"male", "female"}, true},
                 {"cabin", InputColumn::Type::kString, {"</script>", "C85"}, false},
                 {"id", InputColumn::Type::kAny, {}, false}},
                /*named=*/true) {}
  const InputSchema& input_schema() const override { return schema_; }

 private:
  InputSchema schema_;
};

std::shared_ptr<const ServedModel> ServedTabular(std::string name) {
  auto s = std::make_shared<ServedModel>();
  s->model = std::make_shared<TabularClassifier>();
  s->name = std::move(name);
  s->version = "3";
  return s;
}

Response Get(const Router& router, std::string_view path) {
  Request r;
  r.method = Verb::get;
  r.path = r.target = path;
  Response resp;
  router.Dispatch(r, &resp);
  return resp;
}

TEST(WebUiTest, BootListsModelsAndEscapesMarkup) {
  ModelManager models;
  models.Swap(Served("iris"));
  models.SetVersions("</script><b>x", {Served("</script><b>x")});
  std::string boot;
  AppendWebUiBoot(models, "1.2.3", &boot);
  EXPECT_EQ(boot, R"({"server_version":"1.2.3","default_model":"iris","models":["\u003c/script>\u003cb>x","iris"],)"
                  R"("inputs":{"model":"iris","named":false,"accepts_missing":false,)"
                  R"("columns":[{"name":"x0","type":"number"},{"name":"x1","type":"number"}]}})");
  simdjson::dom::parser parser;
  auto doc = parser.parse(boot);
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["models"].at(0).get_string().value()), "</script><b>x");
}

TEST(WebUiTest, BootHasTheDefaultModelsColumnsWithCategories) {
  ModelManager models;
  std::string boot;
  AppendWebUiBoot(models, "1", &boot);
  EXPECT_EQ(boot, R"({"server_version":"1","default_model":"","models":[],"inputs":null})");
  models.Swap(ServedTabular("titanic"));
  boot.clear();
  AppendWebUiBoot(models, "1", &boot);
  EXPECT_EQ(boot,
            R"({"server_version":"1","default_model":"titanic","models":["titanic"],"inputs":{"model":"titanic",)"
            R"("named":true,"accepts_missing":false,"columns":[{"name":"age","type":"number"},)"
            R"({"name":"sex","type":"string","categories":["female","male"],"n_categories":2,"unknown_is_error":true},)"
            R"({"name":"cabin","type":"string","categories":["\u003c/script>","C85"],"n_categories":2,)"
            R"("unknown_is_error":false},{"name":"id","type":"any"}]}})");
  EXPECT_EQ(boot.find('<'), std::string::npos);
}

TEST(WebUiTest, ServesThePageWithTheBootInlinedAndACsp) {
  ModelManager models;
  models.Swap(Served("iris"));
  Router router;
  RegisterWebUiRoute(&models, "9.9", &router);
  Response r = Get(router, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.extra_headers.find("Content-Security-Policy: default-src 'none';"), std::string::npos);
  constexpr std::string_view kBoot =
      R"({"server_version":"9.9","default_model":"iris","models":["iris"],"inputs":{"model":"iris","named":false,)"
      R"("accepts_missing":false,"columns":[{"name":"x0","type":"number"},)"
      R"({"name":"x1","type":"number"}]}})";
  EXPECT_NE(r.body.find(kBoot), std::string::npos);
  EXPECT_EQ(r.body.find("<!--INFERD_BOOT-->"), std::string::npos);
  EXPECT_EQ(r.body.size(), WebUiTemplate().size() - std::string_view("<!--INFERD_BOOT-->").size() + kBoot.size());
}

TEST(WebUiTest, TemplateIsSelfContained) {
  std::string_view page = WebUiTemplate();
  EXPECT_EQ(page.substr(0, 15), "<!doctype html>");
  EXPECT_NE(page.find("<!--INFERD_BOOT-->"), std::string_view::npos);
  // No external assets: nothing that names another origin.
  for (std::string_view bad : {"http://", "https://", "src=\"//", "href=\"//", "@import", "url("}) {
    EXPECT_EQ(page.find(bad), std::string_view::npos) << bad;
  }
}

// The embedded document names every route the V1/V2/operational registrations add (the full
// server's list is checked against the running binary by tests/integration/test_openapi.py).
TEST(OpenApiTest, DocumentParsesAndCoversTheProtocolRoutes) {
  simdjson::dom::parser parser;
  simdjson::padded_string json(OpenApiDocument());
  auto doc = parser.parse(json);
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["openapi"].get_string().value()).substr(0, 4), "3.0.");
  ModelManager models;
  Router router;
  InferenceService service(&models, InferenceOptions{10});
  RegisterReferenceRoutes(&service, &router);
  RegisterV2Routes(&service, V2Options{}, &router);
  RegisterV1Routes(&service, &router);
  RegisterOpenApiRoute(&models, false, &router);
  RegisterWebUiRoute(&models, "dev", &router);
  ASSERT_GT(router.Describe().size(), 15u);
  for (const std::string& route : router.Describe()) {
    size_t space = route.find(' ');
    std::string method = route.substr(0, space);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string path = route.substr(space + 1);
    auto op = doc["paths"][path][method];
    EXPECT_EQ(op.error(), simdjson::SUCCESS) << route << " is not in src/http/ui/openapi.json";
  }
}

TEST(OpenApiTest, ServedBytesAreTheEmbeddedDocumentWithoutAModel) {
  ModelManager models;
  Router router;
  RegisterOpenApiRoute(&models, false, &router);
  Response r = Get(router, "/openapi.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, OpenApiDocument());
}

std::string Minified(simdjson::dom::element e) { return simdjson::minify(e); }

// The default model's columns fill ModelRow and ModelNamedRow; everything else is the
// embedded document.
TEST(OpenApiTest, RowSchemasDescribeTheDefaultModelsColumns) {
  ModelManager models;
  models.Swap(ServedTabular("titanic"));
  Router router;
  RegisterOpenApiRoute(&models, false, &router);
  Response r = Get(router, "/openapi.json");
  ASSERT_EQ(r.status, 200);
  simdjson::dom::parser parser, base_parser;
  simdjson::padded_string json(r.body), base_json(OpenApiDocument());
  simdjson::dom::element doc = parser.parse(json).value();
  simdjson::dom::element base = base_parser.parse(base_json).value();
  simdjson::dom::element schemas = doc["components"]["schemas"].value();
  EXPECT_EQ(
      Minified(schemas["ModelNamedRow"]["properties"].value()),
      R"({"age":{"type":"number"},"sex":{"type":"string","enum":["female","male"]},)"
      R"("cabin":{"type":"string","nullable":true,"example":"</script>","description":"Known categories: </script>, )"
      R"(C85; others are accepted (the model's handle_unknown)."},"id":{"description":"Not read by the model (any value)."}})");
  EXPECT_EQ(Minified(schemas["ModelNamedRow"]["required"].value()), R"(["age","sex","cabin","id"])");
  EXPECT_FALSE(schemas["ModelNamedRow"]["additionalProperties"].get_bool().value());
  EXPECT_EQ(schemas["ModelRow"]["minItems"].get_int64().value(), 4);
  EXPECT_EQ(schemas["ModelRow"]["maxItems"].get_int64().value(), 4);
  EXPECT_EQ(std::string_view(schemas["ModelRow"]["description"].get_string().value()),
            "One row of model 'titanic' (version 3): 4 values in its column order: age (number), sex (string), "
            "cabin (string), id (any).");
  // The rest is the embedded document.
  for (std::string_view key : {"openapi", "info", "tags", "paths"}) {
    EXPECT_EQ(Minified(doc[key].value()), Minified(base[key].value())) << key;
  }
  size_t n = 0;
  simdjson::dom::object all = schemas.get_object().value();
  for (auto [name, schema] : all) {
    ++n;
    if (name == "ModelRow" || name == "ModelNamedRow") continue;
    EXPECT_EQ(Minified(schema), Minified(base["components"]["schemas"][name].value())) << name;
  }
  EXPECT_EQ(n, base["components"]["schemas"].get_object().value().size());

  Router extra;
  RegisterOpenApiRoute(&models, true, &extra);
  r = Get(extra, "/openapi.json");
  simdjson::padded_string json2(r.body);
  EXPECT_TRUE(parser.parse(json2)["components"]["schemas"]["ModelNamedRow"]["additionalProperties"].get_bool().value());
}

}  // namespace
}  // namespace inferd::http
