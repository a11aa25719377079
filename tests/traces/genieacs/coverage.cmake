# Every GenieACS capture in ../shared/traces must have its trace here
# (ctest trace/genieacs-coverage): a capture named in convert.sh whose trace
# was never generated (session2 was, for a while) replays nowhere and proves
# nothing. The capture genieacs-<version>-<name> becomes genieacs/<name>.yaml.
#   cmake -DCAPTURES=dir -DHERE=dir -P coverage.cmake
# CI always has ../shared: a missing folder fails, unless BRIDGE_ALLOW_MISSING_SHARED=1
# (docs/testing.md) makes it a skip (SKIPPED: is ctest's SKIP_REGULAR_EXPRESSION).
if(NOT IS_DIRECTORY ${CAPTURES})
  if("$ENV{BRIDGE_ALLOW_MISSING_SHARED}" STREQUAL "1")
    message("SKIPPED (BRIDGE_ALLOW_MISSING_SHARED=1): ${CAPTURES} is absent (the shared reference material)")
    return()
  endif()
  message(FATAL_ERROR "${CAPTURES} is absent (the shared reference material): the coverage check cannot run "
                      "(set BRIDGE_ALLOW_MISSING_SHARED=1 to skip it, docs/testing.md)")
endif()
file(GLOB captures LIST_DIRECTORIES true ${CAPTURES}/genieacs-*)
if(NOT captures)
  message(FATAL_ERROR "no genieacs-* capture in ${CAPTURES}")
endif()
file(READ ${HERE}/convert.sh script)
set(missing "")
foreach(c ${captures})
  get_filename_component(dir ${c} NAME)
  string(REGEX REPLACE "^genieacs-[0-9.]+-" "" name ${dir})
  string(FIND "${script}" "${dir}" in_script)
  if(NOT EXISTS ${HERE}/${name}.yaml OR in_script EQUAL -1)
    list(APPEND missing "${dir} -> genieacs/${name}.yaml")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "captures without a trace (add them to convert.sh and run it):\n  ${text}")
endif()
list(LENGTH captures n)
message("${n} GenieACS captures, each with its trace")
