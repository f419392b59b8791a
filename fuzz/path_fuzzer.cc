// Fuzzes Path::Parse, the gate every request path passes before the filesystem
// layer sees it (spec 3).
//
// Input: the path text, any bytes.
//
// Invariants for an accepted path: its canonical text is the input less one
// leading and one trailing slash; it re-parses to the same
// Path and is its own canonical form; no component is "", "." or "..", holds a
// '/' or a control byte (NUL included), or starts with the reserved prefix; each
// component is a valid name of at most 255 bytes; the text is at most 4096 bytes.
// A rejected path is rejected as INVALID_PATH and nothing else.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "src/codec/limits.h"
#include "src/fs/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Path::Parse(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == StatusCode::kInvalidPath);
    return 0;
  }
  const Path& path = *parsed;
  FUZZ_CHECK(text.size() <= limits::kMaxPathBytes);

  for (const std::string& component : path.components()) {
    FUZZ_CHECK(!component.empty());
    FUZZ_CHECK(component != "." && component != "..");
    FUZZ_CHECK(component.size() <= limits::kMaxNameBytes);
    FUZZ_CHECK(component.find('/') == std::string::npos);
    for (const char c : component) {
      const unsigned char byte = static_cast<unsigned char>(c);
      FUZZ_CHECK(byte >= 0x20 && byte != 0x7F);
    }
    FUZZ_CHECK(!IsReservedName(component));
    FUZZ_CHECK(IsValidName(component));
  }

  // Parsing only drops one leading and one trailing slash (R-PATH-2); it never
  // rewrites a name.
  const std::string canonical = path.ToString();
  std::string_view stripped = text;
  if (stripped.starts_with('/')) stripped.remove_prefix(1);
  if (stripped.ends_with('/')) stripped.remove_suffix(1);
  FUZZ_CHECK(canonical == stripped);
  auto reparsed = Path::Parse(canonical);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == path);
  FUZZ_CHECK(reparsed->ToString() == canonical);
  FUZZ_CHECK(path.IsRoot() == canonical.empty());

  // Parent and Name split the path the way the server uses them for uploads.
  if (!path.IsRoot()) {
    FUZZ_CHECK(path.Parent().Child(path.Name()) == path);
  }
  return 0;
}
