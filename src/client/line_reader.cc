#include "src/client/line_reader.h"

#include <histedit.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cwchar>
#include <filesystem>

#include "src/client/interrupt.h"
#include "src/client/local_files.h"

namespace ferry {

std::optional<std::string> PlainLineReader::ReadLine(const std::string&) {
  std::string line;
  int c;
  while ((c = std::fgetc(in_)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  if (c == EOF && line.empty()) return std::nullopt;
  return line;
}

std::string DefaultHistoryFile() {
  // Next to the upload records, in the one state directory.
  const std::string dir = UploadStateDirectory();
  return dir.empty() ? "" : dir + "/history";
}

namespace {

class EditLineReader : public LineReader {
 public:
  EditLineReader(EditLine* editor, History* history, EditLineOptions options)
      : editor_(editor), history_(history), options_(std::move(options)) {}

  ~EditLineReader() override {
    el_end(editor_);
    history_end(history_);
  }

  std::optional<std::string> ReadLine(const std::string& prompt) override {
    prompt_ = prompt;
    int count = 0;
    InterruptFlag().store(false);
    const char* read = el_gets(editor_, &count);
    if (read == nullptr || count <= 0) {
      // Ctrl-C at the prompt abandons the line, as in bash; anything else
      // (Ctrl-D on an empty line, a read error) ends the input.
      if (InterruptFlag().exchange(false)) {
        std::fputs("\n", stdout);
        return std::string();
      }
      return std::nullopt;
    }
    std::string line(read, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) Remember(line);
    return line;
  }

  static char* Prompt(EditLine* editor) { return const_cast<char*>(Self(editor)->prompt_.c_str()); }

  // libedit's own reader blocks in read(2) and only a signal that arrives
  // during that read interrupts it; one that lands while the editor is echoing
  // a key would be lost until the next key. This one also waits on the
  // interrupt self-pipe, so every Ctrl-C at the prompt ends el_gets.
  static int ReadCharacter(EditLine* editor, wchar_t* out) {
    const int fd = Self(editor)->in_fd_;
    char bytes[MB_LEN_MAX];
    size_t have = 0;
    while (true) {
      if (InterruptFlag().load()) {
        errno = EINTR;
        return -1;
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {InterruptFd(), POLLIN, 0}};
      const nfds_t count = fds[1].fd >= 0 ? 2 : 1;
      if (poll(fds, count, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (count == 2 && fds[1].revents != 0) DrainInterruptFd();  // the flag decides
      if (fds[0].revents == 0) continue;
      char byte;
      const ssize_t got = read(fd, &byte, 1);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got < 0) return -1;
      if (got == 0) return 0;
      bytes[have++] = byte;
      std::mbstate_t state{};
      wchar_t decoded;
      const size_t used = std::mbrtowc(&decoded, bytes, have, &state);
      if (used == static_cast<size_t>(-2) && have < sizeof(bytes)) continue;  // more to come
      // A byte that starts no character in this locale passes through as itself.
      *out = used >= static_cast<size_t>(-2) ? static_cast<unsigned char>(bytes[0]) : decoded;
      return 1;
    }
  }

  static unsigned char OnTab(EditLine* editor, int) { return Self(editor)->Complete(); }

 private:
  static EditLineReader* Self(EditLine* editor) {
    void* self = nullptr;
    el_get(editor, EL_CLIENTDATA, &self);
    return static_cast<EditLineReader*>(self);
  }

  unsigned char Complete() {
    if (!options_.complete) return CC_ERROR;
    const LineInfo* info = el_line(editor_);
    const std::string_view before(info->buffer, static_cast<size_t>(info->cursor - info->buffer));
    const Completion completion = options_.complete(before);
    if (completion.candidates.empty() || completion.word_start > before.size()) return CC_ERROR;
    const std::string typed(before.substr(completion.word_start));
    std::string common = CommonPrefix(completion.candidates);
    if (common.size() > typed.size() && common.starts_with(typed)) {
      el_deletestr(editor_, static_cast<int>(typed.size()));
      el_insertstr(editor_, common.c_str());
      return CC_REFRESH;
    }
    if (completion.candidates.size() == 1) return CC_REFRESH;
    // Nothing more in common: show the choices under the line, as bash does.
    std::fputs("\n", stdout);
    for (const std::string& candidate : completion.candidates) {
      std::string shown = candidate;
      if (shown.ends_with(' ')) shown.pop_back();
      std::fprintf(stdout, "%s  ", shown.c_str());
    }
    std::fputs("\n", stdout);
    std::fflush(stdout);
    return CC_REDISPLAY;
  }

  void Remember(const std::string& line) {
    HistEvent event;
    history(history_, &event, H_ENTER, line.c_str());
    if (options_.history_file.empty()) return;
    // Private, like the shell's own history: it holds every path typed.
    const std::string dir = std::filesystem::path(options_.history_file).parent_path().string();
    for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      mkdir(dir.substr(0, slash).c_str(), 0700);  // the save below reports nothing either way
      if (slash == std::string::npos) break;
    }
    // Saved after every line, so a session that is killed keeps its history.
    history(history_, &event, H_SAVE, options_.history_file.c_str());
  }

  EditLine* editor_;
  History* history_;
  EditLineOptions options_;
  std::string prompt_;

 public:
  int in_fd_ = -1;  // the terminal the editor reads
};

}  // namespace

std::unique_ptr<LineReader> NewEditLineReader(std::FILE* in, std::FILE* out, std::FILE* err,
                                              EditLineOptions options) {
  History* past = history_init();
  if (past == nullptr) return nullptr;
  HistEvent event;
  history(past, &event, H_SETSIZE, options.history_size);
  history(past, &event, H_SETUNIQUE, 1);
  if (!options.history_file.empty()) {
    history(past, &event, H_LOAD, options.history_file.c_str());  // absent the first time
  }
  EditLine* editor = el_init(options.program.c_str(), in, out, err);
  if (editor == nullptr) {
    history_end(past);
    return nullptr;
  }
  auto reader = std::make_unique<EditLineReader>(editor, past, std::move(options));
  el_set(editor, EL_CLIENTDATA, reader.get());
  el_set(editor, EL_EDITOR, "emacs");
  el_set(editor, EL_PROMPT, &EditLineReader::Prompt);
  reader->in_fd_ = fileno(in);
  el_set(editor, EL_GETCFN, &EditLineReader::ReadCharacter);
  el_set(editor, EL_HIST, history, past);
  el_set(editor, EL_ADDFN, "ferry-complete", "Complete a command or path", &EditLineReader::OnTab);
  el_set(editor, EL_BIND, "^I", "ferry-complete", nullptr);
  el_source(editor, nullptr);  // the user's ~/.editrc, as sftp does
  return reader;
}

}  // namespace ferry
