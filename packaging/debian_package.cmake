# The Debian package `onboard-recorder`, built with `cpack -G DEB` in the build tree: everything the
# install rules put under /usr and /etc, plus the maintainer scripts in packaging/debian/.
# Included from the top-level CMakeLists.txt after the install rules, whose RECORDER_UNITS,
# RECORDER_SYSUSERS and RECORDER_TMPFILES lists it reads.

set(CPACK_PACKAGE_NAME onboard-recorder)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Onboard recorder team <onboard-recorder@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "onboard train video recorder for a closed IP camera network")
set(CPACK_PACKAGE_DESCRIPTION
  "Records every camera's RTSP stream to local disk without transcoding, in fragmented-MP4 segments that\n"
  "survive a power cut, with a catalog, retention, signed exports, an audit log, a maintenance API over\n"
  "HTTPS and an nftables table that keeps the cameras from reaching anything but the recorder.")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # onboard-recorder_<version>_<arch>.deb, the Debian convention
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/onboard-recorder")
# CPACK_DEBIAN_PACKAGE_ARCHITECTURE is left unset: CPack asks `dpkg --print-architecture`.

# The build is RelWithDebInfo (useful backtraces in the build tree); what goes onto a train is stripped:
# a third of the size, and no symbol names or source paths on a box that may be taken apart. The
# unstripped binaries of a release build, kept with it, serve for reading a core dump.
set(CPACK_STRIP_FILES ON)

# Libraries the binaries link (GStreamer core, libav, libnftables, OpenSSL, SQLite, ...) are found by
# dpkg-shlibdeps (package dpkg-dev, which build-essential pulls in).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The GStreamer elements the recording pipeline creates by name are plugins, loaded at run time and never
# linked, so shlibdeps cannot see them (pipelines/recording_pipeline.cpp):
#   -good: rtspsrc (rtsp), rtph264depay/rtph265depay/rtpmp4gdepay/rtpmp4adepay (rtp), aacparse
#          (audioparsers), mp4mux (isomp4), splitmuxsink (multifile); rtspsrc also uses udpsrc, rtpbin
#   -bad:  h264parse, h265parse (videoparsersbad)
# -base has none of them; -good depends on it. The floor is the GStreamer we built against.
string(REGEX MATCH "^[0-9]+\\.[0-9]+" gstreamer_series "${GST_gstreamer-1.0_VERSION}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "gstreamer1.0-plugins-good (>= ${gstreamer_series}), gstreamer1.0-plugins-bad (>= ${gstreamer_series})")

# Maintainer scripts: they name the units and snippets that the install rules found in systemd/, so a
# unit added there is also restarted on upgrade and stopped on removal.
set(package_units "")
foreach(unit IN LISTS RECORDER_UNITS)
  get_filename_component(name ${unit} NAME)
  # Not templates (recorder-nflog@.service): a template without an instance cannot be restarted or
  # stopped, so systemctl would report an error on every upgrade and removal. Their instances come and
  # go with their socket, which is in the list.
  if(NOT name MATCHES "@\\.")
    list(APPEND package_units ${name})
  endif()
endforeach()
set(package_sysusers "")
foreach(snippet IN LISTS RECORDER_SYSUSERS)
  get_filename_component(name ${snippet} NAME_WE)
  list(APPEND package_sysusers ${name}.conf)
endforeach()
set(package_tmpfiles "")
foreach(snippet IN LISTS RECORDER_TMPFILES)
  get_filename_component(name ${snippet} NAME_WE)
  list(APPEND package_tmpfiles ${name}.conf)
endforeach()
list(JOIN package_units " " PACKAGE_UNITS)
list(JOIN package_sysusers " " PACKAGE_SYSUSERS)
list(JOIN package_tmpfiles " " PACKAGE_TMPFILES)
set(control_dir ${PROJECT_BINARY_DIR}/packaging/debian)
foreach(script postinst prerm postrm)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/${script}.in ${control_dir}/${script} @ONLY)
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${control_dir}/conffiles COPYONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${control_dir}/postinst ${control_dir}/prerm ${control_dir}/postrm ${control_dir}/conffiles)
# Scripts 0755, conffiles 0644, whatever the checkout's modes are.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
