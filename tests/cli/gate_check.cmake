# The regression gate end to end: writes a baseline and a current output of
# `spsim COMMAND` (BASE_ARGS, CURRENT_ARGS: ;-lists; OUTPUT: the flag that
# writes the output file, e.g. --json), compares them with `spsim compare`
# (COMPARE_ARGS), and checks the exit code (EXPECT_RC) and that stdout or
# stderr holds EXPECT_TEXT. WORK: a scratch folder.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
foreach(side BASE CURRENT)
  execute_process(COMMAND ${EXE} ${COMMAND} ${${side}_ARGS} ${OUTPUT} ${WORK}/${side}${SUFFIX}
    OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "spsim ${COMMAND} ${${side}_ARGS}: exit code ${rc}: ${err}")
  endif()
endforeach()
execute_process(COMMAND ${EXE} compare ${WORK}/BASE${SUFFIX} ${WORK}/CURRENT${SUFFIX} ${COMPARE_ARGS}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "spsim compare: exit code ${rc}, expected ${EXPECT_RC}: ${out} ${err}")
endif()
string(FIND "${out}${err}" "${EXPECT_TEXT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "spsim compare: the output lacks '${EXPECT_TEXT}': ${out} ${err}")
endif()
message(STATUS "${out}${err}")
