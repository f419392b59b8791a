// The shell's directory and file-system verbs: mkdir. Each is one protocol
// request per path (spec 6.8 and on); like rm they print nothing on success,
// and every path that fails gets its own error line.
#include "src/client/shell.h"

namespace ferry {

Status Shell::Mkdir(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    if (Status made = client_->MakeDirectory(path); !made.ok()) result = ReportPath(made, path);
  }
  return result;
}

}  // namespace ferry
