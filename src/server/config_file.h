// ferryd's configuration file: one `key = value` per line, the keys being the
// long flag names (`root = /srv/ferry`, `read-only = true`). Plugged into CLI11
// so that flags on the command line override the file and every value goes
// through the same checks as the flag would.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <set>
#include <string>
#include <vector>

namespace ferry {

class KeyValueConfig : public CLI::Config {
 public:
  // `known_keys`: the settings the file may contain. `file_option` (may be
  // null) is the option that names the file, for error messages.
  KeyValueConfig(std::set<std::string> known_keys, const CLI::Option* file_option)
      : known_keys_(std::move(known_keys)), file_option_(file_option) {}

  // Lines are `key = value`; blank lines and lines starting with `#` or `;`
  // are ignored; the value may be wrapped in double quotes to keep its outer
  // spaces. An unknown key, a repeated key or a line without `=` is an error
  // (CLI::ConfigError) that names the line: a typo must not silently fall back
  // to a default.
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;

 private:
  std::set<std::string> known_keys_;
  const CLI::Option* file_option_;
};

}  // namespace ferry
