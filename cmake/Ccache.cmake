# ccache speeds up rebuilds from a clean clone; the sloppiness lets it cache precompiled-header builds.
find_program(EMO_CCACHE ccache)
if(EMO_CCACHE)
  set(EMO_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${EMO_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${EMO_LAUNCHER})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${EMO_LAUNCHER})
endif()
