// SPDX-License-Identifier: Apache-2.0
#include "core/hop_seal.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace mynasim {
namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0x0f]);
  }
  return out;
}

// The values with their lengths, so that no two different tuples give the same bytes.
std::string message_of(const hop_attribution& a) {
  std::string m;
  for (auto part : {a.client_id, a.persona, a.process_id, a.telegram_id}) {
    m += std::to_string(part.size());
    m += ':';
    m += part;
  }
  return m;
}

}  // namespace

hop_seal::hop_seal() : key_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) != 1)
    throw std::runtime_error("no random bytes for the hop seal's key");
}

hop_seal hop_seal::from_shared_secret(std::string_view secret) {
  static constexpr std::string_view label = "mynasim hop seal\n";
  std::string input(label);
  input += secret;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  hop_seal s;
  s.key_.assign(reinterpret_cast<const char*>(digest), sizeof digest);
  return s;
}

std::string hop_seal::seal(const hop_attribution& a) const {
  auto message = message_of(a);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &length);
  return hex(mac, length);
}

bool hop_seal::verify(const hop_attribution& a, std::string_view given) const {
  auto expected = seal(a);
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace mynasim
