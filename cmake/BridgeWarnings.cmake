# Common compile options for every target of the project.
add_library(bridge_options INTERFACE)
target_compile_options(bridge_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
target_include_directories(bridge_options INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(bridge_options INTERFACE
  BRIDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# Long fuzzing (scripts/fuzz.sh, clang only): coverage instrumentation for
# every library the fuzz targets link; the targets add -fsanitize=fuzzer.
option(BRIDGE_LIBFUZZER "instrument for libFuzzer and link tests/fuzz targets with it (clang)" OFF)
if(BRIDGE_LIBFUZZER)
  target_compile_options(bridge_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(BRIDGE_SANITIZE)
  target_compile_options(bridge_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(bridge_options INTERFACE -fsanitize=address,undefined)
endif()

# bridge_add_library(name SOURCES ... DEPS ...): a static library of one layer.
function(bridge_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_link_libraries(${name} PUBLIC bridge_options ${A_DEPS})
endfunction()

# bridge_add_test(name SOURCES ... DEPS ...): a doctest executable registered with ctest.
# Tests run from the project root so that ../shared resolves as in the docs.
# doctest's main is compiled once for every test program (it is a heavy TU).
function(bridge_doctest_main)
  if(NOT TARGET bridge_doctest_main)
    add_library(bridge_doctest_main STATIC ${PROJECT_SOURCE_DIR}/tests/unit/doctest_main.cpp)
    target_link_libraries(bridge_doctest_main PUBLIC bridge_options doctest::doctest)
  endif()
endfunction()

function(bridge_add_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  bridge_doctest_main()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE bridge_options bridge_doctest_main ${A_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(A_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}")
  endif()
endfunction()
