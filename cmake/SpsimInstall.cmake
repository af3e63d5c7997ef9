# Install rules and a package config, so that `find_package(spsim)` gives
# spsim::program, spsim::strategies, spsim::sim, ... to other projects
# (tests/package/ builds such a consumer against an installed tree).
include(CMakePackageConfigHelpers)

set(SPSIM_INSTALL_TARGETS spsim_program spsim_topology spsim_costmodel spsim_sim spsim_strategies spsim_stream spsim_traces
  spsim_validate spsim_planner spsim_cli)
foreach(target ${SPSIM_INSTALL_TARGETS})
  # Exported as spsim::<name>, the same names as the in-tree aliases.
  string(REPLACE "spsim_" "" export_name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
install(TARGETS ${SPSIM_INSTALL_TARGETS} EXPORT spsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS spsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir program sim topology costmodel strategies stream traces validate planner tools)
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
