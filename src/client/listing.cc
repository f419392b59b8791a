#include "src/client/listing.h"

#include <algorithm>

#include "src/base/text.h"
#include "src/client/progress.h"

namespace ferry {

std::string ModeString(const FileInfo& info) {
  std::string out = info.type == FileType::kDirectory ? "d"
                    : info.type == FileType::kSymlink ? "l"
                    : info.type == FileType::kOther   ? "?"
                                                      : "-";
  static constexpr char kBits[] = "rwxrwxrwx";
  for (int bit = 8; bit >= 0; --bit) out.push_back((info.mode >> bit) & 1 ? kBits[8 - bit] : '-');
  return out;
}

std::vector<std::string> FormatListing(const std::vector<FileInfo>& entries, bool long_format,
                                       bool human,
                                       const std::function<std::string(int64_t)>& time) {
  std::vector<std::string> sizes;
  size_t width = 0;
  for (const FileInfo& entry : entries) {
    sizes.push_back(human ? HumanSize(entry.size) : std::to_string(entry.size));
    width = std::max(width, sizes.back().size());
  }
  std::vector<std::string> lines;
  for (size_t i = 0; i < entries.size(); ++i) {
    const FileInfo& entry = entries[i];
    std::string name =
        EscapeForDisplay(entry.name) + (entry.type == FileType::kDirectory ? "/" : "");
    if (!long_format) {
      lines.push_back(std::move(name));
      continue;
    }
    lines.push_back(ModeString(entry) + "  " + std::string(width - sizes[i].size(), ' ') +
                    sizes[i] + "  " + time(entry.mtime_unix_ns) + "  " + name);
  }
  return lines;
}

}  // namespace ferry
