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
  EXPECT_EQ(boot, R"({"server_version":"1.2.3","default_model":"iris","models":["\u003c/script>\u003cb>x","iris"]})");
  simdjson::dom::parser parser;
  auto doc = parser.parse(boot);
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["models"].at(0).get_string().value()), "</script><b>x");
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
  EXPECT_NE(r.body.find(R"({"server_version":"9.9","default_model":"iris","models":["iris"]})"), std::string::npos);
  EXPECT_EQ(r.body.find("<!--INFERD_BOOT-->"), std::string::npos);
  EXPECT_EQ(r.body.size(),
            WebUiTemplate().size() - std::string_view("<!--INFERD_BOOT-->").size() +
                std::string_view(R"({"server_version":"9.9","default_model":"iris","models":["iris"]})").size());
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
  RegisterOpenApiRoute(&router);
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

TEST(OpenApiTest, ServedBytesAreTheEmbeddedDocument) {
  Router router;
  RegisterOpenApiRoute(&router);
  Response r = Get(router, "/openapi.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, OpenApiDocument());
}

}  // namespace
}  // namespace inferd::http
