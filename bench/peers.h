// The servers `bench/run --peers` measures beside ferry: vsftpd and pyftpdlib
// (FTP) and OpenSSH's sshd (SFTP). Each installed one is started on a free high
// port of 127.0.0.1 with a configuration of its own in the benchmark's
// temporary directory, serves the same data directory as ferryd, and is
// stopped (its whole process group) when the benchmark ends. No system service
// or system configuration is used.
//
// Clients: curl for FTP transfers, OpenSSH's sftp (aes128-gcm) for SFTP
// transfers and small files, and bench/peer_client.py (ftplib, paramiko) for
// the round trips and listings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/child_process.h"
#include "src/base/status.h"

namespace ferry::bench {

struct PeerEnvironment {
  std::string root;      // the data directory, as ferryd serves it
  std::string work_dir;  // configurations, keys and scratch files (exists, empty)
  std::string script;    // bench/peer_client.py
};

class Peer {
 public:
  enum class Protocol { kFtp, kSftp };
  struct SmallFiles {
    double upload_ms = 0;
    double download_ms = 0;
    // The fsync of each uploaded file, after the round trip: what the peer's
    // uploads would need to be durable, as ferry's are.
    double sync_ms = 0;
  };

  ~Peer();
  const std::string& name() const { return name_; }
  Protocol protocol() const { return protocol_; }
  // What a reader of the results should know about how this peer is measured.
  const std::string& method() const { return method_; }

  // Seconds to download `name` (relative to the root) into /dev/null, session
  // setup not counted.
  StatusOr<double> Download(const std::string& name);
  // Seconds to upload the local file `source` to `name`, plus the fsync of the
  // uploaded file afterwards: the peers do not sync, ferry's uploads are durable.
  StatusOr<double> UploadDurably(const std::string& source, const std::string& name);
  // `count` SIZE (FTP) or stat (SFTP) round trips on one session, in microseconds.
  StatusOr<std::vector<double>> StatRoundTrips(const std::string& name, int count);
  // Milliseconds for one long listing of `dir`.
  StatusOr<double> ListMillis(const std::string& dir);
  // Uploads `source` as dir/s0 ... dir/s<count-1>, then downloads each, on one
  // session (FTP: one data connection per file); then fsyncs each uploaded file.
  StatusOr<SmallFiles> SmallFileRoundTrip(const std::string& dir, int count,
                                          const std::string& source);
  // One client per name, all started at once, each downloading its file:
  // seconds from the first transfer's start to the last one's end (client
  // start-up and logins not counted).
  StatusOr<double> DownloadAtOnce(const std::vector<std::string>& names);

  // Starts every peer that is installed. `notes` gets one line per peer that is
  // missing (saying what to install) or failed to start.
  static std::vector<std::unique_ptr<Peer>> StartAll(const PeerEnvironment& environment,
                                                     std::vector<std::string>* notes);

 private:
  Peer(std::string name, Protocol protocol, PeerEnvironment environment)
      : name_(std::move(name)), protocol_(protocol), environment_(std::move(environment)) {}
  static StatusOr<std::unique_ptr<Peer>> StartVsftpd(const PeerEnvironment& environment);
  static StatusOr<std::unique_ptr<Peer>> StartPyftpdlib(const PeerEnvironment& environment,
                                                        const std::string& python);
  static StatusOr<std::unique_ptr<Peer>> StartSshd(const PeerEnvironment& environment,
                                                   const std::string& python);

  std::string Scratch(const std::string& what) const;
  // Runs peer_client.py; its stdout as numbers.
  StatusOr<std::vector<double>> RunScript(std::vector<std::string> arguments);
  // Runs `sftp -b` over `commands`: the seconds they took, session setup not counted.
  StatusOr<double> RunSftpBatch(const std::string& commands);
  std::vector<std::string> SftpCommand(const std::string& batch_file) const;
  std::string FtpUrl(const std::string& name) const;

  std::string name_;
  Protocol protocol_;
  PeerEnvironment environment_;
  std::string method_;
  std::unique_ptr<ChildProcess> server_;
  int port_ = 0;
  std::string python_;
  // SFTP: who logs in with which key.
  std::string user_;
  std::string key_;
};

}  // namespace ferry::bench
