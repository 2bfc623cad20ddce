// The workbench's exception edge: run libtorch code, turn what it throws into hwlock::Error.
#pragma once

#include <c10/util/Exception.h>

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "hwlock/error.hpp"

namespace hwlock::ml::detail {

// Calls `f` (returning Result<T> or Status); c10::Error and other exceptions become Errc::torch
// errors prefixed with `what`.
template <class F>
auto guard(std::string_view what, F&& f) noexcept -> std::invoke_result_t<F> {
  try {
    return f();
  } catch (const c10::Error& e) {
    return fail(Errc::torch, std::string(what) + ": libtorch: " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return fail(Errc::torch, std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return fail(Errc::torch, std::string(what) + ": " + e.what());
  }
}

}  // namespace hwlock::ml::detail
