# Install rules and the Debian package (docs/operations.md, "Deploying from the package").
#
# Layout under CMAKE_INSTALL_PREFIX (GNUInstallDirs):
#   bin/cmp-cwmp-bridge, bin/cmp-gateway-sim
#   share/cmp-cwmp-bridge/{mappings,datamodels}   found by the binary as ../share/... (compile_table.cpp)
#   share/doc/cmp-cwmp-bridge/                   docs and examples/bridge.yaml
#   lib/systemd/system, lib/sysusers.d, lib/tmpfiles.d   the unit and its user and folders
# The package's name, not the CMake project's (cmp_cwmp_bridge).
set(CMAKE_INSTALL_DOCDIR share/doc/cmp-cwmp-bridge CACHE PATH "documentation")
include(GNUInstallDirs)

set(BRIDGE_DATA_SUBDIR ${CMAKE_INSTALL_DATADIR}/cmp-cwmp-bridge)

# The build tree mirrors the installed layout so that build/bin and build/tests
# find the data models the same way an installed binary does, not through a
# source path compiled in.
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/share/cmp-cwmp-bridge)
foreach(dir datamodels mappings)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${dir} ${CMAKE_BINARY_DIR}/share/cmp-cwmp-bridge/${dir} SYMBOLIC)
endforeach()

target_compile_definitions(cmp-cwmp-bridge PRIVATE BRIDGE_VERSION="${PROJECT_VERSION}")

install(TARGETS cmp-cwmp-bridge cmp-gateway-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/mappings/ DESTINATION ${BRIDGE_DATA_SUBDIR}/mappings
        FILES_MATCHING PATTERN "*.yaml")
# The .dm files only: regenerate.sh and models.list are for developers.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/datamodels/ DESTINATION ${BRIDGE_DATA_SUBDIR}/datamodels
        FILES_MATCHING PATTERN "*.dm")
install(FILES ${PROJECT_SOURCE_DIR}/examples/configs/bridge.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
              ${PROJECT_SOURCE_DIR}/docs/mapping.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples/systemd/cmp-cwmp-bridge.sysusers
        DESTINATION lib/sysusers.d RENAME cmp-cwmp-bridge.conf)
install(FILES ${PROJECT_SOURCE_DIR}/examples/systemd/cmp-cwmp-bridge.tmpfiles
        DESTINATION lib/tmpfiles.d RENAME cmp-cwmp-bridge.conf)

# The unit names the binary and the configuration by absolute path, so it is
# written at install time, from the prefix of that install (cmake --install
# --prefix, CPack's /usr), not the one the build was configured with.
install(CODE "
  set(_unit_in \"${PROJECT_SOURCE_DIR}/examples/systemd/cmp-cwmp-bridge.service.in\")
  set(_unit_dir \"${CMAKE_BINARY_DIR}/packaging\")
")
install(CODE [[
  set(BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
  # GNUInstallDirs: the /usr prefix keeps its configuration in /etc.
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(SYSCONFDIR "/etc")
  else()
    set(SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  # One file per destination: the package test and cpack may install at the same time.
  string(MD5 _tag "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
  set(_unit "${_unit_dir}/${_tag}/cmp-cwmp-bridge.service")
  configure_file("${_unit_in}" "${_unit}" @ONLY)
  file(INSTALL "${_unit}" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
]])

# CPack: `cpack -G DEB` (scripts/package.sh) builds cmp-cwmp-bridge_<version>_<arch>.deb.
set(CPACK_PACKAGE_NAME cmp-cwmp-bridge)
set(CPACK_PACKAGE_VENDOR "cmp-cwmp-bridge")
set(CPACK_PACKAGE_CONTACT "cmp-cwmp-bridge maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CMP residential gateways presented to a TR-069 ACS as CWMP CPEs")
set(CPACK_PACKAGE_DESCRIPTION
    "Translates each CWMP operation of an unmodified TR-069 ACS (GenieACS, ...) into CMP
(ISO/IEC 29104-1) calls through editable YAML mapping tables. Ships the daemon, the
gateway simulator, the TR-098/TR-106 mapping tables and data models, and a hardened
systemd unit.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Install with DESTDIR and the real prefix, so the unit written at install time names /usr/bin.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser: postinst's fallback where systemd-sysusers is absent (containers).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
