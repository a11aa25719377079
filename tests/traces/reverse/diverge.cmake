# A reverse replay that must fail (ctest trace/reverse/diverge): get-rg-info.yaml
# with the CPE's recorded GetParameterValuesResponse holding another serial
# number. The bridge's messages to the CPE stay the same; its answer to the
# HOMS must now differ, and replay must exit 1 saying where, what was expected,
# what came instead, with a diff (docs/traces.md, "Reverse traces").
#   cmake -DBRIDGE=exe -DTRACE=file -DMAPPINGS=dir -DWORK=dir -P diverge.cmake
foreach(v BRIDGE TRACE MAPPINGS WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "diverge.cmake: -D${v}= is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(READ ${TRACE} text)
set(recorded "<Name>InternetGatewayDevice.DeviceInfo.SerialNumber</Name><Value xsi:type=\"xsd:string\">8KA8WA6660000001</Value>")
string(FIND "${text}" "${recorded}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TRACE} no longer holds ${recorded}: adapt diverge.cmake")
endif()
string(REPLACE "${recorded}" "<Name>InternetGatewayDevice.DeviceInfo.SerialNumber</Name><Value xsi:type=\"xsd:string\">MUTATED-SN-42</Value>" text "${text}")
set(copy ${WORK}/mutated.yaml)
file(WRITE ${copy} "${text}")

execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${copy}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "a diverging trace must exit 1, exit status was ${rc}")
endif()
foreach(needle "FAIL " "step " "response to the HOMS differs" "expected:" "actual:" "--- expected" "+++ actual"
               "8KA8WA6660000001" "MUTATED-SN-42")
  string(FIND "${all}" "${needle}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "the divergence report lacks '${needle}'")
  endif()
endforeach()

# The unchanged trace passes from the same place: what failed is the mutation.
file(COPY_FILE ${TRACE} ${WORK}/original.yaml)
execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${WORK}/original.yaml RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the unmutated copy must replay, exit status was ${rc}")
endif()

# --update rewrites the mutated copy with what the bridge answers now, which then replays.
execute_process(COMMAND ${BRIDGE} replay --update --mapping-dir ${MAPPINGS} ${copy} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}" MATCHES "UPDATED")
  message(FATAL_ERROR "--update of the mutated copy: exit status ${rc}\n${out}${err}")
endif()
file(READ ${copy} updated)
string(FIND "${updated}" "<serialNumber>MUTATED-SN-42</serialNumber>" found)
if(found EQUAL -1)
  message(FATAL_ERROR "--update did not record the bridge's new answer to the HOMS")
endif()
execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${copy} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the updated copy must replay, exit status was ${rc}")
endif()
file(REMOVE_RECURSE ${WORK})
