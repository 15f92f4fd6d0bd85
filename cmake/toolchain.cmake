# SPDX-License-Identifier: Apache-2.0
# Compiler launcher, warnings and sanitizers shared by every target.
find_program(MYNASIM_CCACHE ccache)
if(MYNASIM_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${MYNASIM_CCACHE}")
endif()

add_library(mynasim_options INTERFACE)
target_compile_options(mynasim_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
option(MYNASIM_WERROR "Treat compiler warnings as errors (CI)" OFF)
if(MYNASIM_WERROR)
  target_compile_options(mynasim_options INTERFACE -Werror)
endif()
# Boost.Asio spawns many coroutine frames; keep the debug build usable.
target_compile_definitions(mynasim_options INTERFACE BOOST_ASIO_NO_DEPRECATED
  # Failed Boost assertions (builds without NDEBUG) go to simulator/core/boost_assert.cpp (one known-false one in Beast).
  BOOST_ENABLE_ASSERT_DEBUG_HANDLER)

if(MYNASIM_FUZZ)
  # Instrument the parsers for libFuzzer; each fuzz target links the fuzzer's main.
  set(_fuzz -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g)
  target_compile_options(mynasim_options INTERFACE ${_fuzz})
  target_link_options(mynasim_options INTERFACE -fsanitize=address,undefined)
elseif(MYNASIM_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(mynasim_options INTERFACE ${_san})
  target_link_options(mynasim_options INTERFACE ${_san})
endif()
