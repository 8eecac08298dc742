// Typed errors thrown by nativedl. The Python bindings map them to ValueError,
// TypeError, IndexError and RuntimeError. Messages start with the op's name in brackets.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace nd {

/// Base of every nativedl error; maps to RuntimeError.
struct Error : std::runtime_error { using std::runtime_error::runtime_error; };
/// A bad argument value or shape; maps to ValueError.
struct ValueError : Error { using Error::Error; };
/// A bad dtype or argument type; maps to TypeError.
struct TypeError : Error { using Error::Error; };
/// An index or dim out of range; maps to IndexError.
struct IndexError : Error { using Error::Error; };

namespace detail {
template <typename... Args> std::string cat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
}  // namespace detail

}  // namespace nd

/// Throws `kind` with the message built from the remaining arguments when cond is false.
#define ND_CHECK(cond, kind, ...) \
  do { if (!(cond)) throw ::nd::kind(::nd::detail::cat(__VA_ARGS__)); } while (0)
