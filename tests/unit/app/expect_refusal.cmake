# cmake -DBRIDGE=cmp-cwmp-bridge -DCONFIG=path -DEXPECT=text -P expect_refusal.cmake
# Passes only when `run -c CONFIG` exits with status 1 (not a signal: an
# uncaught exception aborts) and its stderr is "error: ..." containing EXPECT.
execute_process(COMMAND ${BRIDGE} run -c ${CONFIG}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "run -c ${CONFIG}: expected exit status 1, got '${rc}'\nstdout: ${out}\nstderr: ${err}")
endif()
string(FIND "${err}" "${EXPECT}" at)
if(NOT err MATCHES "^error: " OR at EQUAL -1)
  message(FATAL_ERROR "run -c ${CONFIG}: expected 'error: ...${EXPECT}...' on stderr, got:\n${err}")
endif()
message("refused as expected: ${err}")
