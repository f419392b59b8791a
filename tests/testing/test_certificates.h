// Certificates for TLS tests, made at test time with OpenSSL's C API (no keys in
// the repository, no openssl command): a CA and what it signs, an unrelated CA
// and a client it signs, and a self-signed server certificate. Keys are P-256.
#pragma once

#include <filesystem>
#include <string>

#include "src/base/status.h"

namespace ferry {

struct CertificateFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path key;          // PEM, unencrypted
  std::string fingerprint;            // "sha256:" + hex of the certificate's DER
};

struct TestCertificates {
  std::filesystem::path ca;        // the CA's certificate (PEM); it signed server and client
  CertificateFiles server;         // CN ferry-test-server; names 127.0.0.1, ::1 and localhost
  CertificateFiles client;         // CN ferry-test-client, for client authentication
  std::filesystem::path other_ca;  // an unrelated CA
  CertificateFiles other_client;   // a client certificate signed by other_ca
  CertificateFiles self_signed;    // a server certificate for 127.0.0.1 that no CA signed
};

// Writes every file into `dir` (which must exist).
StatusOr<TestCertificates> WriteTestCertificates(const std::filesystem::path& dir);

}  // namespace ferry
