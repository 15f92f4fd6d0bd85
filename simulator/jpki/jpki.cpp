// SPDX-License-Identifier: Apache-2.0
#include "jpki/jpki.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/file_lock.hpp"

namespace mynasim {
namespace fs = std::filesystem;

namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using crl_ptr = std::unique_ptr<X509_CRL, deleter<X509_CRL, X509_CRL_free>>;
using store_ptr = std::unique_ptr<X509_STORE, deleter<X509_STORE, X509_STORE_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text, bool secret) {
  std::ofstream(p, std::ios::binary) << text;
  if (secret) fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

bio_ptr memory_bio(const std::string& text) {
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

pkey_ptr new_rsa_key() {
  pkey_ptr key(EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("jpki: RSA key generation failed");
  return key;
}

std::string key_pem(EVP_PKEY* key) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(b.get());
}

std::string cert_pem(X509* cert) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), cert);
  return bio_text(b.get());
}

pkey_ptr load_key(const std::string& pem) {
  auto b = memory_bio(pem);
  return pkey_ptr(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

x509_ptr load_cert_pem(const std::string& pem) {
  auto b = memory_bio(pem);
  return x509_ptr(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

void set_name(X509_NAME* name, const std::string& org, const std::string& cn) {
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("JP"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

x509_ptr make_cert(EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial, const std::string& cn,
                   std::time_t not_before, std::time_t not_after, bool ca) {
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after);
  set_name(X509_get_subject_name(cert.get()), ca ? "JPKI test authority (mynasim)" : "JPKI test card (mynasim)", cn);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key);
  X509* iss = issuer ? issuer : cert.get();
  if (ca) {
    add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), iss, NID_key_usage, "critical,digitalSignature");
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string common_name(X509* cert) {
  char buf[256] = {0};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 1 << 20) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && i >= text.size() - 2);
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = text.size() >= 2 ? (text.back() == '=') + (text[text.size() - 2] == '=') : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// The issued cards and the CRL, replaced whole when the personas change.
// What each card should be (from the personas) and the CRL — replaced whole when the
// personas change — and the cards' keys and certificates, loaded or issued on first use.
struct card_plan {
  std::map<std::string, std::string> states;  // by card serial: valid | expired | revoked
  crl_ptr crl;
  std::time_t issued_at = 0;  // validity of certificates issued under this plan is relative to it
};

struct jpki::loaded_card {
  std::string state;
  x509_ptr cert;
  pkey_ptr key;
};

struct jpki::impl {
  pkey_ptr ca_key;
  x509_ptr ca_cert;
  mutable std::mutex mutex;        // guards `plan`
  mutable std::mutex cards_mutex;  // guards `loaded`; never held while a key is generated
  std::shared_ptr<const card_plan> plan;
  std::map<std::string, loaded_card> loaded;  // by card serial; at most one per persona
  std::shared_ptr<const card_plan> current() const {
    std::lock_guard lock(mutex);
    return plan;
  }
};

namespace {
// A certificate serial number of its own for each card serial, stable across starts.
long certificate_number(const std::string& card_serial) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : card_serial) h = (h ^ c) * 16777619u;
  return 1000 + static_cast<long>(h & 0x3fffffff);
}
constexpr std::time_t year = 365L * 24 * 3600;
}  // namespace

jpki::jpki(const std::string& dir, const world_data& data, instant now) : impl_(std::make_unique<impl>()), dir_(dir) {
  fs::create_directories(fs::path(dir) / "cards");
  file_lock lock((fs::path(dir) / ".lock").string());
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(now));
  auto ca_crt = fs::path(dir) / "ca.crt", ca_key = fs::path(dir) / "ca.key";
  if (fs::exists(ca_crt) && fs::exists(ca_key)) {
    impl_->ca_cert = load_cert_pem(read_file(ca_crt));
    impl_->ca_key = load_key(read_file(ca_key));
  }
  if (!impl_->ca_cert || !impl_->ca_key) {
    impl_->ca_key = new_rsa_key();
    impl_->ca_cert = make_cert(impl_->ca_key.get(), nullptr, impl_->ca_key.get(), 1, "JPKI test CA for 利用者証明用",
                               t - 20 * year, t + 20 * year, true);
    write_file(ca_key, key_pem(impl_->ca_key.get()), true);
    write_file(ca_crt, cert_pem(impl_->ca_cert.get()), false);
    for (const auto& e : fs::directory_iterator(fs::path(dir) / "cards"))
      fs::remove(e.path());  // re-issue under the new CA
  }
  plan_locked(data, now);
}

void jpki::sync(const world_data& data, instant now) {
  file_lock lock((fs::path(dir_) / ".lock").string());
  plan_locked(data, now);
}

// Records what every card should be and publishes the CRL. No key is generated and no card
// file is read here — except a revoked card's certificate, whose serial number the CRL needs —
// so a world of many personas starts at once; keys come on first use (card()).
void jpki::plan_locked(const world_data& data, instant now) {
  const auto& dir = dir_;
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(now));
  auto next = std::make_shared<card_plan>();
  next->issued_at = t;
  std::vector<std::pair<long, std::time_t>> revoked;
  for (const auto& p : data.personas) {
    std::string wanted = to_string(p.card.certificate);
    next->states[p.card.serial] = wanted;
    if (p.card.certificate != certificate_state::revoked) continue;
    long number = certificate_number(p.card.serial);  // what card() issues
    auto crt = fs::path(dir) / "cards" / (p.card.serial + ".crt");
    auto state = fs::path(dir) / "cards" / (p.card.serial + ".state");
    if (fs::exists(crt) && fs::exists(state) && read_file(state) == wanted)
      if (auto cert = load_cert_pem(read_file(crt))) number = ASN1_INTEGER_get(X509_get_serialNumber(cert.get()));
    revoked.push_back({number, t - year / 4});
  }
  crl_ptr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(impl_->ca_cert.get()));
  std::unique_ptr<ASN1_TIME, deleter<ASN1_TIME, ASN1_TIME_free>> last(ASN1_TIME_set(nullptr, t - 10 * year)),
      next_update(ASN1_TIME_set(nullptr, t + 10 * year));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next_update.get());
  for (auto [s, when] : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    std::unique_ptr<ASN1_INTEGER, deleter<ASN1_INTEGER, ASN1_INTEGER_free>> sn(ASN1_INTEGER_new());
    ASN1_INTEGER_set(sn.get(), s);
    X509_REVOKED_set_serialNumber(r, sn.get());
    std::unique_ptr<ASN1_TIME, deleter<ASN1_TIME, ASN1_TIME_free>> rt(ASN1_TIME_set(nullptr, when));
    X509_REVOKED_set_revocationDate(r, rt.get());
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  X509_CRL_sign(crl.get(), impl_->ca_key.get(), EVP_sha256());
  bio_ptr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(b.get(), crl.get());
  write_file(fs::path(dir) / "crl.pem", bio_text(b.get()), false);
  next->crl = std::move(crl);
  std::lock_guard lock(impl_->mutex);
  impl_->plan = std::move(next);
}

// The card's files when they hold `state`; else a card issued now (an RSA-2048 key, ≈0.2 s,
// generated outside every lock so that several cards are issued at once) and written there —
// unless another thread or process wrote the files meanwhile, whose card then wins.
jpki::loaded_card jpki::load_or_issue(const std::string& serial, const std::string& state,
                                      std::time_t issued_at) const {
  const auto cards = fs::path(dir_) / "cards";
  auto crt = cards / (serial + ".crt"), key = cards / (serial + ".key"), state_file = cards / (serial + ".state");
  auto from_files = [&]() -> loaded_card {
    loaded_card c{state, nullptr, nullptr};
    if (fs::exists(crt) && fs::exists(key) && fs::exists(state_file) && read_file(state_file) == state) {
      c.cert = load_cert_pem(read_file(crt));
      c.key = load_key(read_file(key));
    }
    return c;
  };
  {
    file_lock dir_lock((fs::path(dir_) / ".lock").string());
    auto c = from_files();
    if (c.cert && c.key) return c;
  }
  const bool expired = state == "expired";
  const std::time_t t = issued_at;
  loaded_card fresh{state, nullptr, new_rsa_key()};
  fresh.cert = make_cert(fresh.key.get(), impl_->ca_cert.get(), impl_->ca_key.get(), certificate_number(serial), serial,
                         expired ? t - 6 * year : t - year, expired ? t - year / 12 : t + 4 * year, false);
  file_lock dir_lock((fs::path(dir_) / ".lock").string());
  auto c = from_files();
  if (c.cert && c.key) return c;
  write_file(key, key_pem(fresh.key.get()), true);
  write_file(crt, cert_pem(fresh.cert.get()), false);
  write_file(state_file, state, false);
  return fresh;
}

// The card's certificate and key: from memory, else loaded from the directory when its
// state matches, else issued — once, on first use.
bool jpki::card(const std::string& serial, const std::function<void(X509*, EVP_PKEY*)>& use) const {
  auto plan = impl_->current();
  auto wanted = plan->states.find(serial);
  if (wanted == plan->states.end()) return false;
  x509_ptr cert;
  pkey_ptr key;
  auto take = [&](const loaded_card& c) {
    X509_up_ref(c.cert.get());
    EVP_PKEY_up_ref(c.key.get());
    cert.reset(c.cert.get());
    key.reset(c.key.get());
  };
  {
    std::lock_guard lock(impl_->cards_mutex);
    if (auto it = impl_->loaded.find(serial); it != impl_->loaded.end() && it->second.state == wanted->second)
      take(it->second);
  }
  if (!cert) {
    auto c = load_or_issue(serial, wanted->second, plan->issued_at);
    std::lock_guard lock(impl_->cards_mutex);
    auto it = impl_->loaded.find(serial);
    if (it == impl_->loaded.end() || it->second.state != wanted->second)
      it = impl_->loaded.insert_or_assign(serial, std::move(c)).first;
    take(it->second);
  }
  use(cert.get(), key.get());
  return true;
}

bool jpki::knows(const std::string& serial) const {
  auto plan = impl_->current();
  return plan->states.count(serial) > 0;
}

bool jpki::ready(const std::string& serial) const {
  auto plan = impl_->current();
  auto wanted = plan->states.find(serial);
  if (wanted == plan->states.end()) return false;
  std::lock_guard lock(impl_->cards_mutex);
  auto it = impl_->loaded.find(serial);
  return it != impl_->loaded.end() && it->second.state == wanted->second;
}

jpki::~jpki() = default;

std::optional<std::string> jpki::certificate_pem(const std::string& serial) const {
  std::optional<std::string> out;
  card(serial, [&](X509* cert, EVP_PKEY*) { out = cert_pem(cert); });
  return out;
}

std::optional<std::string> jpki::sign(const std::string& serial, const std::string& message) const {
  pkey_ptr key;
  card(serial, [&](X509*, EVP_PKEY* k) {
    EVP_PKEY_up_ref(k);
    key.reset(k);
  });
  if (!key) return std::nullopt;
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1)
    return std::nullopt;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return std::nullopt;
  sig.resize(len);
  return sig;
}

card_verification jpki::verify(const std::string& certificate, const std::string& signature, const std::string& message,
                               instant now) const {
  card_verification out;
  x509_ptr cert;
  if (certificate.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    cert = load_cert_pem(certificate);
  } else if (auto der = base64_decode(certificate)) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
    cert.reset(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  }
  if (!cert) {
    out.error_key = "kiosk_bad_certificate";
    return out;
  }
  out.fingerprint = fingerprint(cert.get());
  out.card_serial = common_name(cert.get());
  store_ptr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), impl_->ca_cert.get());
  auto plan = impl_->current();
  X509_STORE_add_crl(store.get(), plan->crl.get());
  store_ctx_ptr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
  X509_VERIFY_PARAM_set_time(
      param, std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(now)));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    out.error_key = err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID ? "certificate_expired"
                    : err == X509_V_ERR_CERT_REVOKED                                           ? "certificate_revoked"
                                                     : "kiosk_untrusted_certificate";
    return out;
  }
  auto sig = base64_decode(signature);
  md_ctx_ptr md(EVP_MD_CTX_new());
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (!sig || !pub || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pub) != 1 ||
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    out.error_key = "kiosk_bad_signature";
    return out;
  }
  return out;
}

}  // namespace mynasim
