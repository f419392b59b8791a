#include "bench/peers.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Bounds for anything a peer or its client does: generous for 1 GiB over a
// slow SFTP, short enough that a stuck peer ends the benchmark in minutes.
constexpr milliseconds kStartTimeout{10000};
constexpr milliseconds kCommandTimeout{300000};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Error(StatusCode::kIoError, "cannot write " + path);
  return Status::Ok();
}

std::vector<double> ParseNumbers(const std::string& text) {
  std::vector<double> numbers;
  std::istringstream in(text);
  double value;
  while (in >> value) numbers.push_back(value);
  return numbers;
}

// A python3 that can import `module` ("" when none can): Debian's packages
// install into the system interpreter, which another python3 first in PATH
// (a virtualenv, pyenv) does not see.
std::string PythonWith(const std::string& module, const std::string& scratch) {
  for (const std::string candidate : {"/usr/bin/python3", "python3"}) {
    const std::string path = FindProgram(candidate);
    if (path.empty()) continue;
    if (RunToCompletion({path, "-c", "import " + module}, scratch, milliseconds(20000)).ok()) {
      return path;
    }
  }
  return "";
}

// fsync of a file another process wrote: what makes a peer's upload durable.
Status SyncFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(StatusCode::kIoError, "cannot open " + path);
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!synced) return Status::Error(StatusCode::kIoError, "fsync failed on " + path);
  return Status::Ok();
}

// curl with `arguments`, bounded in time. curl 7.88 sometimes notices that a
// passive data connection is up only when its happy-eyeballs timer (200 ms by
// default) fires, which staggers clients meant to run at once: 20 ms here.
std::vector<std::string> CurlCommand(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(),
                   {"curl", "-sS", "--max-time", "300", "--happy-eyeballs-timeout-ms", "20"});
  return arguments;
}

// curl's own timing: seconds from the transfer's start to its end, so the
// login and the data connection's setup are not counted.
StatusOr<double> CurlSeconds(const std::string& output, uint64_t expected_bytes) {
  const std::vector<double> numbers = ParseNumbers(output);
  if (numbers.size() != 3) {
    return Status::Error(StatusCode::kInternal, "unexpected curl output: " + output);
  }
  if (static_cast<uint64_t>(numbers[2]) != expected_bytes) {
    return Status::Error(StatusCode::kInternal,
                         "curl moved " + std::to_string(static_cast<uint64_t>(numbers[2])) +
                             " bytes, expected " + std::to_string(expected_bytes));
  }
  return std::max(numbers[1] - numbers[0], 1e-6);
}

// An sftp batch whose work is timed by the shell: sftp runs `!date` before and
// after it, so the session's setup (process start, key exchange,
// authentication) is left out, as ferry's connection setup is.
constexpr const char* kSftpClock = "!date +%s.%N\n";
std::string TimedSftpBatch(const std::string& commands) {
  return kSftpClock + commands + kSftpClock;
}

// The first and last `date +%s.%N` lines of a timed batch's output.
StatusOr<std::pair<double, double>> SftpStamps(const std::string& output) {
  std::vector<double> stamps;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.find_first_not_of("0123456789.") == std::string::npos) {
      stamps.push_back(std::strtod(line.c_str(), nullptr));
    }
  }
  if (stamps.size() < 2) {
    return Status::Error(StatusCode::kInternal, "no timestamps in sftp's output: " + output);
  }
  return std::make_pair(stamps.front(), stamps.back());
}

uint64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

}  // namespace

Peer::~Peer() {
  if (server_ != nullptr) server_->Stop();
}

std::string Peer::Scratch(const std::string& what) const {
  return environment_.work_dir + "/" + name_ + "-" + what;
}

std::string Peer::FtpUrl(const std::string& name) const {
  return "ftp://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

StatusOr<std::vector<double>> Peer::RunScript(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {python_, environment_.script});
  const std::string output = Scratch("script.out");
  FERRY_RETURN_IF_ERROR(RunToCompletion(arguments, output, kCommandTimeout));
  std::vector<double> numbers = ParseNumbers(ReadWholeFile(output));
  if (numbers.empty()) {
    return Status::Error(StatusCode::kInternal,
                         "peer_client.py " + arguments[2] + " printed nothing");
  }
  return numbers;
}

std::vector<std::string> Peer::SftpCommand(const std::string& batch_file) const {
  return {"sftp",
          "-F",
          "/dev/null",
          "-i",
          key_,
          "-o",
          "IdentitiesOnly=yes",
          "-o",
          "StrictHostKeyChecking=no",
          "-o",
          "UserKnownHostsFile=/dev/null",
          "-o",
          "BatchMode=yes",
          "-o",
          "LogLevel=ERROR",
          "-c",
          "aes128-gcm@openssh.com",
          "-P",
          std::to_string(port_),
          "-b",
          batch_file,
          user_ + "@127.0.0.1"};
}

StatusOr<double> Peer::RunSftpBatch(const std::string& commands) {
  const std::string batch = Scratch("batch");
  const std::string output = Scratch("sftp.out");
  FERRY_RETURN_IF_ERROR(WriteText(batch, TimedSftpBatch(commands)));
  FERRY_RETURN_IF_ERROR(RunToCompletion(SftpCommand(batch), output, kCommandTimeout));
  FERRY_ASSIGN_OR_RETURN(const auto stamps, SftpStamps(ReadWholeFile(output)));
  return std::max(stamps.second - stamps.first, 1e-6);
}

StatusOr<double> Peer::Download(const std::string& name) {
  const std::string path = environment_.root + "/" + name;
  if (protocol_ == Protocol::kSftp) return RunSftpBatch("get " + path + " /dev/null\n");
  const std::string output = Scratch("curl.out");
  FERRY_RETURN_IF_ERROR(RunToCompletion(
      CurlCommand({"-o", "/dev/null", "-w", "%{time_pretransfer} %{time_total} %{size_download}",
                   FtpUrl(name)}),
      output, kCommandTimeout));
  return CurlSeconds(ReadWholeFile(output), FileSize(path));
}

StatusOr<double> Peer::UploadDurably(const std::string& source, const std::string& name) {
  const std::string path = environment_.root + "/" + name;
  unlink(path.c_str());
  double seconds = 0;
  if (protocol_ == Protocol::kSftp) {
    FERRY_ASSIGN_OR_RETURN(seconds, RunSftpBatch("put " + source + " " + path + "\n"));
  } else {
    const std::string output = Scratch("curl.out");
    FERRY_RETURN_IF_ERROR(RunToCompletion(
        CurlCommand(
            {"-T", source, "-w", "%{time_pretransfer} %{time_total} %{size_upload}", FtpUrl(name)}),
        output, kCommandTimeout));
    FERRY_ASSIGN_OR_RETURN(seconds, CurlSeconds(ReadWholeFile(output), FileSize(source)));
  }
  const auto start = Clock::now();
  FERRY_RETURN_IF_ERROR(SyncFile(path));
  seconds += SecondsSince(start);
  if (FileSize(path) != FileSize(source)) {
    return Status::Error(StatusCode::kInternal, name_ + " stored a short upload");
  }
  unlink(path.c_str());
  return seconds;
}

StatusOr<std::vector<double>> Peer::StatRoundTrips(const std::string& name, int count) {
  if (protocol_ == Protocol::kSftp) {
    return RunScript({"sftp-stat", std::to_string(port_), user_, key_,
                      environment_.root + "/" + name, std::to_string(count)});
  }
  return RunScript({"ftp-size", std::to_string(port_), name, std::to_string(count)});
}

StatusOr<double> Peer::ListMillis(const std::string& dir) {
  std::vector<double> ms;
  if (protocol_ == Protocol::kSftp) {
    FERRY_ASSIGN_OR_RETURN(ms, RunScript({"sftp-list", std::to_string(port_), user_, key_,
                                          environment_.root + "/" + dir}));
  } else {
    FERRY_ASSIGN_OR_RETURN(ms, RunScript({"ftp-list", std::to_string(port_), dir}));
  }
  return ms.front();
}

StatusOr<Peer::SmallFiles> Peer::SmallFileRoundTrip(const std::string& dir, int count,
                                                    const std::string& source) {
  SmallFiles result;
  if (protocol_ == Protocol::kSftp) {
    std::string puts, gets;
    for (int i = 0; i < count; ++i) {
      const std::string remote = environment_.root + "/" + dir + "/s" + std::to_string(i);
      puts += "put " + source + " " + remote + "\n";
      gets += "get " + remote + " /dev/null\n";
    }
    FERRY_ASSIGN_OR_RETURN(const double up, RunSftpBatch(puts));
    FERRY_ASSIGN_OR_RETURN(const double down, RunSftpBatch(gets));
    result.upload_ms = up * 1000;
    result.download_ms = down * 1000;
  } else {
    FERRY_ASSIGN_OR_RETURN(std::vector<double> ms, RunScript({"ftp-small", std::to_string(port_),
                                                              dir, std::to_string(count), source}));
    if (ms.size() != 2) return Status::Error(StatusCode::kInternal, "ftp-small printed no pair");
    result.upload_ms = ms[0];
    result.download_ms = ms[1];
  }
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    FERRY_RETURN_IF_ERROR(SyncFile(environment_.root + "/" + dir + "/s" + std::to_string(i)));
  }
  result.sync_ms = SecondsSince(start) * 1000;
  return result;
}

StatusOr<double> Peer::DownloadAtOnce(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<ChildProcess>> clients;
  std::vector<std::string> outputs;
  std::vector<double> started;  // seconds since `start` at which each client was started
  const auto start = Clock::now();
  for (size_t i = 0; i < names.size(); ++i) {
    outputs.push_back(Scratch("at-once-" + std::to_string(i)));
    std::vector<std::string> command;
    if (protocol_ == Protocol::kSftp) {
      const std::string batch = outputs.back() + ".batch";
      FERRY_RETURN_IF_ERROR(WriteText(
          batch, TimedSftpBatch("get " + environment_.root + "/" + names[i] + " /dev/null\n")));
      command = SftpCommand(batch);
    } else {
      command =
          CurlCommand({"-o", "/dev/null", "-w",
                       "%{time_pretransfer} %{time_total} %{size_download}", FtpUrl(names[i])});
    }
    started.push_back(SecondsSince(start));
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> client,
                           ChildProcess::Start(command, outputs.back()));
    clients.push_back(std::move(client));
  }
  // From the first transfer's start to the last one's end, the clients' own
  // start-up and logins left out: sftp's by `!date` stamps, curl's from its
  // timers, counted from the moment it was started.
  double first_start = 0, last_end = 0;
  for (size_t i = 0; i < clients.size(); ++i) {
    FERRY_ASSIGN_OR_RETURN(const int code, clients[i]->Wait(kCommandTimeout));
    const std::string output = ReadWholeFile(outputs[i]);
    if (code != 0) {
      return Status::Error(StatusCode::kInternal,
                           name_ + " client exited with " + std::to_string(code) + ": " + output);
    }
    std::pair<double, double> span;
    if (protocol_ == Protocol::kSftp) {
      FERRY_ASSIGN_OR_RETURN(span, SftpStamps(output));
    } else {
      const std::vector<double> numbers = ParseNumbers(output);
      if (numbers.size() != 3) {
        return Status::Error(StatusCode::kInternal, "unexpected curl output: " + output);
      }
      span = {started[i] + numbers[0], started[i] + numbers[1]};
    }
    first_start = i == 0 ? span.first : std::min(first_start, span.first);
    last_end = std::max(last_end, span.second);
  }
  return std::max(last_end - first_start, 1e-6);
}

StatusOr<std::unique_ptr<Peer>> Peer::StartVsftpd(const PeerEnvironment& environment) {
  const std::string vsftpd = FindProgram("vsftpd");
  std::unique_ptr<Peer> peer(new Peer("vsftpd", Protocol::kFtp, environment));
  FERRY_ASSIGN_OR_RETURN(peer->port_, FreeLoopbackPort());
  // Anonymous logins rooted at the data directory, with writes. The benchmark
  // may run as root, whom vsftpd will not log in; run_as_launching_user keeps
  // one account for everything (and so no chroot), which changes nothing on the
  // data path. The sandboxes need kernel features containers often lack.
  const std::string config = peer->Scratch("vsftpd.conf");
  FERRY_RETURN_IF_ERROR(WriteText(
      config, "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=" +
                  std::to_string(peer->port_) +
                  "\nbackground=NO\nrun_as_launching_user=YES\n"
                  "anonymous_enable=YES\nno_anon_password=YES\nanon_root=" +
                  environment.root +
                  "\nlocal_enable=NO\nwrite_enable=YES\nanon_upload_enable=YES\n"
                  "anon_mkdir_write_enable=YES\nanon_other_write_enable=YES\n"
                  "anon_world_readable_only=NO\nanon_umask=022\n"
                  "pasv_enable=YES\npasv_address=127.0.0.1\nuse_sendfile=YES\n"
                  "seccomp_sandbox=NO\nisolate=NO\nisolate_network=NO\n"
                  "xferlog_enable=NO\ndirmessage_enable=NO\nvsftpd_log_file=/dev/null\n"));
  FERRY_ASSIGN_OR_RETURN(peer->server_,
                         ChildProcess::Start({vsftpd, config}, peer->Scratch("server.log")));
  if (Status up = WaitForListener(peer->port_, *peer->server_, kStartTimeout); !up.ok()) {
    return up.WithContext(ReadWholeFile(peer->Scratch("server.log")));
  }
  peer->method_ =
      "vsftpd: curl for transfers (its own timer, login excluded), ftplib for SIZE, LIST and "
      "small files (a data connection per file); uploads fsync'd after curl ends";
  return peer;
}

StatusOr<std::unique_ptr<Peer>> Peer::StartPyftpdlib(const PeerEnvironment& environment,
                                                     const std::string& python) {
  std::unique_ptr<Peer> peer(new Peer("pyftpdlib", Protocol::kFtp, environment));
  peer->python_ = python;
  FERRY_ASSIGN_OR_RETURN(peer->port_, FreeLoopbackPort());
  FERRY_ASSIGN_OR_RETURN(peer->server_,
                         ChildProcess::Start({python, environment.script, "serve-pyftpdlib",
                                              std::to_string(peer->port_), environment.root},
                                             peer->Scratch("server.log")));
  if (Status up = WaitForListener(peer->port_, *peer->server_, kStartTimeout); !up.ok()) {
    return up.WithContext(ReadWholeFile(peer->Scratch("server.log")));
  }
  peer->method_ =
      "pyftpdlib (sendfile on): measured as vsftpd is, curl and ftplib; uploads fsync'd after "
      "curl ends";
  return peer;
}

StatusOr<std::unique_ptr<Peer>> Peer::StartSshd(const PeerEnvironment& environment,
                                                const std::string& python) {
  const std::string sshd = FindProgram("sshd");  // absolute: sshd re-executes itself
  std::unique_ptr<Peer> peer(new Peer("sftp", Protocol::kSftp, environment));
  peer->python_ = python;
  const passwd* user = getpwuid(geteuid());
  if (user == nullptr) return Status::Error(StatusCode::kInternal, "who am I?");
  peer->user_ = user->pw_name;
  const std::string host_key = peer->Scratch("host_key");
  peer->key_ = peer->Scratch("user_key");
  for (const std::string& key : {host_key, peer->key_}) {
    FERRY_RETURN_IF_ERROR(
        RunToCompletion({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key},
                        peer->Scratch("keygen.out"), milliseconds(20000)));
  }
  const std::string authorized = peer->Scratch("authorized_keys");
  FERRY_RETURN_IF_ERROR(WriteText(authorized, ReadWholeFile(peer->key_ + ".pub")));
  // sshd run by root insists on its privilege-separation directory, which
  // Debian's service creates when it starts; it is empty and harmless.
  if (geteuid() == 0) mkdir("/run/sshd", 0755);
  FERRY_ASSIGN_OR_RETURN(peer->port_, FreeLoopbackPort());
  // sftp asks for aes128-gcm; paramiko (stat and list only) has no GCM and
  // takes aes128-ctr.
  const std::string config = peer->Scratch("sshd_config");
  FERRY_RETURN_IF_ERROR(WriteText(
      config, "ListenAddress 127.0.0.1\nHostKey " + host_key + "\nAuthorizedKeysFile " +
                  authorized +
                  "\nPidFile none\nStrictModes no\nPermitRootLogin prohibit-password\n"
                  "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                  "UseDNS no\nPrintMotd no\nX11Forwarding no\nMaxStartups 64:30:128\n"
                  "Ciphers aes128-gcm@openssh.com,aes128-ctr\n"
                  "Subsystem sftp internal-sftp\nLogLevel ERROR\n"));
  FERRY_ASSIGN_OR_RETURN(peer->server_, ChildProcess::Start({sshd, "-D", "-e", "-f", config, "-p",
                                                             std::to_string(peer->port_)},
                                                            peer->Scratch("server.log")));
  if (Status up = WaitForListener(peer->port_, *peer->server_, kStartTimeout); !up.ok()) {
    return up.WithContext(ReadWholeFile(peer->Scratch("server.log")));
  }
  // A session that does nothing shows at once whether logins work.
  FERRY_RETURN_IF_ERROR(peer->RunSftpBatch("pwd\n").status());
  peer->method_ =
      "sftp: OpenSSH sftp -b for transfers and small files (aes128-gcm; timed by `!date` in the "
      "batch, so session setup is not counted), paramiko for stat and list (aes128-ctr); "
      "uploads fsync'd after sftp ends";
  return peer;
}

std::vector<std::unique_ptr<Peer>> Peer::StartAll(const PeerEnvironment& environment,
                                                  std::vector<std::string>* notes) {
  std::vector<std::unique_ptr<Peer>> peers;
  const std::string scratch = environment.work_dir + "/probe.out";
  const std::string install = " (ci/install-bench-peers.sh installs the peers)";
  const auto start = [&](const std::string& name,
                         const std::function<StatusOr<std::unique_ptr<Peer>>()>& starter) {
    auto peer = starter();
    if (peer.ok()) {
      peers.push_back(std::move(*peer));
    } else {
      notes->push_back("peer " + name + " failed to start: " + peer.status().ToString());
    }
  };
  const std::string ftp_python = PythonWith("ftplib", scratch);
  if (FindProgram("vsftpd").empty() || FindProgram("curl").empty() || ftp_python.empty()) {
    notes->push_back("peer vsftpd skipped: needs vsftpd, curl and python3" + install);
  } else {
    start("vsftpd", [&]() -> StatusOr<std::unique_ptr<Peer>> {
      FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Peer> peer, StartVsftpd(environment));
      peer->python_ = ftp_python;
      return peer;
    });
  }
  const std::string ssh_python = PythonWith("paramiko", scratch);
  if (FindProgram("sshd").empty() || FindProgram("sftp").empty() ||
      FindProgram("ssh-keygen").empty() || ssh_python.empty()) {
    notes->push_back("peer sftp skipped: needs sshd, sftp, ssh-keygen and python3-paramiko" +
                     install);
  } else {
    start("sftp", [&] { return StartSshd(environment, ssh_python); });
  }
  const std::string pyftpdlib_python = PythonWith("pyftpdlib", scratch);
  if (pyftpdlib_python.empty() || FindProgram("curl").empty()) {
    notes->push_back("peer pyftpdlib skipped: needs python3-pyftpdlib and curl" + install);
  } else {
    start("pyftpdlib", [&] { return StartPyftpdlib(environment, pyftpdlib_python); });
  }
  return peers;
}

}  // namespace ferry::bench
