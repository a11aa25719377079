# Every GenieACS capture in ../shared/traces must have its trace here
# (ctest trace/genieacs-coverage): a capture named in convert.sh whose trace
# was never generated (session2 was, for a while) replays nowhere and proves
# nothing. The capture genieacs-<version>-<name> becomes genieacs/<name>.yaml.
#   cmake -DCAPTURES=dir -DHERE=dir -P coverage.cmake
if(NOT IS_DIRECTORY ${CAPTURES})
  message("SKIPPED: ${CAPTURES} is absent (the shared reference material)")
  return()
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
