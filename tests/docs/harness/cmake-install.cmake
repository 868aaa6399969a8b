# Harness for README CMake snippets that use an installed package (make install): a project
# with an `app` target; configured and built with CMAKE_PREFIX_PATH at a fresh install.
cmake_minimum_required(VERSION 3.16)
project(snippet C)
add_executable(app main.c)
@SNIPPET@
