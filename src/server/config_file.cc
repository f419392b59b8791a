#include "src/server/config_file.h"

#include <string_view>

namespace ferry {
namespace {

std::string_view Trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::vector<CLI::ConfigItem> KeyValueConfig::from_config(std::istream& input) const {
  std::vector<CLI::ConfigItem> parsed;
  std::set<std::string> seen;
  std::string source = "configuration file";
  if (file_option_ != nullptr && !file_option_->results().empty()) {
    source = file_option_->results().back();
  }
  std::string line;
  for (int number = 1; std::getline(input, line); ++number) {
    const std::string_view text = Trim(line);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    const auto fail = [&](const std::string& why) {
      return CLI::ConfigError(source + " line " + std::to_string(number) + ": " + why);
    };
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) throw fail("expected `key = value`");
    const std::string key(Trim(text.substr(0, equals)));
    std::string_view value = Trim(text.substr(equals + 1));
    if (key.empty()) throw fail("expected `key = value`");
    if (known_keys_.count(key) == 0) throw fail("unknown setting \"" + key + "\"");
    if (!seen.insert(key).second) throw fail("\"" + key + "\" is set twice");
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    CLI::ConfigItem item;
    item.name = key;
    item.inputs.emplace_back(value);
    parsed.push_back(std::move(item));
  }
  return parsed;
}

std::string KeyValueConfig::to_config(const CLI::App* app, bool default_also,
                                      bool write_description, std::string prefix) const {
  // The INI writer emits the same `key=value` lines for a flat application.
  return CLI::ConfigINI().to_config(app, default_also, write_description, std::move(prefix));
}

}  // namespace ferry
