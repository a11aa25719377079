# A replay that must fail (ctest trace/diverge): a corpus trace whose recorded
# gateway answers a different serial number than the bridge's recorded
# GetParameterValuesResponse. Proves, with the real executable, that a
# divergence exits 1 and says where, what was expected, what came instead and
# shows a diff (docs/traces.md, "Replay"); a replay that passed anything would
# fail this test.
#   cmake -DBRIDGE=exe -DTRACE=file -DMAPPINGS=dir -DWORK=dir -P diverge.cmake
foreach(v BRIDGE TRACE MAPPINGS WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "diverge.cmake: -D${v}= is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(READ ${TRACE} text)
set(recorded "<serialNumber>8KA8WA6660000001")
string(FIND "${text}" "${recorded}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TRACE} no longer holds ${recorded}: adapt diverge.cmake")
endif()
# Every recorded answer of the gateway changes; the bridge's messages stay.
string(REPLACE "${recorded}" "<serialNumber>MUTATED-SN-42" text "${text}")
set(copy ${WORK}/mutated.yaml)
file(WRITE ${copy} "${text}")

execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${copy}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "a diverging trace must exit 1, exit status was ${rc}")
endif()
foreach(needle "FAIL " "step " "expected:" "actual:" "--- expected" "+++ actual"
               "-  " "+  " "8KA8WA6660000001" "MUTATED-SN-42")
  string(FIND "${all}" "${needle}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "the divergence report lacks '${needle}'")
  endif()
endforeach()

# The unchanged trace still passes from the same place: what failed above is
# the mutation, not the copy.
file(COPY_FILE ${TRACE} ${WORK}/original.yaml)
execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${WORK}/original.yaml RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the unmutated copy must replay, exit status was ${rc}")
endif()

# Both at once, after a --mapping-dir (which once took every trace after it
# for a folder): one divergence makes the whole run fail, and both are counted.
execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${WORK}/original.yaml ${copy}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT "${out}${err}" MATCHES "2 traces: 1 passed, 1 diverged")
  message(FATAL_ERROR "two traces, one diverging: exit status ${rc}\n${out}${err}")
endif()
file(REMOVE_RECURSE ${WORK})
