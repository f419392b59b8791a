#include "bench/throwaway_certificate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace ferry::bench {
namespace {

struct Closer {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* certificate) const { X509_free(certificate); }
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
  void operator()(FILE* file) const { std::fclose(file); }
};

Status Failed(const std::string& what) {
  return Status::Error(StatusCode::kInternal, "throwaway certificate: " + what);
}

}  // namespace

StatusOr<std::pair<std::string, std::string>> WriteThrowawayCertificate(const std::string& dir) {
  std::unique_ptr<EVP_PKEY, Closer> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Closer> certificate(X509_new());
  if (key == nullptr || certificate == nullptr) return Failed("cannot make a key");
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ferry-bench"), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key.get());
  std::unique_ptr<X509_EXTENSION, Closer> names(
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, "IP:127.0.0.1"));
  if (names == nullptr || X509_add_ext(certificate.get(), names.get(), -1) != 1 ||
      X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) {
    return Failed("cannot sign");
  }
  const std::string certificate_path = dir + "/bench-cert.pem";
  const std::string key_path = dir + "/bench-key.pem";
  std::unique_ptr<FILE, Closer> certificate_file(std::fopen(certificate_path.c_str(), "w"));
  std::unique_ptr<FILE, Closer> key_file(std::fopen(key_path.c_str(), "w"));
  if (certificate_file == nullptr || key_file == nullptr ||
      PEM_write_X509(certificate_file.get(), certificate.get()) != 1 ||
      PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Failed("cannot write " + dir);
  }
  return std::make_pair(certificate_path, key_path);
}

}  // namespace ferry::bench
