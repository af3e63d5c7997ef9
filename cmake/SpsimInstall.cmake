# Install rules and a package config, so that `find_package(spsim)` gives
# spsim::program, spsim::strategies, ... to other projects.
include(CMakePackageConfigHelpers)

set(SPSIM_INSTALL_TARGETS spsim_program spsim_strategies spsim_validate)
install(TARGETS ${SPSIM_INSTALL_TARGETS} EXPORT spsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS spsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir sim topology costmodel strategies traces validate)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/spsim/${dir}
    FILES_MATCHING PATTERN "*.h")
endforeach()
install(EXPORT spsimTargets NAMESPACE spsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spsim)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/spsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/spsimConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spsim)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/spsimConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/spsimConfig.cmake ${PROJECT_BINARY_DIR}/spsimConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spsim)
