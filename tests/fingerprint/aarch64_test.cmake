# ctest fingerprint.aarch64: cross-builds the fingerprint subset for aarch64
# (tests/fingerprint/aarch64 with cmake/aarch64-toolchain.cmake), runs its numeric fingerprint twice
# under qemu-aarch64 and checks: same layout (bit count) as the native measurement, bit-exact across
# the two emulated processes, and different from the native bits.
# Skips (prints "SKIP:") when the cross compiler or qemu-aarch64 is missing; fails instead under CI.
# cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DNATIVE_CLI=<hwlock> -DJSON_INCLUDE=... [-DWERROR=ON]
#       -P aarch64_test.cmake
if(NOT DEFINED WERROR)
  set(WERROR OFF)
endif()
foreach(v SOURCE_DIR BUILD_DIR NATIVE_CLI JSON_INCLUDE)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "aarch64_test.cmake: -D${v}=... is required")
  endif()
endforeach()

find_program(CROSS_CXX aarch64-linux-gnu-g++)
find_program(QEMU_AARCH64 qemu-aarch64)
if(NOT CROSS_CXX OR NOT QEMU_AARCH64 OR NOT EXISTS /usr/aarch64-linux-gnu/lib)
  if("$ENV{CI}" STREQUAL "true")
    message(FATAL_ERROR "missing dependency under CI: aarch64-linux-gnu-g++ or qemu-aarch64")
  endif()
  message("SKIP: aarch64-linux-gnu-g++ or qemu-aarch64 missing (scripts/install-deps.sh test)")
  return()
endif()

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/fingerprint/aarch64 -B ${BUILD_DIR} -G Ninja
          -DCMAKE_BUILD_TYPE=RelWithDebInfo
          -DCMAKE_TOOLCHAIN_FILE=${SOURCE_DIR}/cmake/aarch64-toolchain.cmake
          -DHWLOCK_SOURCE_DIR=${SOURCE_DIR} -DHWLOCK_JSON_INCLUDE=${JSON_INCLUDE}
          -DHWLOCK_WERROR=${WERROR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the aarch64 build failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} -j2
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the aarch64 fingerprint subset failed:\n${out}")
endif()

# Runs a fingerprint command; sets <prefix>_BITS (count) and <prefix>_HEX (first run's bits).
function(measure prefix)
  execute_process(COMMAND ${ARGN} fingerprint --source numeric --json --show-bits
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (exit ${rc}):\n${out}\n${err}")
  endif()
  string(JSON ok GET "${out}" ok)
  string(JSON bits GET "${out}" bits)
  string(JSON hex GET "${out}" runs 0 bits_hex)
  if(NOT ok OR bits LESS 100)
    message(FATAL_ERROR "${ARGN}: unexpected output:\n${out}")
  endif()
  set(${prefix}_BITS ${bits} PARENT_SCOPE)
  set(${prefix}_HEX ${hex} PARENT_SCOPE)
endfunction()

set(emu ${QEMU_AARCH64} -L /usr/aarch64-linux-gnu ${BUILD_DIR}/fingerprint_json)
measure(ARM1 ${emu})
measure(ARM2 ${emu})
measure(NATIVE ${NATIVE_CLI})
message("native:  ${NATIVE_BITS} bits, ${NATIVE_HEX}")
message("aarch64: ${ARM1_BITS} bits, ${ARM1_HEX}")
if(NOT ARM1_BITS EQUAL NATIVE_BITS)
  message(FATAL_ERROR "layouts differ: aarch64 ${ARM1_BITS} bits, native ${NATIVE_BITS}")
endif()
if(NOT ARM1_HEX STREQUAL ARM2_HEX)
  message(FATAL_ERROR "aarch64 numeric fingerprint differs between two processes")
endif()
if(ARM1_HEX STREQUAL NATIVE_HEX)
  message(FATAL_ERROR "aarch64 (qemu) numeric fingerprint equals the native x86-64 one")
endif()
message("PASS: aarch64 numeric fingerprint is stable and differs from native")
