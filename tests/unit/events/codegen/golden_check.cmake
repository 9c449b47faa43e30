# Golden test of shopmesh-codegen: generates code for every schema in GOLDEN_DIR into WORK_DIR and
# compares each output byte for byte with GOLDEN_DIR/<file name>.golden; the file sets must match.
#   cmake -DCODEGEN=<shopmesh-codegen> -DGOLDEN_DIR=<dir> -DWORK_DIR=<scratch dir> -P golden_check.cmake
# After an intended generator change, refresh the golden files with
#   shopmesh-codegen --out /tmp/golden <GOLDEN_DIR>/*.v*.json
# and copy each generated file to <GOLDEN_DIR>/<file name>.golden.
foreach(var CODEGEN GOLDEN_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "golden_check.cmake needs -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
file(GLOB schemas ${GOLDEN_DIR}/*.v*.json)
list(SORT schemas)
execute_process(COMMAND ${CODEGEN} --out ${WORK_DIR} ${schemas} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "shopmesh-codegen failed (${rc}): ${err}")
endif()

file(GLOB_RECURSE generated RELATIVE ${WORK_DIR} ${WORK_DIR}/*)
file(GLOB expected RELATIVE ${GOLDEN_DIR} ${GOLDEN_DIR}/*.golden)
set(generated_names)
foreach(file IN LISTS generated)
  get_filename_component(name ${file} NAME)
  list(APPEND generated_names ${name}.golden)
endforeach()
list(SORT generated_names)
list(SORT expected)
if(NOT generated_names STREQUAL expected)
  message(FATAL_ERROR "generated files [${generated_names}] differ from golden files [${expected}]")
endif()

find_program(DIFF diff)
set(mismatches 0)
foreach(file IN LISTS generated)
  get_filename_component(name ${file} NAME)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/${file} ${GOLDEN_DIR}/${name}.golden
                  RESULT_VARIABLE differs)
  if(differs)
    math(EXPR mismatches "${mismatches} + 1")
    message(SEND_ERROR "${file} differs from ${GOLDEN_DIR}/${name}.golden")
    if(DIFF)
      execute_process(COMMAND ${DIFF} -u ${GOLDEN_DIR}/${name}.golden ${WORK_DIR}/${file})
    endif()
  endif()
endforeach()
if(mismatches GREATER 0)
  message(FATAL_ERROR "${mismatches} generated file(s) differ from the golden output")
endif()
message(STATUS "golden output matches (${generated_names})")
