# Runs `${EXE} ${ARGS}` (ARGS a ;-list) and checks it:
# - with GOLDEN: exit code 0 and stdout equal to the file GOLDEN byte for byte
#   (on a difference the output is written to OUT: diff them; after an
#   intended change, overwrite the golden with it);
# - with EXPECT_RC and EXPECT_STDERR: that exit code, and stderr containing
#   that text.
execute_process(COMMAND ${EXE} ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(DEFINED GOLDEN)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit code ${rc}: ${err}")
  endif()
  file(READ ${GOLDEN} expected)
  if(NOT out STREQUAL expected)
    file(WRITE ${OUT} "${out}")
    message(FATAL_ERROR "output differs from ${GOLDEN}; got ${OUT} (diff them)")
  endif()
else()
  if(NOT rc EQUAL EXPECT_RC)
    message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}; stderr: ${err}")
  endif()
  string(FIND "${err}" "${EXPECT_STDERR}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks '${EXPECT_STDERR}': ${err}")
  endif()
endif()
