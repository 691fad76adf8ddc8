# araldo_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds a plugin the way araldo's own are built: a MODULE library named
# araldo-<name>.so, C++20, linked against the SDK (araldo::sdk). The ABI tag
# the loader checks is compiled in by ARALDO_PLUGIN() from the SDK headers.
# Shared by the source tree and the installed CMake package.
function(araldo_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "araldo_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE araldo::sdk ${ARG_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  if(TARGET araldo_options)
    target_link_libraries(${name} PRIVATE araldo_options)  # in-tree: warnings, sanitizers
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    if(DEFINED ARALDO_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIRECTORY "${ARALDO_PLUGIN_OUTPUT_DIR}")
    else()
      set(ARG_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/plugins")
    endif()
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "araldo-"
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}"
    # Installed next to libaraldo-sdk's folder: <prefix>/lib/araldo/plugins.
    INSTALL_RPATH "$ORIGIN/../..")
  set_property(GLOBAL APPEND PROPERTY ARALDO_PLUGINS ${name})
endfunction()
