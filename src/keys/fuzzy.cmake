# Fuzzy extractor: BCH + repetition code, code-offset helper data, parameter selection.
target_sources(hwlock_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/gf2m.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/concatenated_code.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzzy_params.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzzy_entropy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzzy_helper.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuzzy_extractor.cpp)
