# sessionrig_warnings(<target>): the project's strict warning set.
function(sessionrig_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Woverloaded-virtual
    # Only unoptimised: with inlining at -O2, gcc 12 reports "potential null
    # pointer dereference" inside Boost.Asio and CLI11 headers.
    $<$<CONFIG:Debug>:-Wnull-dereference>)
  # clang checks the lock annotations (sessionrig/thread_annotations.h) in
  # every clang build (the fuzz preset, scripts/lint's clang-tidy); a
  # finding is an error whatever SESSIONRIG_WERROR says.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety)
  endif()
  if(SESSIONRIG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# sessionrig_test(<name> SOURCES ... LIBS ...): one gtest binary registered with ctest.
function(sessionrig_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  sessionrig_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()
