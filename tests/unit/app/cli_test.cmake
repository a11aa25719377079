# cmake -DBRIDGE=cmp-cwmp-bridge -DSRC=<source dir> -DWORK=<scratch dir> -P cli_test.cmake
# The command line as docs/operations.md promises it: exit statuses 0 ok, 1
# failure, 2 usage (never CLI11's 105-115), global options on either side of
# the subcommand, --version/version, `check`, and validate's json/junit output.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(failures "")

# expect(<status> <stdout/stderr substring or "-"> args...)
function(expect rc text)
  execute_process(COMMAND ${BRIDGE} ${ARGN} WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE got OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
  if(NOT got STREQUAL "${rc}")
    set(failures "${failures}\n  `${ARGN}`: exit status ${got}, expected ${rc}\n    stdout: ${out}\n    stderr: ${err}" PARENT_SCOPE)
    return()
  endif()
  if(NOT text STREQUAL "-")
    string(FIND "${out}${err}" "${text}" at)
    if(at EQUAL -1)
      set(failures "${failures}\n  `${ARGN}`: no '${text}' in\n    stdout: ${out}\n    stderr: ${err}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

set(good ${SRC}/mappings/tr098.yaml)
file(WRITE ${WORK}/bad.yaml "model: InternetGatewayDevice:1.4\nobjects: {}\nbogus: 1\n")

# Version and usage.
expect(0 "cmp-cwmp-bridge " --version)
expect(0 "built with Boost" version)
if(MIMALLOC)
  expect(0 "allocator: mimalloc 2." version)
  expect(0 "(malloc redirected)" version)  # linked, and its malloc is the one in use
endif()
expect(0 "validate" --help)
expect(2 "subcommand is required")
expect(2 "-" nosuchcommand)
expect(2 "--config is required" run)                  # CLI11: 106
expect(2 "-"                    validate)             # CLI11: 106 (the positional)
expect(2 "--nope"               validate --nope ${good})  # CLI11: 109
expect(2 "not in"               --log-level loud validate ${good})
expect(2 "not in"               validate --format xml ${good})
expect(2 "Directory does not exist" --datamodels ${WORK}/none validate ${good})
# Global options before and after the subcommand.
expect(0 "ok ("                 --log-level warn validate ${good})
expect(0 "ok ("                 validate ${good} --log-level warn --log-format json)
expect(0 "ok ("                 validate --log-format journal ${good})
# --datamodels (or BRIDGE_DATAMODELS) is searched first: a model file only it holds is found.
file(READ ${SRC}/mappings/tr106.yaml site)
string(REPLACE "datamodel: Device-1.3.dm" "datamodel: Site-1.3.dm" site "${site}")
file(WRITE ${WORK}/site.yaml "${site}")
file(MAKE_DIRECTORY ${WORK}/models)
file(COPY_FILE ${SRC}/datamodels/Device-1.3.dm ${WORK}/models/Site-1.3.dm)
expect(1 "no data model file 'Site-1.3.dm'" validate site.yaml)
expect(0 "site.yaml: ok ("      validate site.yaml --datamodels models)
set(ENV{BRIDGE_DATAMODELS} ${WORK}/models)
expect(0 "site.yaml: ok ("      validate site.yaml)
unset(ENV{BRIDGE_DATAMODELS})
# Failures are 1.
expect(1 "bad.yaml:3:1: unknown key 'bogus'" validate bad.yaml)
expect(1 "no such configuration file" check -c ${WORK}/absent.yaml)

# check: the whole configuration and the tables it names, nothing started.
file(WRITE ${WORK}/gw-secret "s3cret\n")
set(cfg "acs: { url: \"http://127.0.0.1:7547/\", username: u, password: \"\${BRIDGE_CLI_TEST_PW}\" }
connection_request: { listen: \"127.0.0.1:0\" }
cmp: { listen: \"127.0.0.1:0\" }
state_dir: ${WORK}/state
defaults: { mapping: ${good}, secret_file: gw-secret }
gateways:
  - { id: GW-0001, url: \"http://127.0.0.1:9/cmp/GW-0001\" }
")
file(WRITE ${WORK}/bridge.yaml "${cfg}")
expect(1 "bridge.yaml:1:62: acs.password: environment variable BRIDGE_CLI_TEST_PW is not set" check -c bridge.yaml)
set(ENV{BRIDGE_CLI_TEST_PW} "pw")
expect(0 "bridge.yaml: ok (1 gateways, 1 mapping tables)" check -c bridge.yaml)
if(EXISTS ${WORK}/state)
  list(APPEND failures "\n  check created state_dir: it must not write anything")
endif()
string(REPLACE "  - { id: GW-0001" "  - { mapping: bad.yaml, id: GW-0001" cfg_bad "${cfg}")
file(WRITE ${WORK}/bridge-bad-table.yaml "${cfg_bad}")
expect(1 "bad.yaml:3:1: unknown key 'bogus'" check -c bridge-bad-table.yaml)

# Machine-readable output.
expect(1 "\"file\":\"bad.yaml\",\"line\":3,\"column\":1,\"message\":\"unknown key 'bogus'" validate --format json ${good} bad.yaml)
expect(1 "<testsuite name=\"cmp-cwmp-bridge validate\" tests=\"2\" failures=\"1\"" validate --format junit ${good} bad.yaml)
# A trace that cannot be replayed: status 2, a JUnit <error>, the JSON "error" status.
file(WRITE ${WORK}/broken-trace.yaml "not: [a trace\n")
expect(2 "<error message=" replay --format junit broken-trace.yaml)
expect(2 "\"file\":\"broken-trace.yaml\",\"status\":\"error\"" replay broken-trace.yaml --format json)
execute_process(COMMAND ${BRIDGE} validate --format junit ${good} bad.yaml WORKING_DIRECTORY ${WORK}
                OUTPUT_FILE ${WORK}/junit.xml)
execute_process(COMMAND xmllint --noout ${WORK}/junit.xml RESULT_VARIABLE wf ERROR_VARIABLE wf_err)
if(NOT wf EQUAL 0)
  list(APPEND failures "\n  validate --format junit is not well-formed XML: ${wf_err}")
endif()

if(failures)
  message(FATAL_ERROR "command line:${failures}")
endif()
message("command line as documented")
