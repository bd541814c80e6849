# ccache speeds up rebuilds: the sloppiness lets it cache precompiled-header builds, and the base dir makes
# paths relative so a fresh clone at another path (CI) hits what an earlier build cached.
find_program(EMO_CCACHE ccache)
if(EMO_CCACHE)
  set(EMO_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_MAXSIZE=12G ${EMO_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${EMO_LAUNCHER})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${EMO_LAUNCHER})
endif()
