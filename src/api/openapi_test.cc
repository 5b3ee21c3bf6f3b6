// Keeps docs/openapi.yaml true: the routes it describes are exactly the
// router's, and it lists every error code.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/errors.h"
#include "api/router.h"

namespace netfin::api {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("NETFIN_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return NETFIN_SOURCE_DIR_DEFAULT;
}

std::string ReadOpenApi() {
  std::ifstream in(SourceDir() + "/docs/openapi.yaml");
  EXPECT_TRUE(in.good()) << "cannot open " << SourceDir() << "/docs/openapi.yaml";
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t Indent(const std::string& line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The (method, path) pairs under `paths:`: a path is a key at two spaces
// starting with '/', a method a key at four spaces named like an HTTP method.
std::set<RouteInfo> DocumentedRoutes(const std::string& yaml) {
  static const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                                 "options", "head", "patch", "trace"};
  std::set<RouteInfo> routes;
  std::istringstream lines(yaml);
  std::string line;
  bool in_paths = false;
  std::string path;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[Indent(line)] == '#') continue;
    if (Indent(line) == 0) {
      in_paths = line == "paths:";
      continue;
    }
    if (!in_paths || line.back() != ':') continue;
    const std::string key = line.substr(Indent(line), line.size() - Indent(line) - 1);
    if (Indent(line) == 2 && key.front() == '/') path = key;
    if (Indent(line) == 4 && kMethods.count(key) != 0 && !path.empty()) {
      routes.insert({Upper(key), path});
    }
  }
  return routes;
}

TEST(OpenApi, DescribesExactlyTheRoutesOfTheRouter) {
  const std::set<RouteInfo> documented = DocumentedRoutes(ReadOpenApi());
  const std::vector<RouteInfo> table = Router::Routes();
  const std::set<RouteInfo> served(table.begin(), table.end());
  EXPECT_EQ(served.size(), table.size()) << "a route is declared twice";
  for (const RouteInfo& route : served) {
    EXPECT_TRUE(documented.count(route))
        << "undocumented: " << route.method << " " << route.path_template;
  }
  for (const RouteInfo& route : documented) {
    EXPECT_TRUE(served.count(route))
        << "documented but not served: " << route.method << " " << route.path_template;
  }
}

TEST(OpenApi, ListsEveryErrorCode) {
  const std::string yaml = ReadOpenApi();
  for (const ErrorCode code : kErrorCodesAll) {
    const std::string item = "- " + std::string(ErrorCodeName(code));
    EXPECT_NE(yaml.find(item), std::string::npos) << "missing error code " << ErrorCodeName(code);
  }
}

TEST(OpenApi, TheLineParserSeesPathsAndMethodsOnly) {
  const std::string yaml =
      "openapi: 3.0.3\n"
      "paths:\n"
      "  /a/{id}:\n"
      "    parameters:\n"
      "      - name: id\n"
      "    get:\n"
      "      summary: x\n"
      "    post:\n"
      "  /b:\n"
      "    # delete:\n"
      "    put:\n"
      "components:\n"
      "  /c:\n"
      "    get:\n";
  const std::set<RouteInfo> expected = {{"GET", "/a/{id}"}, {"POST", "/a/{id}"}, {"PUT", "/b"}};
  EXPECT_EQ(DocumentedRoutes(yaml), expected);
}

}  // namespace
}  // namespace netfin::api
