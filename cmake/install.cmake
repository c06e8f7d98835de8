# `cmake --install build [--prefix DIR]`: the headers, libnnzero.a, the nnzero command, a CMake
# package (find_package(nnzero CONFIG) -> nnzero::nnzero) and a pkg-config file (nnzero.pc).
# scripts/test_install.sh builds examples/classify_digit.cpp against an installed copy both ways.
include(CMakePackageConfigHelpers)

install(TARGETS nnzero_lib EXPORT nnzeroTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS nnzero RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/nnzero ${PROJECT_BINARY_DIR}/include/nnzero
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

set(NNZERO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nnzero)
install(EXPORT nnzeroTargets NAMESPACE nnzero:: DESTINATION ${NNZERO_CMAKE_DIR})

# What the package config looks for again: the CBLAS and stb libraries nnzero was built with.
get_filename_component(NNZERO_CBLAS_DIR ${CBLAS_LIBRARY} DIRECTORY)
get_filename_component(NNZERO_CBLAS_NAME ${CBLAS_LIBRARY} NAME_WE)
string(REGEX REPLACE "^lib" "" NNZERO_CBLAS_NAME ${NNZERO_CBLAS_NAME})
get_filename_component(NNZERO_STB_DIR ${STB_LIBRARY} DIRECTORY)
configure_package_config_file(cmake/nnzeroConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nnzeroConfig.cmake INSTALL_DESTINATION ${NNZERO_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nnzeroConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nnzeroConfig.cmake ${PROJECT_BINARY_DIR}/nnzeroConfigVersion.cmake
        DESTINATION ${NNZERO_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}), so that the
# copy `cmake --install build --prefix DIR` puts anywhere points at itself.
file(RELATIVE_PATH NNZERO_PC_UP /x/${CMAKE_INSTALL_LIBDIR}/pkgconfig /x)
string(REGEX REPLACE "/$" "" NNZERO_PC_UP "${NNZERO_PC_UP}")
set(NNZERO_PC_PREFIX "\${pcfiledir}/${NNZERO_PC_UP}")
# Everything libnnzero.a needs goes in Libs (it is static). CBLAS and stb by their full
# paths: -lopenblas could find another build of OpenBLAS (Debian installs several).
string(REPLACE ";" " " NNZERO_PC_OPENMP_FLAGS "${OpenMP_CXX_FLAGS}")
set(NNZERO_PC_CBLAS ${CBLAS_LIBRARY})
set(NNZERO_PC_STB ${STB_LIBRARY})
list(TRANSFORM CMAKE_DL_LIBS PREPEND -l OUTPUT_VARIABLE NNZERO_PC_DL)
configure_file(cmake/nnzero.pc.in ${PROJECT_BINARY_DIR}/nnzero.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nnzero.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
