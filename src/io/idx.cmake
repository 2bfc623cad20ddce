target_sources(hwlock_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/idx_reader.cpp)
