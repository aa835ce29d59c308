# Applies SESSIONRIG_SANITIZE to every target in the build (presets asan, tsan).
if(SESSIONRIG_SANITIZE)
  add_compile_options(-fsanitize=${SESSIONRIG_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${SESSIONRIG_SANITIZE})
  if(SESSIONRIG_SANITIZE MATCHES "address|undefined")
    add_compile_options(-fno-sanitize-recover=all)
  endif()
endif()
