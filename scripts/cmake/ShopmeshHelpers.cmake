# shopmesh_embed_migrations(<target> <dir> <namespace>): compiles every <dir>/*.sql (named NNNN_name.sql) into
# the target as `shopmesh::core::Migration` records, so binaries carry their own schema history.
function(shopmesh_embed_migrations target dir namespace)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${namespace} "-DFILES=${sql_files}"
            -P ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedMigrations.cmake
    COMMENT "Embedding SQL migrations for ${target}"
    VERBATIM)  # FILES is a ;-list: quoted for the shell, else `;` splits the command
  target_sources(${target} PRIVATE ${out})
endfunction()

# shopmesh_embed_queries(<target> <file> <name>): generates shopmesh/<name>/queries.hpp from the named queries in
# <file> (format: scripts/cmake/EmbedQueries.cmake) into the build tree, on the target's include path: each query
# is `const core::Sql& shopmesh::<name>::queries::<query>()`, its statement named `<name>.<query>`.
function(shopmesh_embed_queries target file name)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_queries)
  set(out ${dir}/shopmesh/${name}/queries.hpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${name} -DFILE=${file}
            -P ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedQueries.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedQueries.cmake
    COMMENT "Generating shopmesh/${name}/queries.hpp from ${file}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
  target_include_directories(${target} PUBLIC ${dir})
endfunction()

# shopmesh_embed_text(<target> <symbol> <file>): a file's bytes as `std::string_view <symbol>()`.
function(shopmesh_embed_text target symbol file)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_${symbol}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} -DFILE=${file}
            -P ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedText.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/scripts/cmake/EmbedText.cmake
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE ${out})
endfunction()

# shopmesh_use_mimalloc(<target>): malloc and free from mimalloc (see ShopmeshDeps.cmake), where it is found.
function(shopmesh_use_mimalloc target)
  if(TARGET mimalloc)
    target_link_libraries(${target} PRIVATE mimalloc)
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/scripts/cmake/keep_mimalloc.cpp)
    target_compile_definitions(${target} PRIVATE SHOPMESH_MIMALLOC)
  endif()
endfunction()

# shopmesh_service(<name>): services/<name>/ with src/*.cpp -> <name>_lib, main.cpp -> shopmesh-<name>,
# migrations/*.sql embedded, queries.sql generated into shopmesh/<name>/queries.hpp, tests/unit/services/<name>/*.cpp
# (if any) linked against the same library.
function(shopmesh_service name)
  file(GLOB lib_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(${name}_lib STATIC ${lib_sources})
  target_include_directories(${name}_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name}_lib PUBLIC shopmesh_core ${ARGN})
  shopmesh_embed_migrations(${name}_lib ${CMAKE_CURRENT_SOURCE_DIR}/migrations shopmesh::${name})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/queries.sql)
    shopmesh_embed_queries(${name}_lib ${CMAKE_CURRENT_SOURCE_DIR}/queries.sql ${name})
  endif()
  add_executable(shopmesh-${name} ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
  target_link_libraries(shopmesh-${name} PRIVATE ${name}_lib)
  shopmesh_use_mimalloc(shopmesh-${name})
  install(TARGETS shopmesh-${name} RUNTIME DESTINATION bin)
endfunction()
