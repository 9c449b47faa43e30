# Negative test of the schema compatibility check, end to end through shopmesh-codegen: copies the
# released snapshot and the current schemas, applies one breaking change at a time to the copy, and
# expects exit code 1 with a message naming the schema file and the field.
#   cmake -DCODEGEN=<shopmesh-codegen> -DCONTRACTS_DIR=<contracts/events> -DWORK_DIR=<scratch> -P compat_break_check.cmake
foreach(var CODEGEN CONTRACTS_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compat_break_check.cmake needs -D${var}=...")
  endif()
endforeach()

set(file ORDER_CREATED.v1.json)
file(READ ${CONTRACTS_DIR}/released/${file} released)

# expect_break(<name> <modified schema text> <field regex>)
function(expect_break name text field)
  set(current ${WORK_DIR}/${name})
  file(REMOVE_RECURSE ${current})
  file(GLOB schemas ${CONTRACTS_DIR}/*.v*.json)
  file(COPY ${schemas} DESTINATION ${current})
  file(WRITE ${current}/${file} "${text}")
  execute_process(COMMAND ${CODEGEN} --check-compat ${CONTRACTS_DIR}/released ${current}
                  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 1)
    message(SEND_ERROR "${name}: expected exit code 1, got ${rc}: ${err}")
  elseif(NOT err MATCHES "${file}: ${field}")
    message(SEND_ERROR "${name}: the message does not name ${file} and ${field}: ${err}")
  else()
    message(STATUS "${name}: rejected as expected: ${err}")
  endif()
endfunction()

string(JSON removed REMOVE "${released}" properties totalAmount)
string(JSON removed REMOVE "${removed}" required 3)  # ["orderId", "userId", "items", "totalAmount", ...]
expect_break(removed_field "${removed}" "data\\.totalAmount: field removed")

string(JSON retyped SET "${released}" properties items items properties quantity type "\"number\"")
expect_break(changed_type "${retyped}" "data\\.items\\[\\]\\.quantity: type changed from integer to number")

string(JSON not_nullable SET "${released}" properties shippingAddress type "\"object\"")
expect_break(nullable_dropped "${not_nullable}" "data\\.shippingAddress: type changed from object\\|null to object")

string(JSON tightened SET "${released}" properties items minItems 2)
expect_break(tightened_bound "${tightened}" "data\\.items: minItems tightened from 1 to 2")

string(JSON with_field SET "${released}" properties couponCode "{\"type\": \"string\", \"description\": \"A coupon.\"}")
string(JSON required_length LENGTH "${with_field}" required)
string(JSON with_required SET "${with_field}" required ${required_length} "\"couponCode\"")
expect_break(new_required_field "${with_required}" "data\\.couponCode: new field is required")

# Deleting a released file breaks too.
set(current ${WORK_DIR}/deleted_file)
file(REMOVE_RECURSE ${current})
file(GLOB schemas ${CONTRACTS_DIR}/*.v*.json)
file(COPY ${schemas} DESTINATION ${current})
file(REMOVE ${current}/${file})
execute_process(COMMAND ${CODEGEN} --check-compat ${CONTRACTS_DIR}/released ${current} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "${file}: released schema was deleted")
  message(SEND_ERROR "deleted_file: expected a failure naming ${file}, got ${rc}: ${err}")
endif()

# And an optional field added to the unchanged schema is fine.
string(JSON optional_added SET "${released}" properties giftNote "{\"type\": \"string\", \"description\": \"A note.\"}")
set(current ${WORK_DIR}/optional_added)
file(REMOVE_RECURSE ${current})
file(GLOB schemas ${CONTRACTS_DIR}/*.v*.json)
file(COPY ${schemas} DESTINATION ${current})
file(WRITE ${current}/${file} "${optional_added}")
execute_process(COMMAND ${CODEGEN} --check-compat ${CONTRACTS_DIR}/released ${current} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(SEND_ERROR "optional_added: an added optional field must pass, got ${rc}: ${err}")
endif()
