# araldo_add_plugin(<name> SOURCES <src>... [PARTS <src>...] [LIBRARIES <lib>...])
#
# Builds a plugin the way araldo's own are built: a MODULE library named
# araldo-<name>.so, C++20, linked against the SDK (araldo::sdk). The ABI tag
# the loader checks is compiled in by ARALDO_PLUGIN() from the SDK headers.
# Shared by the source tree and the installed CMake package.
#
# PARTS: sources also compiled into an object library <name>-parts (with the
# plugin's folder on its include path and LIBRARIES as usage requirements), so
# that unit tests link the plugin's code as built rather than list its files.
# SOURCES then holds what only the .so has: the ARALDO_PLUGIN() descriptor.
function(araldo_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;PARTS;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "araldo_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE araldo::sdk ${ARG_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  if(TARGET araldo_options)
    target_link_libraries(${name} PRIVATE araldo_options)  # in-tree: warnings, sanitizers
  endif()
  if(ARG_PARTS)
    add_library(${name}-parts OBJECT ${ARG_PARTS})
    target_include_directories(${name}-parts PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${name}-parts PUBLIC araldo::sdk ${ARG_LIBRARIES})
    target_compile_features(${name}-parts PUBLIC cxx_std_20)
    set_target_properties(${name}-parts PROPERTIES POSITION_INDEPENDENT_CODE ON)
    if(TARGET araldo_options)
      target_link_libraries(${name}-parts PRIVATE araldo_options)
    endif()
    target_link_libraries(${name} PRIVATE ${name}-parts)
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
