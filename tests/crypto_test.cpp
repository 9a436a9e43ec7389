// Tests of bytes.h, hash.h and ed25519.h against published vectors.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace pl::crypto {
namespace {

Bytes Hex(std::string_view hex) {
  std::optional<Bytes> b = FromHex(hex);
  BOOST_REQUIRE_MESSAGE(b.has_value(), "bad hex in test: " << hex);
  return *b;
}

template <std::size_t N>
std::array<std::uint8_t, N> HexArray(std::string_view hex) {
  Bytes b = Hex(hex);
  BOOST_REQUIRE_EQUAL(b.size(), N);
  std::array<std::uint8_t, N> out;
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = base / ("pl-crypto-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
      if (std::filesystem::create_directory(path_)) return;
    }
    BOOST_FAIL("cannot create a temporary directory");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

unsigned FileMode(const std::string& path) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  BOOST_REQUIRE(out.good());
}

}  // namespace

// ------------------------------------------------------------------- bytes

BOOST_AUTO_TEST_SUITE(bytes)

BOOST_AUTO_TEST_CASE(hex_rfc4648_vectors) {
  // RFC 4648 §10, BASE16; ToHex is lower case by contract.
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "66"},
      {"fo", "666F"},
      {"foo", "666F6F"},
      {"foob", "666F6F62"},
      {"fooba", "666F6F6261"},
      {"foobar", "666F6F626172"},
  };
  for (const auto& [plain, upper] : vectors) {
    std::string lower = upper;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    BOOST_TEST(ToHex(AsBytes(plain)) == lower);
    BOOST_TEST(Str(Hex(upper)) == plain);
    BOOST_TEST(Str(Hex(lower)) == plain);
  }
}

BOOST_AUTO_TEST_CASE(hex_round_trips_every_byte) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string hex = ToHex(all);
  BOOST_TEST(hex.substr(0, 8) == "00010203");
  BOOST_TEST(hex.substr(hex.size() - 4) == "feff");
  BOOST_TEST(Hex(hex) == all);
}

BOOST_AUTO_TEST_CASE(hex_rejects_invalid) {
  for (const char* bad :
       {"0", "abc", "zz", "0g", "g0", " 00", "00 ", "0x00", "-1", "0\n", "\xff\xff"}) {
    BOOST_TEST(!FromHex(bad).has_value(), "accepted \"" << bad << "\"");
  }
  BOOST_TEST(!FromHex(std::string_view("\0\0", 2)).has_value());
}

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    BOOST_TEST(ToBase64(AsBytes(plain)) == encoded);
    std::optional<Bytes> decoded = FromBase64(encoded);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST(Str(*decoded) == plain);
  }
}

BOOST_AUTO_TEST_CASE(base64_uses_the_standard_alphabet) {
  const Bytes b = Hex("fbffbf");
  BOOST_TEST(ToBase64(b) == "+/+/");
  BOOST_TEST((FromBase64("+/+/") == std::optional<Bytes>(b)));
  BOOST_TEST(!FromBase64("-_-_").has_value());  // the URL-safe alphabet is not accepted
}

BOOST_AUTO_TEST_CASE(base64_round_trips) {
  std::mt19937 rng(42);
  for (std::size_t len = 0; len < 100; ++len) {
    Bytes b(len);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const std::string text = ToBase64(b);
    BOOST_TEST(text.size() == (len + 2) / 3 * 4);
    BOOST_TEST((FromBase64(text) == std::optional<Bytes>(b)));
  }
}

BOOST_AUTO_TEST_CASE(base64_rejects_invalid) {
  for (const char* bad : {
           "Zg",        // missing padding
           "Zg=",       // short padding
           "Zg===",     // excess padding
           "Z===",      // a lone character carries no full byte
           "====",      // padding only
           "Zm9v====",  // a whole quantum of padding
           "Zh==",      // non-zero bits discarded by '==' (non-canonical)
           "Zm9=",      // non-zero bits discarded by '=' (non-canonical)
           "Zg==Zg==",  // padding before the end
           "Zm=v",      // '=' inside a quantum
           "=Zm9",      // '=' first
           "Zm 9v",     // whitespace
           "Zm9v\n",    // trailing newline
           " Zm9v",     // leading space
           "Zm9*",      // stray character
           "Zm9v\xff\xff\xff\xff",
       }) {
    BOOST_TEST(!FromBase64(bad).has_value(), "accepted \"" << bad << "\"");
  }
  BOOST_TEST(!FromBase64(std::string_view("Zm9\0", 4)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ------------------------------------------------------------------ SHA-256

BOOST_AUTO_TEST_SUITE(sha256)

BOOST_AUTO_TEST_CASE(fips_180_vectors) {
  BOOST_TEST(ToHex(Sha256(AsBytes(""))) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(ToHex(Sha256(AsBytes("abc"))) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(ToHex(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million_a(1000000, 'a');
  BOOST_TEST(ToHex(Sha256(AsBytes(million_a))) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(empty_span_hashes_as_empty_input) {
  BOOST_TEST(ToHex(Sha256(ByteView())) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg.push_back(static_cast<char>('A' + i % 26));
  const Hash expected = Sha256(AsBytes(msg));
  Sha256Hasher hasher;
  for (std::size_t split = 0; split <= msg.size(); ++split) {
    hasher.Update(AsBytes(std::string_view(msg).substr(0, split)));
    hasher.Update(ByteView());
    hasher.Update(AsBytes(std::string_view(msg).substr(split)));
    BOOST_TEST(hasher.Finish() == expected, "split at " << split);
  }
  // Byte by byte.
  for (char c : msg) hasher.Update(AsBytes(std::string_view(&c, 1)));
  BOOST_TEST(hasher.Finish() == expected);
}

BOOST_AUTO_TEST_CASE(finish_resets) {
  Sha256Hasher hasher;
  hasher.Update(AsBytes("abc"));
  BOOST_TEST(hasher.Finish() == Sha256(AsBytes("abc")));
  BOOST_TEST(hasher.Finish() == Sha256(AsBytes("")));
  hasher.Update(AsBytes("abc"));
  BOOST_TEST(hasher.Finish() == Sha256(AsBytes("abc")));
}

BOOST_AUTO_TEST_CASE(one_shot_from_many_threads) {
  const Hash expected = Sha256(AsBytes("abc"));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256(AsBytes("abc")) != expected) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// ------------------------------------------------------------------ Ed25519

BOOST_AUTO_TEST_SUITE(ed25519)

namespace {

struct Rfc8032Vector {
  const char* name;
  const char* secret;
  const char* public_key;
  std::string message_hex;
  const char* signature;
};

// RFC 8032 §7.1.
const std::vector<Rfc8032Vector>& Vectors() {
  static const std::vector<Rfc8032Vector> vectors = {
      {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
      {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
       "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
       "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
       "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
       "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
       "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
       "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
       "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
       "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
       "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
       "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
       "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
       "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
       "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
       "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
       "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
       "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
       "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
       "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
       "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
       "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
       "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
       "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
       "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
       "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
       "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
       "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
       "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
       "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
       "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
       "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
       "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
       "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
       "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
       "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
       "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
      {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
       "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
       "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
       "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
  };
  return vectors;
}

constexpr char kTest1PrivatePem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr char kTest1PublicPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

// Keys of other algorithms, made with `openssl genpkey`.
constexpr char kP256PrivatePem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg57qr7lukH8bof/lF\n"
    "BYiE7hsc6PkQc7hfjkRnhtFZacehRANCAATt6IZgNXi4fvrIe7qGiMglJryVgQwB\n"
    "xp6MeVdcHKsXibPYV+FYYwBclYDfDg3w8+TT9IPvJwaqjNp/SriOxUNo\n"
    "-----END PRIVATE KEY-----\n";
constexpr char kX25519PublicPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VuAyEAHuUiv371Wut+LFB36SIgaNzuhmGu7U7GycCU6PoKIQs=\n"
    "-----END PUBLIC KEY-----\n";
constexpr char kEncryptedEd25519Pem[] =  // passphrase "x"
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhGjdVSmZCc/AICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEIky+Xd/NjwVCYZFnUqVblcEQJAd\n"
    "xCR+JKW7egfeLV/C+BJSWSSrpZYqiEw75sK9lPh90t5fvx7IoQPUa+NGVDSwYIll\n"
    "SoePgv0UuT3yeM7kyiw=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

PrivateKey KeyFromSeedHex(std::string_view hex) {
  Result<PrivateKey> key = PrivateKey::FromSeed(Hex(hex));
  BOOST_REQUIRE_MESSAGE(key.ok(), key.status().ToString());
  return std::move(key).value();
}

}  // namespace

BOOST_AUTO_TEST_CASE(rfc8032_vectors) {
  for (const Rfc8032Vector& v : Vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const Bytes message = Hex(v.message_hex);
      const PrivateKey key = KeyFromSeedHex(v.secret);
      BOOST_TEST(ToHex(key.public_key().raw()) == v.public_key);
      const Signature sig = key.Sign(message);
      BOOST_TEST(ToHex(sig) == v.signature);
      BOOST_TEST(key.public_key().Verify(message, sig));

      Result<PublicKey> pub = PublicKey::FromRaw(Hex(v.public_key));
      BOOST_REQUIRE(pub.ok());
      BOOST_TEST(pub->Verify(message, HexArray<64>(v.signature)));
      BOOST_TEST(pub->key_id() == ToHex(Sha256(Hex(v.public_key))));
      BOOST_TEST(pub->key_id() == key.public_key().key_id());
    }
  }
}

BOOST_AUTO_TEST_CASE(flipped_bits_are_rejected) {
  for (const Rfc8032Vector& v : Vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const Bytes message = Hex(v.message_hex);
      const Signature sig = HexArray<64>(v.signature);
      const PublicKey pub = *PublicKey::FromRaw(Hex(v.public_key));
      BOOST_REQUIRE(pub.Verify(message, sig));

      for (std::size_t bit = 0; bit < message.size() * 8; bit += 7) {
        Bytes m = message;
        m[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        BOOST_TEST(!pub.Verify(m, sig), "message bit " << bit);
      }
      Bytes longer = message;
      longer.push_back(0);
      BOOST_TEST(!pub.Verify(longer, sig));
      if (!message.empty()) {
        BOOST_TEST(!pub.Verify(ByteView(message).first(message.size() - 1), sig));
      }
      for (std::size_t bit = 0; bit < 512; ++bit) {
        Signature s = sig;
        s[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        BOOST_TEST(!pub.Verify(message, s), "signature bit " << bit);
      }
      for (std::size_t bit = 0; bit < 256; bit += 3) {
        Bytes raw = Hex(v.public_key);
        raw[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        Result<PublicKey> other = PublicKey::FromRaw(raw);
        // A flipped key is either not a curve point at all or a different key.
        if (other.ok()) BOOST_TEST(!other->Verify(message, sig), "key bit " << bit);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(generate_makes_distinct_working_keys) {
  const PrivateKey a = PrivateKey::Generate();
  const PrivateKey b = PrivateKey::Generate();
  BOOST_TEST((a.public_key().raw() != b.public_key().raw()));
  BOOST_TEST(a.public_key().key_id().size() == 64u);
  const Signature sig = a.Sign(AsBytes("hello"));
  BOOST_TEST(a.public_key().Verify(AsBytes("hello"), sig));
  BOOST_TEST(!b.public_key().Verify(AsBytes("hello"), sig));
}

BOOST_AUTO_TEST_CASE(copies_share_the_key) {
  const PrivateKey key = KeyFromSeedHex(Vectors()[1].secret);
  const PrivateKey copy = key;  // NOLINT: the copy is the point
  PublicKey pub = copy.public_key();
  BOOST_TEST(pub.Verify(AsBytes("x"), key.Sign(AsBytes("x"))));
  BOOST_TEST(key.Sign(AsBytes("x")) == copy.Sign(AsBytes("x")));
}

BOOST_AUTO_TEST_CASE(wrong_sizes_are_invalid) {
  Result<PrivateKey> short_seed = PrivateKey::FromSeed(Bytes(31));
  BOOST_TEST(!short_seed.ok());
  BOOST_TEST((short_seed.status().code() == Status::Code::kInvalid));
  BOOST_TEST(!PrivateKey::FromSeed(Bytes(33)).ok());
  BOOST_TEST(!PublicKey::FromRaw(Bytes(31)).ok());
  BOOST_TEST(!PublicKey::FromRaw(Bytes()).ok());
}

BOOST_AUTO_TEST_CASE(verify_is_thread_safe) {
  const PrivateKey key = KeyFromSeedHex(Vectors()[2].secret);
  const PublicKey pub = key.public_key();
  const Signature good = key.Sign(AsBytes("shared"));
  Signature bad = good;
  bad[5] ^= 1;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!pub.Verify(AsBytes("shared"), good)) ++errors;
        if (pub.Verify(AsBytes("shared"), bad)) ++errors;
        if (key.Sign(AsBytes("shared")) != good) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(errors.load() == 0);
}

BOOST_AUTO_TEST_CASE(pem_matches_openssl_encoding) {
  const PrivateKey key = KeyFromSeedHex(Vectors()[0].secret);
  BOOST_TEST(key.ToPem() == kTest1PrivatePem);
  BOOST_TEST(key.public_key().ToPem() == kTest1PublicPem);
  // The PEM bodies are the RFC 8410 DER prefixes followed by the raw keys.
  BOOST_TEST(ToBase64(Hex(std::string("302e020100300506032b657004220420") + Vectors()[0].secret)) ==
             "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g");
  BOOST_TEST(ToBase64(Hex(std::string("302a300506032b6570032100") + Vectors()[0].public_key)) ==
             "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

BOOST_AUTO_TEST_CASE(pem_round_trip) {
  const PrivateKey key = PrivateKey::Generate();
  Result<PrivateKey> back = PrivateKey::FromPem(key.ToPem());
  BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  BOOST_TEST(back->public_key().raw() == key.public_key().raw());
  BOOST_TEST(back->Sign(AsBytes("m")) == key.Sign(AsBytes("m")));

  Result<PublicKey> pub = PublicKey::FromPem(key.public_key().ToPem());
  BOOST_REQUIRE_MESSAGE(pub.ok(), pub.status().ToString());
  BOOST_TEST(pub->raw() == key.public_key().raw());
  BOOST_TEST(pub->key_id() == key.public_key().key_id());
  BOOST_TEST(pub->Verify(AsBytes("m"), key.Sign(AsBytes("m"))));

  Result<PrivateKey> test1 = PrivateKey::FromPem(kTest1PrivatePem);
  BOOST_REQUIRE(test1.ok());
  BOOST_TEST(ToHex(test1->public_key().raw()) == Vectors()[0].public_key);
}

BOOST_AUTO_TEST_CASE(bad_pem_is_refused) {
  const std::string good_private = kTest1PrivatePem;
  const std::string good_public = kTest1PublicPem;
  std::string corrupt_private = good_private;
  corrupt_private[40] = '!';
  std::string truncated_public = good_public.substr(0, good_public.size() - 30);

  for (const std::string& bad : {std::string(), std::string("garbage"), corrupt_private,
                                 good_public, std::string(kEncryptedEd25519Pem),
                                 std::string("-----BEGIN PRIVATE KEY-----\n"
                                             "-----END PRIVATE KEY-----\n")}) {
    Result<PrivateKey> key = PrivateKey::FromPem(bad);
    BOOST_TEST(!key.ok());
    BOOST_TEST(key.status().rule() == "key.pem_invalid", key.status().ToString());
  }
  BOOST_TEST(PrivateKey::FromPem(kEncryptedEd25519Pem).status().message().find("encrypted") !=
             std::string::npos);
  for (const std::string& bad :
       {std::string(), std::string("garbage"), truncated_public, good_private}) {
    Result<PublicKey> key = PublicKey::FromPem(bad);
    BOOST_TEST(!key.ok());
    BOOST_TEST(key.status().rule() == "key.pem_invalid", key.status().ToString());
  }

  Result<PrivateKey> ec = PrivateKey::FromPem(kP256PrivatePem);
  BOOST_TEST(ec.status().rule() == "key.not_ed25519", ec.status().ToString());
  Result<PublicKey> x25519 = PublicKey::FromPem(kX25519PublicPem);
  BOOST_TEST(x25519.status().rule() == "key.not_ed25519", x25519.status().ToString());
}

BOOST_AUTO_TEST_CASE(save_and_load) {
  TempDir dir;
  const PrivateKey key = PrivateKey::Generate();
  const std::string priv_path = dir.File("signer.key");
  const std::string pub_path = dir.File("signer.pub");

  Status s = key.Save(priv_path);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  BOOST_TEST(FileMode(priv_path) == 0600u);
  s = key.public_key().Save(pub_path);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());

  Result<PrivateKey> loaded = PrivateKey::Load(priv_path);
  BOOST_REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
  BOOST_TEST(loaded->public_key().raw() == key.public_key().raw());
  BOOST_TEST(loaded->Sign(AsBytes("m")) == key.Sign(AsBytes("m")));

  Result<PublicKey> pub = PublicKey::Load(pub_path);
  BOOST_REQUIRE_MESSAGE(pub.ok(), pub.status().ToString());
  BOOST_TEST(pub->key_id() == key.public_key().key_id());
}

BOOST_AUTO_TEST_CASE(save_refuses_to_overwrite) {
  TempDir dir;
  const std::string path = dir.File("signer.key");
  const PrivateKey first = PrivateKey::Generate();
  BOOST_REQUIRE(first.Save(path).ok());
  const PrivateKey second = PrivateKey::Generate();
  Status s = second.Save(path);
  BOOST_TEST((s.code() == Status::Code::kConflict));
  BOOST_TEST(s.rule() == "key.file_exists", s.ToString());
  Result<PrivateKey> loaded = PrivateKey::Load(path);
  BOOST_REQUIRE(loaded.ok());
  BOOST_TEST(loaded->public_key().raw() == first.public_key().raw());

  const std::string pub_path = dir.File("signer.pub");
  BOOST_REQUIRE(first.public_key().Save(pub_path).ok());
  BOOST_TEST(second.public_key().Save(pub_path).rule() == "key.file_exists");
}

BOOST_AUTO_TEST_CASE(load_refuses_readable_private_key) {
  TempDir dir;
  const std::string path = dir.File("signer.key");
  BOOST_REQUIRE(PrivateKey::Generate().Save(path).ok());
  for (unsigned mode : {0644u, 0640u, 0604u, 0660u}) {
    BOOST_REQUIRE_EQUAL(::chmod(path.c_str(), mode), 0);
    Result<PrivateKey> key = PrivateKey::Load(path);
    BOOST_TEST(!key.ok());
    BOOST_TEST((key.status().code() == Status::Code::kInvalid));
    BOOST_TEST(key.status().rule() == "key.file_mode");
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", mode);
    const std::string& msg = key.status().message();
    BOOST_TEST(msg.find(path) != std::string::npos, msg);
    BOOST_TEST(msg.find(octal) != std::string::npos, msg);
    BOOST_TEST(msg.find("chmod 600") != std::string::npos, msg);
  }
  BOOST_REQUIRE_EQUAL(::chmod(path.c_str(), 0400), 0);
  BOOST_TEST(PrivateKey::Load(path).ok());
}

BOOST_AUTO_TEST_CASE(load_errors) {
  TempDir dir;
  Result<PrivateKey> missing = PrivateKey::Load(dir.File("missing.key"));
  BOOST_TEST(!missing.ok());
  BOOST_TEST((missing.status().code() == Status::Code::kNotFound));
  BOOST_TEST(!PublicKey::Load(dir.File("missing.pub")).ok());

  const std::string garbage = dir.File("garbage.key");
  WriteFile(garbage, "not a key\n");
  BOOST_REQUIRE_EQUAL(::chmod(garbage.c_str(), 0600), 0);
  Result<PrivateKey> bad = PrivateKey::Load(garbage);
  BOOST_TEST(bad.status().rule() == "key.pem_invalid", bad.status().ToString());
  BOOST_TEST(bad.status().message().find(garbage) != std::string::npos);
  BOOST_TEST(PublicKey::Load(garbage).status().rule() == "key.pem_invalid");

  const std::string ec = dir.File("ec.key");
  WriteFile(ec, kP256PrivatePem);
  BOOST_REQUIRE_EQUAL(::chmod(ec.c_str(), 0600), 0);
  BOOST_TEST(PrivateKey::Load(ec).status().rule() == "key.not_ed25519");

  // A directory is not a key file.
  Result<PublicKey> directory = PublicKey::Load(dir.File(""));
  BOOST_TEST(!directory.ok());
  BOOST_TEST(directory.status().rule() == "key.file_unreadable", directory.status().ToString());

  BOOST_TEST(
      (PrivateKey::Generate().Save(dir.File("no/such/dir.key")).code() == Status::Code::kIoError));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pl::crypto
