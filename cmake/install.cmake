include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS hwlock_lib EXPORT hwlockTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hwlock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN ml EXCLUDE)  # workbench headers need libtorch; the installed library is the runtime
install(EXPORT hwlockTargets NAMESPACE hwlock:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hwlock)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hwlockConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hwlockConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hwlock)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hwlockConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hwlockConfig.cmake ${PROJECT_BINARY_DIR}/hwlockConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hwlock)
# Device profiles (hwlock/profile.hpp looks in <prefix>/share/hwlock/profiles).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/profiles/ DESTINATION ${CMAKE_INSTALL_DATADIR}/hwlock/profiles
        FILES_MATCHING PATTERN "*.json" PATTERN "README.md")
