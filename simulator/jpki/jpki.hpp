// SPDX-License-Identifier: Apache-2.0
// A simulated JPKI (公的個人認証) with real cryptography: a test certification authority,
// one 利用者証明用 key pair and certificate per persona's card (valid, expired or revoked as
// the YAML says, revocations published in a CRL), card signatures, and verification of a
// certificate chain and signature against the virtual clock.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock/time.hpp"
#include "data/world_data.hpp"

// OpenSSL types, declared so that this header stays light.
struct x509_st;
struct evp_pkey_st;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace mynasim {

struct card_verification {
  std::string error_key;  // empty when valid (catalogue key otherwise)
  std::string card_serial;
  std::string fingerprint;  // SHA-256 of the certificate DER, hex
};

class jpki {
 public:
  // Loads dir/ (ca.crt, ca.key, crl.pem, cards/<serial>.crt|.key) or generates what is
  // missing; certificate validity is relative to `now`. Throws std::runtime_error.
  jpki(const std::string& dir, const world_data& data, instant now);
  ~jpki();
  jpki(const jpki&) = delete;
  jpki& operator=(const jpki&) = delete;

  // True when a persona holds the card (no key work, no file read).
  bool knows(const std::string& serial) const;
  // True when the card's key and certificate are in memory for its current state: using it
  // costs no key generation and no file read.
  bool ready(const std::string& serial) const;
  // The card's certificate; issues the card's key on first use (≈0.2 s of RSA key
  // generation: call it off the I/O threads unless ready()).
  std::optional<std::string> certificate_pem(const std::string& serial) const;
  // Signs `message` with the card's 利用者証明用 key (RSA PKCS#1 v1.5, SHA-256).
  std::optional<std::string> sign(const std::string& serial, const std::string& message) const;
  // Verifies the certificate (PEM or base64 DER) chains to the CA, is valid at `now`, is not
  // revoked, and that `signature` is the card's signature over `message`.
  card_verification verify(const std::string& certificate, const std::string& signature, const std::string& message,
                           instant now) const;
  const std::string& directory() const { return dir_; }
  // After the personas changed: records what each card should be and republishes the CRL
  // (signed: call it off the I/O threads). Cards are issued (RSA key generation, ≈0.2 s) or
  // loaded on first use. Thread-safe: several cards are issued at once.
  void sync(const world_data& data, instant now);

 private:
  void plan_locked(const world_data& data, instant now);
  // Runs `use` with the card's certificate and key, loading or issuing them first; false for
  // a serial no persona has.
  bool card(const std::string& serial, const std::function<void(X509*, EVP_PKEY*)>& use) const;
  struct loaded_card;
  // The card's files when they match `state`, else a newly issued card written to them.
  loaded_card load_or_issue(const std::string& serial, const std::string& state, std::time_t issued_at) const;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string dir_;
};

std::string base64_encode(const std::string& bytes);
std::optional<std::string> base64_decode(const std::string& text);  // strict: nullopt on bad input

}  // namespace mynasim
