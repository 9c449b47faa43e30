# Runs COMMAND (a ;-list) with ENV (a ;-list of NAME=VALUE) and checks its exit code and that its
# output matches EXPECT. Used for start-up checks such as "a bad config value names the variable".
execute_process(COMMAND ${CMAKE_COMMAND} -E env ${ENV} ${COMMAND}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
if(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXIT}\nstdout: ${out}\nstderr: ${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match '${EXPECT}'\nstdout: ${out}\nstderr: ${err}")
endif()
