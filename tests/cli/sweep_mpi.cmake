# `mpirun -np 2 spsim sweep ARGS` (ARGS a ;-list) writes the bytes one
# process writes: the same CSV and JSON lines. MPIEXEC: the MPI launcher;
# WORK: a scratch folder. Open MPI runs as root here only when told to, and
# in containers without cross-memory attach only without single-copy.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
set(ENV{OMPI_MCA_btl_vader_single_copy_mechanism} none)
set(ENV{OMPI_MCA_rmaps_base_oversubscribe} 1)
execute_process(COMMAND ${EXE} sweep ${ARGS} --jobs 1 --csv ${WORK}/serial.csv --jsonl ${WORK}/serial.jsonl
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "spsim sweep: exit code ${rc}: ${err}")
endif()
execute_process(COMMAND ${MPIEXEC} -np 2 ${EXE} sweep ${ARGS} --csv ${WORK}/mpi.csv --jsonl ${WORK}/mpi.jsonl
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mpirun -np 2 spsim sweep: exit code ${rc}: ${err}")
endif()
# Rank 0 alone reports what it wrote.
string(REGEX MATCHALL "CSV written to" said "${out}")
list(LENGTH said n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected rank 0 alone to write; stdout: ${out}")
endif()
foreach(ext csv jsonl)
  file(READ ${WORK}/serial.${ext} a)
  file(READ ${WORK}/mpi.${ext} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "mpirun -np 2 wrote other bytes than one process (${WORK}/serial.${ext}, ${WORK}/mpi.${ext})")
  endif()
endforeach()
# --shard under mpirun is refused (two ways of splitting one sweep).
execute_process(COMMAND ${MPIEXEC} -np 2 ${EXE} sweep ${ARGS} --shard 1/2 --jsonl ${WORK}/x.jsonl
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
string(FIND "${err}" "--shard: mpirun splits the sweep over its ranks already" at)
if(rc EQUAL 0 OR at EQUAL -1)
  message(FATAL_ERROR "mpirun with --shard: exit code ${rc}, stderr: ${err}")
endif()
file(STRINGS ${WORK}/serial.csv lines)
list(LENGTH lines n)
message(STATUS "mpirun -np 2 and one process: the same ${n} CSV lines and JSON lines")
