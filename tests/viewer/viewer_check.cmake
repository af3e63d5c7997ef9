# Writes the Chrome trace of every strategy (spsim run ARGS --trace-dir) and
# spsim stream's, loads each in Chrome DevTools' trace engine
# (check_trace.mjs, under node) and checks it as speedscope imports traces
# (check_speedscope.mjs).
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${EXE} run ${ARGS} --trace-dir ${WORK} OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "spsim run: exit code ${rc}: ${err}")
endif()
if(NOT EXISTS ${SOURCE}/node_modules/@paulirish/trace_engine)
  message(FATAL_ERROR "the DevTools trace engine is not installed in ${SOURCE}/node_modules: run scripts/install-deps.sh")
endif()
# And spsim stream's trace of passes (every policy, a source arriving at 20 tokens/s).
execute_process(COMMAND ${EXE} stream --src-len 12 --rate 20 --trace ${WORK}/stream.json OUTPUT_QUIET
  ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "spsim stream: exit code ${rc}: ${err}")
endif()
file(GLOB traces ${WORK}/*.json)
list(LENGTH traces n)
if(n LESS 2)
  message(FATAL_ERROR "spsim run --trace-dir wrote ${n} traces")
endif()
execute_process(COMMAND ${NODE} ${SOURCE}/check_trace.mjs ${traces} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "DevTools' trace engine does not show the traces as written: ${out} ${err}")
endif()
execute_process(COMMAND ${NODE} ${SOURCE}/check_speedscope.mjs ${traces} OUTPUT_VARIABLE out ERROR_VARIABLE err
  RESULT_VARIABLE rc)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "speedscope would not show the traces as written: ${out} ${err}")
endif()
