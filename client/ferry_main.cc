// ferry: the interactive and scriptable client.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "src/client/shell.h"
#include "src/codec/protobuf_logging.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ferry: copy files to and from a ferryd server.\n"
      "Reads commands from standard input, one per line; type help for the list."};
  app.set_version_flag("--version", "ferry 0.1.0 (protocol version 1)");
  ferry::ShellOptions options;
  app.add_flag("-v,--verbose", options.verbose, "Show the server's own words in error lines");
  CLI11_PARSE(app, argc, argv);

  ferry::SilenceProtobufLogging();
  // A vanished server must surface as an error, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  options.interactive = isatty(STDIN_FILENO) == 1;
  ferry::Shell shell(stdout, stderr, options);
  return shell.Run(stdin);
}
