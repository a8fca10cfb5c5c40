#!/usr/bin/env bash
# Writes the files that let a build find the library, relative to where they are installed
# (scripts/install.sh; scripts/dist.sh for each target):
#   scripts/package-files.sh OUT VERSION NATIVE_LIBS SHARED SONAME|IMPLIB
# OUT/olconnect_wf.pc (pkg-config), OUT/olconnect_wfConfig.cmake and
# OUT/olconnect_wfConfigVersion.cmake (find_package). SHARED is the shared library's path in the
# prefix (lib/libolconnect_wf.so.X.Y.Z, bin/olconnect_wf.dll); the last argument is its SONAME
# (Unix) or, when it ends in .dll.a, its import library's path in the prefix (Windows).
set -euo pipefail
out=$1 version=$2 native_libs=$3 shared=$4 link=$5
major=${version%%.*}
cat >"$out/olconnect_wf.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include
# What a program linked with libolconnect_wf.a needs besides it (rustc's native-static-libs).
static_libs=$native_libs

Name: olconnect_wf
Description: Client for the OL Connect All-In-One REST service (C ABI)
Version: $version
Libs: -L\${libdir} -lolconnect_wf
Libs.private: \${static_libs}
Cflags: -I\${includedir}
EOF
case "$link" in
  *.dll.a) link_property="IMPORTED_IMPLIB \"\${_olconnect_wf_prefix}/$link\"" ;;
  *) link_property="IMPORTED_SONAME \"$link\"" ;;
esac
cmake_libs=$(for l in $native_libs; do printf '%s;' "${l#-l}"; done)
cat >"$out/olconnect_wfConfig.cmake" <<EOF
# find_package(olconnect_wf) gives olconnect_wf::olconnect_wf (the shared library) and
# olconnect_wf::olconnect_wf_static (the static one, with the system libraries it needs).
get_filename_component(_olconnect_wf_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET olconnect_wf::olconnect_wf)
  add_library(olconnect_wf::olconnect_wf SHARED IMPORTED)
  set_target_properties(olconnect_wf::olconnect_wf PROPERTIES
    IMPORTED_LOCATION "\${_olconnect_wf_prefix}/$shared"
    $link_property
    INTERFACE_INCLUDE_DIRECTORIES "\${_olconnect_wf_prefix}/include")
endif()
if(NOT TARGET olconnect_wf::olconnect_wf_static)
  add_library(olconnect_wf::olconnect_wf_static STATIC IMPORTED)
  set_target_properties(olconnect_wf::olconnect_wf_static PROPERTIES
    IMPORTED_LOCATION "\${_olconnect_wf_prefix}/lib/libolconnect_wf.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_olconnect_wf_prefix}/include"
    INTERFACE_LINK_LIBRARIES "${cmake_libs%;}")
endif()
set(olconnect_wf_VERSION "$version")
unset(_olconnect_wf_prefix)
EOF
cat >"$out/olconnect_wfConfigVersion.cmake" <<EOF
# Compatible within the same major version (the SONAME's), not older than asked for.
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION_MAJOR STREQUAL "$major" AND NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
EOF
