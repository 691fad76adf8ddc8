# `cmake --install`: the binary, libaraldo-sdk, the in-tree plugins, the SDK
# headers, web/, an example config and the CMake package for third parties.
include(CMakePackageConfigHelpers)

install(TARGETS araldo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS araldo-sdk EXPORT araldoTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/araldo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
get_property(araldo_plugins GLOBAL PROPERTY ARALDO_PLUGINS)
install(TARGETS ${araldo_plugins} LIBRARY DESTINATION ${ARALDO_INSTALL_PLUGINDIR})
install(DIRECTORY web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/araldo/web)
install(FILES araldo.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/araldo RENAME araldo.yaml.example)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/araldo)
install(EXPORT araldoTargets NAMESPACE araldo:: DESTINATION ${config_dir})
configure_package_config_file(cmake/araldoConfig.cmake.in ${CMAKE_BINARY_DIR}/araldoConfig.cmake
  INSTALL_DESTINATION ${config_dir}
  PATH_VARS ARALDO_INSTALL_PLUGINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/araldoConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/araldoConfig.cmake ${CMAKE_BINARY_DIR}/araldoConfigVersion.cmake
  cmake/araldo-plugin.cmake DESTINATION ${config_dir})
