// Byte strings and their text forms (lower-case hex, RFC 4648 base64).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pl {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string ToHex(ByteView bytes);
// Accepts upper or lower case; nullopt on odd length or a non-hex digit.
std::optional<Bytes> FromHex(std::string_view hex);

// Standard alphabet with '=' padding (RFC 4648 §4).
std::string ToBase64(ByteView bytes);
// Strict: requires canonical padding, rejects whitespace and stray characters.
std::optional<Bytes> FromBase64(std::string_view text);

}  // namespace pl
