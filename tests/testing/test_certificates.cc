#include "tests/testing/test_certificates.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace ferry {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateFree {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Certificate = std::unique_ptr<X509, CertificateFree>;

Status Failed(const std::string& what) {
  char reason[256] = "";
  ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
  ERR_clear_error();
  return Status::Error(StatusCode::kInternal, what + ": " + reason);
}

StatusOr<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return Failed("cannot generate a key");
  return key;
}

Status AddExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return Failed(std::string("cannot make extension ") + value);
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return Failed("cannot add an extension");
  return Status::Ok();
}

enum class Kind { kCa, kServer, kClient };

// A certificate for `key` named `common_name`, signed by `issuer` (nullptr:
// self-signed), valid from an hour ago for a day.
StatusOr<Certificate> NewCertificate(EVP_PKEY* key, const std::string& common_name, Kind kind,
                                     X509* issuer, EVP_PKEY* issuer_key, long serial) {
  Certificate certificate(X509_new());
  if (!certificate) return Failed("cannot allocate a certificate");
  X509* cert = certificate.get();
  X509_set_version(cert, 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer != nullptr ? issuer : cert;
  FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) {
    FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_authority_key_identifier, "keyid"));
  }
  switch (kind) {
    case Kind::kCa:
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE"));
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign"));
      break;
    case Kind::kServer:
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_basic_constraints, "CA:FALSE"));
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_ext_key_usage, "serverAuth"));
      FERRY_RETURN_IF_ERROR(
          AddExtension(cert, signer, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"));
      break;
    case Kind::kClient:
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_basic_constraints, "CA:FALSE"));
      FERRY_RETURN_IF_ERROR(AddExtension(cert, signer, NID_ext_key_usage, "clientAuth"));
      break;
  }
  if (X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return Failed("cannot sign " + common_name);
  }
  return certificate;
}

Status WritePem(const std::filesystem::path& path, X509* certificate, EVP_PKEY* key) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return Status::Error(StatusCode::kIoError, "cannot create " + path.string());
  const bool ok = certificate != nullptr
                      ? PEM_write_X509(file, certificate) == 1
                      : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(file) != 0 || !ok) return Failed("cannot write " + path.string());
  return Status::Ok();
}

std::string Fingerprint(X509* certificate) {
  unsigned char digest[32];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 15]);
  }
  return text;
}

// Writes NAME.pem and NAME.key for a new leaf.
StatusOr<CertificateFiles> WriteLeaf(const std::filesystem::path& dir, const std::string& name,
                                     Kind kind, X509* issuer, EVP_PKEY* issuer_key, long serial) {
  FERRY_ASSIGN_OR_RETURN(Key key, NewKey());
  FERRY_ASSIGN_OR_RETURN(Certificate certificate, NewCertificate(key.get(), "ferry-test-" + name,
                                                                 kind, issuer, issuer_key, serial));
  CertificateFiles files{dir / (name + ".pem"), dir / (name + ".key"),
                         Fingerprint(certificate.get())};
  FERRY_RETURN_IF_ERROR(WritePem(files.certificate, certificate.get(), nullptr));
  FERRY_RETURN_IF_ERROR(WritePem(files.key, nullptr, key.get()));
  return files;
}

}  // namespace

StatusOr<TestCertificates> WriteTestCertificates(const std::filesystem::path& dir) {
  TestCertificates out;
  FERRY_ASSIGN_OR_RETURN(Key ca_key, NewKey());
  FERRY_ASSIGN_OR_RETURN(Certificate ca, NewCertificate(ca_key.get(), "ferry-test-ca", Kind::kCa,
                                                        nullptr, nullptr, 1));
  out.ca = dir / "ca.pem";
  FERRY_RETURN_IF_ERROR(WritePem(out.ca, ca.get(), nullptr));
  FERRY_ASSIGN_OR_RETURN(out.server,
                         WriteLeaf(dir, "server", Kind::kServer, ca.get(), ca_key.get(), 2));
  FERRY_ASSIGN_OR_RETURN(out.client,
                         WriteLeaf(dir, "client", Kind::kClient, ca.get(), ca_key.get(), 3));

  FERRY_ASSIGN_OR_RETURN(Key other_key, NewKey());
  FERRY_ASSIGN_OR_RETURN(Certificate other, NewCertificate(other_key.get(), "ferry-test-other-ca",
                                                           Kind::kCa, nullptr, nullptr, 4));
  out.other_ca = dir / "other-ca.pem";
  FERRY_RETURN_IF_ERROR(WritePem(out.other_ca, other.get(), nullptr));
  FERRY_ASSIGN_OR_RETURN(out.other_client, WriteLeaf(dir, "other-client", Kind::kClient,
                                                     other.get(), other_key.get(), 5));
  FERRY_ASSIGN_OR_RETURN(out.self_signed,
                         WriteLeaf(dir, "self-signed", Kind::kServer, nullptr, nullptr, 6));
  return out;
}

}  // namespace ferry
