# The Debian package (cpack -G DEB; scripts/package builds it from a Release
# tree). Included only with ARALDO_PACKAGE or ARALDO_BUILD_TESTS: its install
# rules are EXCLUDE_FROM_ALL, so `cmake --install` of a plain build (the SDK
# tests' prefix) never writes to /etc or /lib/systemd.
#
# The package holds what `cmake --install` installs (binary, SDK library,
# plugins, headers, CMake package, web client), plus, in component "system":
# the unit, the docs and /etc/araldo/araldo.yaml as a conffile.
set(ARALDO_PACKAGE_COMPONENT system)
# cpack installs what is built; it does not build `all` first (tests, fuzz
# helpers): scripts/package builds the tree before packing, and the package
# test runs after scripts/test has built it.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(FILES packaging/araldo.service DESTINATION /lib/systemd/system
  COMPONENT ${ARALDO_PACKAGE_COMPONENT} EXCLUDE_FROM_ALL)

# The docs keep the repository's layout, so their relative links still lead
# somewhere: docs/*.md link to ../plugins/<name>/README.md.
set(doc_dir ${CMAKE_INSTALL_DATADIR}/doc/araldo)
install(FILES README.md DESTINATION ${doc_dir} COMPONENT ${ARALDO_PACKAGE_COMPONENT} EXCLUDE_FROM_ALL)
install(DIRECTORY docs/ DESTINATION ${doc_dir}/docs COMPONENT ${ARALDO_PACKAGE_COMPONENT} EXCLUDE_FROM_ALL)
file(GLOB plugin_readmes RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/plugins/*/README.md)
foreach(readme IN LISTS plugin_readmes)
  get_filename_component(folder ${readme} DIRECTORY)
  install(FILES ${readme} DESTINATION ${doc_dir}/${folder} COMPONENT ${ARALDO_PACKAGE_COMPONENT} EXCLUDE_FROM_ALL)
endforeach()

# /etc/araldo/araldo.yaml: `araldo init`'s own text (one source for both),
# with data-dir at the unit's StateDirectory. Written by the built binary at
# install time, so the package never carries a stale copy.
install(CODE "
  set(etc \"\$ENV{DESTDIR}/etc/araldo\")
  file(MAKE_DIRECTORY \"\${etc}\")
  execute_process(COMMAND \"$<TARGET_FILE:araldo>\" init --force --data-dir /var/lib/araldo \"\${etc}/araldo.yaml\"
    RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR \"araldo init failed (\${rc}): no /etc/araldo/araldo.yaml for the package\")
  endif()
" COMPONENT ${ARALDO_PACKAGE_COMPONENT} EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME araldo)
set(CPACK_PACKAGE_VENDOR "araldo")
set(CPACK_PACKAGE_CONTACT "araldo maintainers <araldo@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "message relay: WebSocket, Redis, HTTP, webhooks, files")
set(CPACK_PACKAGE_DESCRIPTION "araldo routes messages between endpoints (WebSocket clients, Redis channels,
HTTP requests, signed webhooks, files) as its YAML configuration says. One
process, one thread; endpoints and marshallers are plugins.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
# One package holding the default install and the system files.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified ${ARALDO_PACKAGE_COMPONENT})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libaraldo-sdk.so is the package's own: dpkg-shlibdeps finds it here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_BINARY_DIR}/sdk")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
