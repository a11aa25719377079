# A trace carries the cmp.reuse_answers_ms it was recorded with, and replay
# uses it (docs/traces.md): the same recording replayed with another window
# makes other CMP calls, which must be a divergence, not a pass.
#   cmake -DBRIDGE=exe -DTRACE=file -DOLD_TRACE=file -DMAPPINGS=dir -DWORK=dir -P reuse-diverge.cmake
# TRACE was recorded with the window on, OLD_TRACE without it.
foreach(v BRIDGE TRACE OLD_TRACE MAPPINGS WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "reuse-diverge.cmake: -D${v}= is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(replay file expected_rc needles)
  execute_process(COMMAND ${BRIDGE} replay --mapping-dir ${MAPPINGS} ${file}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL ${expected_rc})
    message(FATAL_ERROR "${file}: replay exit status ${rc}, expected ${expected_rc}")
  endif()
  foreach(needle ${needles})
    string(FIND "${out}${err}" "${needle}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "${file}: the report lacks '${needle}'")
    endif()
  endforeach()
endfunction()

set(window "cmp: {reuse_answers_ms: 2000}\n")
file(READ ${TRACE} text)
string(FIND "${text}" "${window}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TRACE} no longer holds '${window}': adapt reuse-diverge.cmake")
endif()

# As recorded: passes.
file(WRITE ${WORK}/as-recorded.yaml "${text}")
replay(${WORK}/as-recorded.yaml 0 "PASS ")

# Window 0, or no window at all (a trace from before it existed): the GPV's
# getRgInfo now reaches the gateway, and the recording has no answer for it.
string(REPLACE "${window}" "cmp: {reuse_answers_ms: 0}\n" zero "${text}")
file(WRITE ${WORK}/window-zero.yaml "${zero}")
replay(${WORK}/window-zero.yaml 1 "FAIL ;the bridge's CMP call differs;getRgInfo")
string(REPLACE "${window}" "" absent "${text}")
file(WRITE ${WORK}/window-absent.yaml "${absent}")
replay(${WORK}/window-absent.yaml 1 "FAIL ;the bridge's CMP call differs;getRgInfo")

# The other way: a trace recorded without the window, replayed with it, skips
# a getRgInfo the recording has.
file(READ ${OLD_TRACE} old)
string(FIND "${old}" "reuse_answers_ms" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "${OLD_TRACE} was meant to be recorded without the window")
endif()
string(REPLACE "\nevents: " "\n${window}events: " with_window "${old}")
file(WRITE ${WORK}/old-with-window.yaml "${with_window}")
replay(${WORK}/old-with-window.yaml 1 "FAIL ;where the trace has the CMP call getRgInfo")
