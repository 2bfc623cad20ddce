# Fuzzy extractor: reproduction latency (decode + tag check + key derivation) per parameter set.
add_executable(bench_fuzzy ${CMAKE_CURRENT_LIST_DIR}/bench_fuzzy.cpp)
target_link_libraries(bench_fuzzy PRIVATE hwlock::hwlock hwlock_flags)
